/**
 * Exact-match text edits to the pinned Pyodide's JavaScript, applied at load time.
 *
 * Pyodide ships as ES modules written for browsers and Node. We run its emscripten glue and its
 * loader as one classic script inside an isolated-vm isolate, in emscripten's "shell" (d8) mode:
 * no `import`, no `export`, no `import.meta`. Each edit must match its text exactly once; when one
 * does not (a different Pyodide build), loading fails with a {@link RuntimeCompatibilityError} that
 * names the edit and the version it was checked against, instead of running a runtime whose
 * sandboxing no longer holds.
 *
 * @module
 */
import { RuntimeCompatibilityError } from '../../errors.js';

/** The only Pyodide version these edits (and the sandbox) were checked against. */
export const PYODIDE_VERSION = '314.0.7';

/** Which shipped file an edit applies to. */
export type PyodideSourceFile = 'pyodide.asm.mjs' | 'pyodide.mjs';

/** One exact-match edit. */
export interface TextPatch {
  /** Short name used in error messages. */
  name: string;
  file: PyodideSourceFile;
  /** Why the edit is needed. */
  why: string;
  /** Text that must occur exactly {@link TextPatch.occurrences} times; every occurrence is replaced. */
  find: string;
  /** How many times `find` occurs in the checked version (default 1). */
  occurrences?: number;
  replace: string;
}

/** The edits, in the order they are applied. */
export const PYODIDE_PATCHES: readonly TextPatch[] = [
  {
    name: 'glue-import-meta',
    file: 'pyodide.asm.mjs',
    why: 'a classic script has no import.meta; the glue only uses it to locate its own files',
    find: 'import.meta.url',
    occurrences: 3,
    replace: '"/pyodide/pyodide.asm.mjs"',
  },
  {
    name: 'glue-export-default',
    file: 'pyodide.asm.mjs',
    why: 'a classic script cannot export; the factory stays a global function',
    find: ';return moduleRtn}export default _createPyodideModule;',
    replace: ';return moduleRtn}',
  },
  {
    name: 'glue-random-fill',
    file: 'pyodide.asm.mjs',
    why: "shell mode would ask d8's os.system for entropy; use the isolate's seeded crypto.getRandomValues",
    find: 'if(ENVIRONMENT_IS_SHELL){return view=>{if(!os.system)',
    replace: 'if(ENVIRONMENT_IS_SHELL&&!globalThis.crypto?.getRandomValues){return view=>{if(!os.system)',
  },
  {
    name: 'js-function-wrapper-per-signature',
    file: 'pyodide.asm.mjs',
    why: 'booting compiles a one-function wasm module for each of ≈260 JavaScript imports put in the table, though the module depends only on the signature (≈50 of them); compile each signature once per isolate',
    find: 'var convertJsFunctionToWasm=(func,sig)=>{var bytes=Uint8Array.of(',
    replace: 'var jsWrapperModules=new Map;var convertJsFunctionToWasm=(func,sig)=>{var cached=jsWrapperModules.get(sig);if(cached)return new WebAssembly.Instance(cached,{e:{f:func}}).exports["f"];var bytes=Uint8Array.of(',
  },
  {
    name: 'js-function-wrapper-per-signature-store',
    file: 'pyodide.asm.mjs',
    why: 'the other half of js-function-wrapper-per-signature: remember the module compiled for a signature',
    find: 'var module=new WebAssembly.Module(bytes);var instance=new WebAssembly.Instance(module,{e:{f:func}});',
    replace: 'var module=new WebAssembly.Module(bytes);jsWrapperModules.set(sig,module);var instance=new WebAssembly.Instance(module,{e:{f:func}});',
  },
  {
    name: 'restore-heap-hook',
    file: 'pyodide.asm.mjs',
    why: "restoreSnapshot copies the whole heap image, touching every page; the restore boot.js passes in the config (guest/restore-heap.js) writes a snapshot packed without its zero pages and leaves them alone where memory is still zero, so they stay out of resident memory",
    find: 'let s=(new TextDecoder).decode(i),l=JSON.parse(s);return Module.HEAP8.set(t),l}',
    replace: 'let s=(new TextDecoder).decode(i),l=JSON.parse(s);return API.config._btpRestoreHeap?API.config._btpRestoreHeap(Module,t):Module.HEAP8.set(t),l}',
  },
  {
    name: 'loader-export',
    file: 'pyodide.mjs',
    why: 'a classic script cannot export; expose loadPyodide as a global of the isolate',
    find: 'export{dt as loadPyodide,U as version};',
    replace: 'globalThis.loadPyodide=dt;',
  },
];

/**
 * Applies the edits of `file` to `source`; throws a {@link RuntimeCompatibilityError} when one does
 * not occur exactly as often as in the checked version.
 */
export function applyPatches(
  file: PyodideSourceFile,
  source: string,
  patches: readonly TextPatch[] = PYODIDE_PATCHES,
  version: string = PYODIDE_VERSION,
): string {
  let out = source;
  for (const patch of patches) {
    if (patch.file !== file) continue;
    const pieces = out.split(patch.find);
    const count = pieces.length - 1;
    const expected = patch.occurrences ?? 1;
    if (count !== expected) {
      throw new RuntimeCompatibilityError(
        `pyodide@${version}`,
        `patch "${patch.name}" (${patch.why}) expected its text ${expected} time(s) in ${file}, found it ${count} time(s); the edits were checked against pyodide ${PYODIDE_VERSION}`,
        { hint: `install pyodide@${PYODIDE_VERSION} exactly, or re-check the edits in src/interpreters/python/pyodide-patches.ts against the new version` },
      );
    }
    out = pieces.join(patch.replace);
  }
  // Not a patch: a dangling source map comment is harmless but points at a file that is not there.
  return out.replace(/\/\/# sourceMappingURL=\S*\s*$/, '');
}
