// @ts-check
/**
 * The public module `@temporalio/workflow` inside the isolate: `proxyActivities` (each method calls
 * a host capability of that name), `sleep` (a host timer bounded by the tick's wall time) and `log`.
 * Nothing else: importing any other name fails at link time.
 *
 * The ESM public modules are what V8 links a bundle against (so that an unknown import fails with
 * V8's own message); at tick time the bundle runs as a factory that gets the same values through
 * the internal module's require() (see bundle-factory.ts).
 */

export { proxyActivities, sleep } from 'wf:internal';
const c = globalThis.console;
/** Temporal's workflow logger, routed to the guest console. */
export const log = Object.freeze({ debug: c.debug, info: c.info, warn: c.warn, error: c.error });
