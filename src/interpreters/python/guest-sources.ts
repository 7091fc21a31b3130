/**
 * The code that runs inside a Pyodide isolate (the files in `guest/`, loaded by `guestSource`):
 * the JavaScript around Pyodide and the Python that runs tenant scripts.
 * @module
 */
import { guestSource } from '../../guest-source.js';

/** Runs first in the isolate, before the emscripten glue: the shell environment the glue needs (guest/prelude.js). */
export const PRELUDE_JS = guestSource('interpreters/python/guest/prelude.js');

/** Copies a snapshot's heap into new memory, leaving its zero pages untouched (guest/restore-heap.js). */
export const RESTORE_HEAP_JS = guestSource('interpreters/python/guest/restore-heap.js');

/** Runs after the glue and loader: exposes the host-facing functions on `globalThis.__btpHost` (guest/boot.js). */
export const BOOT_JS = guestSource('interpreters/python/guest/boot.js');

/** Defines `_btp_run` and `_btp_imports` (guest/runner.py). */
export const RUNNER_PY = guestSource('interpreters/python/guest/runner.py');

/** Modules imported in the clean isolate before its memory snapshot is taken (guest/snapshot-warm-imports.py). */
export const SNAPSHOT_WARM_IMPORTS_PY = guestSource('interpreters/python/guest/snapshot-warm-imports.py');

/** Reseeds Python-level PRNGs after a snapshot restore (guest/reseed.py). */
export const RESEED_PY = guestSource('interpreters/python/guest/reseed.py');
