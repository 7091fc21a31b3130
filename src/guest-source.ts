/**
 * Guest code: what runs inside a tenant's isolate, a QuickJS context or a Pyodide isolate, never
 * in the host's realm. It lives in real files next to the host code that sends it
 * (`sandbox/guest/*.js`, `interpreters/javascript-guest/*`, `interpreters/python/guest/*`), so it
 * is type-checked (`tsconfig.guest.json`, `tsconfig.guest-node.json`) or compiled (the `.py`
 * files, by a test) like any other source. This module is the one place that turns those files
 * into the text the host sends.
 *
 * - Source runs (vitest, `npm run demo` under tsx): each file is read next to this module.
 * - The build (tsup): `inlineTexts(GUEST_TEXTS)` in tsup.config.ts replaces {@link INLINED} below with
 *   the texts themselves, so `dist/` reads no file and ships none.
 *
 * The text is sent as it is in the file, comments included: no placeholder is substituted. Values
 * the host chooses (limits, file names, intrinsics) travel as arguments or `workerData`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { InternalError } from './errors.js';

/** Every guest file, by its path relative to `src/`. */
export const GUEST_FILES = Object.freeze([
  'sandbox/guest/core.js',
  'sandbox/guest/lockdown.js',
  'sandbox/guest/btree.js',
  'sandbox/guest/temporal.js',
  'sandbox/guest/zod.js',
  'sandbox/guest/sdk.js',
  'interpreters/javascript-guest/prelude.js',
  'interpreters/javascript-guest/console.js',
  'interpreters/javascript-guest/checker.js',
  'interpreters/javascript-guest/describe.js',
  'interpreters/javascript-guest/worker.cjs',
  'interpreters/python/guest/prelude.js',
  'interpreters/python/guest/restore-heap.js',
  'interpreters/python/guest/boot.js',
  'interpreters/python/guest/runner.py',
  'interpreters/python/guest/snapshot-warm-imports.py',
  'interpreters/python/guest/reseed.py',
] as const);

/** The path of a guest file relative to `src/`. */
export type GuestFile = (typeof GUEST_FILES)[number];

/** The text of every guest file by path. */
export type GuestSources = Readonly<Record<GuestFile, string>>;

// The build replaces exactly this declaration (the line below, up to the semicolon) with the texts.
const INLINED: GuestSources | undefined = undefined;

/**
 * The text of a guest file, exactly as it is on disk.
 *
 * @example
 * ```ts
 * const CORE_SOURCE = guestSource('sandbox/guest/core.js');
 * ```
 */
export function guestSource(file: GuestFile): string {
  if (INLINED) {
    const text = (INLINED as Partial<GuestSources>)[file];
    if (text === undefined) throw new InternalError('loading guest code failed', `guest file ${file} was not inlined by the build`);
    return text;
  }
  return readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
}
