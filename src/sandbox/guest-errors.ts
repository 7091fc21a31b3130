/**
 * How a failure inside a tenant's isolate is named on the host: the limit breaches and load
 * failures the tick loop throws, and the text of an error that came out of guest code (its
 * message and tenant-bundle frames only).
 * @module
 */

/** A limit breach detected by the host or reported by the guest. */
export class Breach extends Error {
  constructor(readonly limit: string, readonly detail?: string) {
    super(limit);
  }
}

/** A bundle could not be loaded into an isolate (link error, factory build error). */
export class LinkFailure extends Error {}

/** The text of an error thrown by an isolate call: its stack when it has one. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return typeof e.stack === 'string' && e.stack.includes(e.message) ? e.stack : `${e.name}: ${e.message}`;
  return String(e);
}

/** Keeps the message and the tenant-bundle frames; drops isolated-vm's boundary and host frames. */
export function guestFrames(stack: string): string {
  return stack
    .split('\n')
    .filter((l) => !/^\s+at /.test(l) || l.includes('wf-bundle:'))
    .join('\n');
}

/** The message a failed capability call hands back to the guest, at most 1000 characters. */
export function capabilityErrorMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : typeof err === 'string' ? err : 'capability failed';
  return m.length > 1000 ? `${m.slice(0, 1000)}…` : m;
}
