/**
 * The runtime modules of a tenant's isolate: their specifiers and sources (the `.js` files next to
 * this module, loaded by `guestSource`).
 *
 * - `wf:internal` (core.js) and `wf:lockdown` (lockdown.js): the runtime itself; only runtime
 *   modules may import them.
 * - `@wayfarer-ai/btree` (btree.js), `@temporalio/workflow` (temporal.js) and
 *   `@wayfarer-ai/btree-plugins/sdk` (sdk.js, with zod through `wf:zod`, zod.js): the public
 *   modules a tenant bundle may import.
 * @module
 */
import { guestSource } from '../../guest-source.js';

/** Specifier of the internal runtime module; only runtime modules may import it. */
export const INTERNAL_SPECIFIER = 'wf:internal';
/** Specifier of the realm lockdown; only the internal module imports it. */
export const LOCKDOWN_SPECIFIER = 'wf:lockdown';
/** Specifier of the bundled zod module; only runtime modules may import it. */
export const ZOD_SPECIFIER = 'wf:zod';

export const BTREE_SPECIFIER = '@wayfarer-ai/btree';
export const TEMPORAL_SPECIFIER = '@temporalio/workflow';
export const SDK_SPECIFIER = '@wayfarer-ai/btree-plugins/sdk';

/** A runtime module: what tenant code or other runtime modules import, and the code cache name. */
export interface RuntimeModuleSource {
  readonly specifier: string;
  /** Code cache key, and the file name in stack traces (`wf-runtime:<name>.js`). */
  readonly name: string;
  readonly source: string;
}

function runtimeModule(specifier: string, name: string, file: Parameters<typeof guestSource>[0]): RuntimeModuleSource {
  return Object.freeze({ specifier, name, source: guestSource(file) });
}

/** Loaded into every isolate, in this order (each may import only the ones before it). */
export const BASE_MODULES: readonly RuntimeModuleSource[] = Object.freeze([
  runtimeModule(LOCKDOWN_SPECIFIER, 'lockdown', 'sandbox/guest/lockdown.js'),
  runtimeModule(INTERNAL_SPECIFIER, 'internal', 'sandbox/guest/core.js'),
  runtimeModule(BTREE_SPECIFIER, 'btree', 'sandbox/guest/btree.js'),
  runtimeModule(TEMPORAL_SPECIFIER, 'temporal', 'sandbox/guest/temporal.js'),
]);

/** Loaded on the first bundle that imports the SDK, after zod's factory script has run. */
export const SDK_MODULES: readonly RuntimeModuleSource[] = Object.freeze([
  runtimeModule(ZOD_SPECIFIER, 'zod', 'sandbox/guest/zod.js'),
  runtimeModule(SDK_SPECIFIER, 'sdk', 'sandbox/guest/sdk.js'),
]);
