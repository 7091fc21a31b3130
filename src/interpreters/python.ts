/**
 * `PythonEngine`: runs tenant Python scripts with Pyodide inside isolated-vm isolates — never in
 * the host's JavaScript realm, where `import js` / `pyodide_js` / JsProxy constructor chains reach
 * `process` and the host disk (CVE-2025-68668).
 *
 * - Each isolate holds one Pyodide and nothing of the host: file bytes, the compiled wasm module,
 *   a random seed and a memory snapshot are copied in; the guest sees an empty `js` module.
 * - Isolates start from a memory snapshot we make in a clean isolate (≈0.3 s instead of ≈3 s),
 *   cached in memory and on disk: by default in a per-user cache directory (`cacheDir`; see
 *   `python/cache-dir.ts`), so a restarted worker's first run is fast without configuration.
 * - Warm isolates are kept per tenant, never shared between tenants, bounded across tenants (LRU).
 * - Every run gets a fresh globals dict; builtins, std streams and the recursion limit are reset.
 *   Imported modules stay cached in the tenant's warm isolate (see docs/interpreters.md).
 * - After any timeout, MemoryError, RecursionError or JS-level error the isolate is discarded.
 * - Packages come only from a host directory of wheels checked against the lock file's sha256;
 *   nothing is fetched from the network.
 *
 * @example
 * ```ts
 * const engine = new PythonEngine({ packageDir: '/srv/pyodide-wheels', cacheDir: '/var/cache/btree-plugins' });
 * const outcome = await engine.run({ script: 'result = sum(xs)', inputs: { xs: [1, 2] }, timeoutMs: 1000,
 *   memoryLimitBytes: 128 * 2 ** 20, tenantId: 'acme' });
 * // → { ok: true, value: 3, output: [] }
 * await engine.dispose();
 * ```
 *
 * @module
 */
import { DisposedError, InvalidInputError } from '../errors.js';
import { PYTHON_LIMITS } from '../binding-core/interpreter-props.js';
import type { InterpreterEngine, ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';
import { loadPackageSet, releasePackageSet, type PackageSet } from './python/packages.js';
import { TenantPool } from './python/pool.js';
import { getPyodideRuntime, type PyodideRuntime } from './python/pyodide-runtime.js';
import { PyodideIsolate, type SnapshotRestore } from './python/pyodide-isolate.js';
import { getSnapshot, loadCodeCache, saveCodeCache, type PyodideSnapshot } from './python/snapshot.js';
import { resolveSnapshotCacheDir } from './python/cache-dir.js';
import type ivm from 'isolated-vm';
import { isolatedVm } from '../platform/isolated-vm.js';

export { PYODIDE_VERSION } from './python/pyodide-patches.js';
export { CACHE_DIR_ENV, defaultSnapshotCacheDir } from './python/cache-dir.js';

/** Options of a {@link PythonEngine}. All are optional. */
export interface PythonEngineOptions {
  /** Directory of Pyodide wheels scripts may import (checked against the lock file's sha256). */
  packageDir?: string;
  /** Lock file with extra entries for `packageDir`; default `<packageDir>/pyodide-lock.json` when present. */
  lockFile?: string;
  /**
   * Directory where the memory snapshot is cached across processes. Default: the per-user cache
   * directory (`$BTREE_PLUGINS_CACHE_DIR/pyodide`, else `$XDG_CACHE_HOME/btree-plugins/pyodide` or
   * `~/.cache/btree-plugins/pyodide`; `~/Library/Caches/…` on macOS, `%LOCALAPPDATA%\…` on
   * Windows). `false`: memory only (each new process boots Pyodide cold, ≈2 s). A directory that
   * cannot be written costs speed only: one warning, then memory only.
   */
  cacheDir?: string | false;
  /**
   * Hard cap of each isolate's Python (wasm) memory, in bytes, written into the wasm binary; default
   * `PYTHON_LIMITS.maxMemoryBytes` (1 GB). A request's `memoryLimitBytes` (enforced on every heap
   * growth) above it is held to it. Keep it equal to the node limits' `maxMemoryBytes`.
   */
  maxMemoryBytes?: number;
  /** isolated-vm `memoryLimit` of each isolate (JavaScript heap), in MB; default 128. */
  jsHeapLimitMb?: number;
  /** Warm isolates kept per tenant; default 2. */
  maxIdlePerTenant?: number;
  /** Live isolates across all tenants of this engine (each ≈70 MB RSS); default 8. */
  maxIsolates?: number;
  /** Time allowed to boot an isolate, in ms; default 60 000. */
  bootTimeoutMs?: number;
  /**
   * How an isolate copies the snapshot's heap in (default `sparse`: its zero pages are not touched).
   * @internal for benchmarks (`whole`: Pyodide's own copy) and tests (`verify`).
   */
  snapshotRestore?: SnapshotRestore;
}

/** Caps applied when a request leaves them out. */
export const PYTHON_DEFAULT_CAPS = {
  maxResultBytes: 1_000_000,
  maxOutputLines: 1_000,
  maxOutputBytes: 64_000,
  maxResultDepth: 64,
} as const;

/** Budget for wasm memories a script creates besides Pyodide's own (via the in-isolate JS). */
const WASM_BUDGET_PAGES = 256; // 16 MB

interface Ready {
  runtime: PyodideRuntime;
  snapshot: PyodideSnapshot;
  packages: PackageSet | undefined;
}

/** Runs Python scripts in Pyodide inside isolated-vm isolates. See the module documentation. */
export class PythonEngine implements InterpreterEngine {
  readonly language = 'python' as const;
  readonly #options: Required<Omit<PythonEngineOptions, 'packageDir' | 'lockFile' | 'cacheDir' | 'snapshotRestore'>> & PythonEngineOptions;
  /** The resolved snapshot cache directory; `undefined`: memory only. */
  readonly #cacheDir: string | undefined;
  readonly #pool: TenantPool<PyodideIsolate>;
  #ready: Promise<Ready> | undefined;
  #disposed = false;

  constructor(options: PythonEngineOptions = {}) {
    // Fail here, with the fix named, on a Node whose isolated-vm build is missing or unfit.
    isolatedVm();
    this.#cacheDir = resolveSnapshotCacheDir(options.cacheDir);
    this.#options = {
      maxMemoryBytes: PYTHON_LIMITS.maxMemoryBytes,
      jsHeapLimitMb: 128,
      maxIdlePerTenant: 2,
      maxIsolates: 8,
      bootTimeoutMs: 60_000,
      ...options,
    };
    this.#pool = new TenantPool((tenant) => this.#createSandbox(tenant), {
      maxIdlePerTenant: this.#options.maxIdlePerTenant,
      maxLive: this.#options.maxIsolates,
    });
  }

  /**
   * Loads Pyodide, verifies the packages and makes (or loads) the snapshot; with `tenantId`, also
   * boots one warm isolate for that tenant. Optional: the first `run` does the same lazily.
   */
  async warmUp(tenantId?: string): Promise<void> {
    this.#assertAlive();
    await this.#init();
    if (tenantId !== undefined) {
      const key = tenantKey(tenantId);
      this.#pool.release(key, await this.#pool.acquire(key));
    }
  }

  /** The directory of the on-disk snapshot cache, or `undefined` when it is off (`cacheDir: false` or no home directory). */
  get cacheDir(): string | undefined {
    return this.#cacheDir;
  }

  /** Live isolates (busy and idle). */
  get liveIsolates(): number {
    return this.#pool.live;
  }

  async run(request: ScriptRequest): Promise<ScriptOutcome> {
    this.#assertAlive();
    checkRequest(request);
    const ready = await this.#init();
    if (request.signal?.aborted) return { ok: false, error: { kind: 'aborted', message: 'the run was aborted before it started' }, output: [] };
    const key = tenantKey(request.tenantId);
    const sandbox = await this.#pool.acquire(key).catch((e: unknown) => {
      throw this.#disposed ? new DisposedError('PythonEngine', { cause: e }) : e;
    });
    try {
      const limits = {
        maxOutputLines: request.maxOutputLines ?? PYTHON_DEFAULT_CAPS.maxOutputLines,
        maxOutputChars: request.maxOutputBytes ?? PYTHON_DEFAULT_CAPS.maxOutputBytes,
        maxResultChars: request.maxResultBytes ?? PYTHON_DEFAULT_CAPS.maxResultBytes,
        maxDepth: request.maxResultDepth ?? PYTHON_DEFAULT_CAPS.maxResultDepth,
        heapLimitBytes: Math.min(request.memoryLimitBytes, ready.runtime.wasmMaxPages * 65_536),
      };
      const { outcome } = await sandbox.run(request.script, JSON.stringify(request.inputs), limits, request.timeoutMs, request.signal);
      return outcome;
    } finally {
      this.#pool.release(key, sandbox); // a discarded sandbox is disposed, not pooled
    }
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#pool.close();
    const ready = await this.#ready?.catch(() => undefined);
    if (ready?.packages) releasePackageSet(ready.packages);
  }

  #assertAlive(): void {
    if (this.#disposed) throw new DisposedError('PythonEngine');
  }

  #init(): Promise<Ready> {
    this.#ready ??= (async () => {
      const runtime = await getPyodideRuntime(this.#options.maxMemoryBytes);
      const loadingPackages = this.#options.packageDir
        ? loadPackageSet(runtime.dist.lockJson, {
            packageDir: this.#options.packageDir,
            ...(this.#options.lockFile ? { lockFile: this.#options.lockFile } : {}),
          })
        : Promise.resolve(undefined);
      // All at once: the wasm module compiles in V8's background threads meanwhile (pyodide-runtime.ts).
      const [packages, snapshot] = await Promise.all([
        loadingPackages,
        getSnapshot(runtime, {
          cacheDir: this.#cacheDir,
          jsHeapLimitMb: this.#options.jsHeapLimitMb,
          wasmBudgetPages: WASM_BUDGET_PAGES,
          bootTimeoutMs: this.#options.bootTimeoutMs,
        }),
        loadCodeCache(runtime, this.#cacheDir),
        runtime.wasmModule, // a module that fails to compile fails the start, which a later call retries
      ]).catch(async (e: unknown) => {
        const loaded = await loadingPackages.catch(() => undefined);
        if (loaded) releasePackageSet(loaded); // the wheels' copies, when something else failed
        throw e;
      });
      return { runtime, snapshot, packages };
    })().catch((e: unknown) => {
      this.#ready = undefined; // a later call may succeed (e.g. after fixing packageDir)
      throw e;
    });
    return this.#ready;
  }

  async #createSandbox(_tenant: string): Promise<PyodideIsolate> {
    const ready = await this.#init();
    const sandbox = await PyodideIsolate.create({
      runtime: ready.runtime,
      snapshot: ready.snapshot,
      ...(ready.packages ? { packages: ready.packages } : {}),
      jsHeapLimitMb: this.#options.jsHeapLimitMb,
      wasmBudgetPages: WASM_BUDGET_PAGES,
      bootTimeoutMs: this.#options.bootTimeoutMs,
      ...(this.#options.snapshotRestore ? { snapshotRestore: this.#options.snapshotRestore } : {}),
    });
    await saveCodeCache(ready.runtime, this.#cacheDir); // once per process, after the first isolate made it
    return sandbox;
  }
}

function checkRequest(r: ScriptRequest): void {
  const bad = (detail: string) => new InvalidInputError('invalid Python script request', detail, { hint: 'build requests with the interpreter node, or follow ScriptRequest in src/binding-core/interpreter-types.ts' });
  if (typeof r.script !== 'string') throw bad('script must be a string');
  if (typeof r.inputs !== 'object' || r.inputs === null || Array.isArray(r.inputs)) throw bad('inputs must be an object of name → JSON value');
  if (!(Number.isFinite(r.timeoutMs) && r.timeoutMs > 0)) throw bad(`timeoutMs must be a positive number, got ${String(r.timeoutMs)}`);
  if (!(Number.isFinite(r.memoryLimitBytes) && r.memoryLimitBytes > 0)) throw bad(`memoryLimitBytes must be a positive number, got ${String(r.memoryLimitBytes)}`);
}

function tenantKey(tenantId: string | undefined): string {
  return tenantId === undefined ? '\0anonymous' : `tenant:${tenantId}`;
}
