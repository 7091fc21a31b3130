/**
 * Console output of the test host.
 *
 * The real btree logs every register, create, tick, halt and reset with an unconditional
 * `console.log` (contract §9), so the test host does too by default. Tests and demos that want quiet
 * output call {@link setTestHostLogging}`(false)`; nothing else changes.
 *
 * @module
 */

let enabled = true;

/**
 * Turns the test host's console output on or off (default: on, like the real btree).
 * Returns the previous setting so a test can restore it.
 *
 * @example
 * ```ts
 * import { setTestHostLogging } from '@wayfarer-ai/btree-plugins/testing';
 * beforeAll(() => { setTestHostLogging(false); });
 * ```
 */
export function setTestHostLogging(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** Whether the test host currently writes to the console. */
export function isTestHostLoggingEnabled(): boolean {
  return enabled;
}

/** @internal `console.log` unless silenced. */
export function hostLog(message: string, ...args: unknown[]): void {
  if (enabled) console.log(message, ...args);
}
