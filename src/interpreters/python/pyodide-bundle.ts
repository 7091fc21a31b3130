/**
 * Reads the pinned Pyodide distribution from `node_modules/pyodide` and builds the one classic
 * script an isolate evaluates: prelude + patched emscripten glue + patched loader + boot.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { MissingDependencyError, RuntimeCompatibilityError } from '../../errors.js';
import { BOOT_JS, PRELUDE_JS, RESEED_PY, RESTORE_HEAP_JS, RUNNER_PY, SNAPSHOT_WARM_IMPORTS_PY } from './guest-sources.js';
import { applyPatches, PYODIDE_VERSION } from './pyodide-patches.js';

/** The files of the Pyodide distribution, read once per process. */
export interface PyodideDistribution {
  version: string;
  /** Directory of the `pyodide` package. */
  dir: string;
  /** The script evaluated in each isolate (prelude, patched glue and loader, boot). */
  bundleSource: string;
  /** `pyodide-lock.json` as shipped. */
  lockJson: string;
  stdlib: Uint8Array;
  /** `pyodide.asm.wasm` as shipped (uncapped). */
  wasm: Uint8Array;
  /**
   * sha256 over everything that shapes a memory snapshot: the version, the bundle and the Python
   * sources. Part of the snapshot cache key.
   */
  runtimeHash: string;
}

let pending: Promise<PyodideDistribution> | undefined;

/** Loads (once per process) and patches the pinned Pyodide distribution. */
export function loadPyodideDistribution(): Promise<PyodideDistribution> {
  pending ??= readDistribution().catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

function resolvePyodideDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
  } catch (cause) {
    throw new MissingDependencyError('pyodide', 'PythonInterpreter', {
      cause,
      hint: `run \`npm install pyodide@${PYODIDE_VERSION}\` (exactly this version) in the host application`,
    });
  }
}

async function readDistribution(): Promise<PyodideDistribution> {
  const dir = resolvePyodideDir();
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: string };
  if (pkg.version !== PYODIDE_VERSION) {
    throw new RuntimeCompatibilityError(`pyodide@${String(pkg.version)}`, `PythonInterpreter was checked against pyodide ${PYODIDE_VERSION} only`, {
      hint: `install pyodide@${PYODIDE_VERSION} exactly (pin it without ^ or ~)`,
    });
  }
  const [glue, loader, lockJson, stdlib, wasm] = await Promise.all([
    readFile(join(dir, 'pyodide.asm.mjs'), 'utf8'),
    readFile(join(dir, 'pyodide.mjs'), 'utf8'),
    readFile(join(dir, 'pyodide-lock.json'), 'utf8'),
    readFile(join(dir, 'python_stdlib.zip')),
    readFile(join(dir, 'pyodide.asm.wasm')),
  ]);
  const bundleSource = [
    PRELUDE_JS,
    applyPatches('pyodide.asm.mjs', glue),
    ';',
    applyPatches('pyodide.mjs', loader),
    ';',
    RESTORE_HEAP_JS,
    BOOT_JS,
  ].join('\n');
  const hash = createHash('sha256');
  for (const part of [PYODIDE_VERSION, bundleSource, SNAPSHOT_WARM_IMPORTS_PY, RESEED_PY, RUNNER_PY, lockJson]) {
    hash.update(part).update('\0');
  }
  hash.update(stdlib).update(wasm);
  return {
    version: PYODIDE_VERSION,
    dir,
    bundleSource,
    lockJson,
    stdlib: new Uint8Array(stdlib.buffer, stdlib.byteOffset, stdlib.byteLength),
    wasm: new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength),
    runtimeHash: hash.digest('hex'),
  };
}
