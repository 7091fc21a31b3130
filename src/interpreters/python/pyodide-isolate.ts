/**
 * One Pyodide isolate: boots (cold or from a snapshot), runs scripts one at a time, and reports
 * when it must be thrown away (after any timeout, MemoryError, recursion bomb or JS-level error,
 * Python's state may be corrupt).
 *
 * The isolate receives only copies: file bytes, the compiled wasm module, a random seed, the
 * snapshot, strings. It holds no host `Reference`; the host holds references to the guest's
 * functions, taken before any tenant code runs.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type ivm from 'isolated-vm';
import { isolatedVm } from '../../platform/isolated-vm.js';
import { BtreePluginsError, InternalError, LimitExceededError } from '../../errors.js';
import type { JsonValue, ScriptError, ScriptErrorKind, ScriptOutcome } from '../../binding-core/interpreter-types.js';
import { RESEED_PY, RUNNER_PY, SNAPSHOT_WARM_IMPORTS_PY } from './guest-sources.js';
import { packageClosure, type PackageSet } from './packages.js';
import { wasmModuleTransfer, type PyodideRuntime } from './pyodide-runtime.js';
import type { PyodideSnapshot } from './snapshot.js';

/** How to create a {@link PyodideIsolate}. */
export interface PyodideIsolateOptions {
  runtime: PyodideRuntime;
  /** Memory snapshot to start from (made by us, never by a tenant). */
  snapshot?: PyodideSnapshot;
  /**
   * How the snapshot's heap is written into the new memory: `sparse` (default) leaves its zero pages
   * alone where the memory is still zero, so they never become resident; `whole` writes every page
   * (zeros too), as Pyodide's own copy does; `verify` is `sparse` followed by a byte-for-byte
   * comparison with the image (boot fails on a difference; slow, for tests).
   */
  snapshotRestore?: SnapshotRestore;
  /** Boot cold in "snapshot maker" mode: only {@link PyodideIsolate.makeSnapshot} may be called. */
  makeSnapshot?: boolean;
  /** Wheels the scripts may import. */
  packages?: PackageSet;
  /** isolated-vm `memoryLimit` (V8 heap of the isolate), in MB. */
  jsHeapLimitMb: number;
  /** Budget for wasm memories created at run time besides Pyodide's own, in wasm pages. */
  wasmBudgetPages: number;
  bootTimeoutMs: number;
}

/** See {@link PyodideIsolateOptions.snapshotRestore}. */
export type SnapshotRestore = 'sparse' | 'whole' | 'verify';

/** Per-run limits passed into the guest. */
export interface GuestRunLimits {
  maxOutputLines: number;
  maxOutputChars: number;
  maxResultChars: number;
  maxDepth: number;
  /** Soft cap on Pyodide's heap for this run; the hard cap is the runtime's. */
  heapLimitBytes: number;
}

/** The outcome of one run and whether the isolate must be discarded. */
export interface IsolateRunResult {
  outcome: ScriptOutcome;
  discard: boolean;
}

/** The sandbox failed to boot. */
export class PythonSandboxBootError extends BtreePluginsError {
  constructor(detail: string, options?: { cause?: unknown; hint?: string }) {
    super('PYTHON_BOOT_FAILED', 'Python sandbox failed to start', detail, options);
  }
}

type GuestFn = ivm.Reference<(...args: unknown[]) => unknown>;

interface GuestRefs {
  boot: GuestFn;
  run: GuestFn;
  loadPackages: GuestFn;
  makeSnapshot: GuestFn;
  runTimers: GuestFn;
  drainConsole: GuestFn;
}

interface GuestEnvelope {
  r: { ok: true; value: JsonValue } | { ok: false; kind: string; message: string; line: number | null; fatal: boolean };
  out: string[];
  truncated: boolean;
  /** Whole lines dropped past the caps. */
  dropped: number;
}

/** The bundle's script name in every isolate (part of what V8's compilation cache matches on). */
const BUNDLE_FILENAME = 'pyodide-sandbox.js';

const GUEST_KINDS = new Set<ScriptErrorKind>(['syntax', 'runtime', 'memory', 'result']);

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Replaces the runtime's code cache with one made in `isolate` right after its boot, before any
 * script ran: compiling the same source again hits V8's compilation cache, whose code cache then
 * includes every function the boot compiled (≈1.2 MB instead of ≈40 KB). Later isolates, and
 * restarted workers through the disk cache, skip those compiles.
 */
async function warmCodeCache(isolate: ivm.Isolate, runtime: PyodideRuntime): Promise<void> {
  const again: ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> } = await isolate.compileScript(runtime.dist.bundleSource, {
    filename: BUNDLE_FILENAME,
    produceCachedData: true,
  });
  if (again.cachedData) {
    runtime.codeCache = again.cachedData;
    runtime.codeCacheWarm = true;
  }
  again.release();
}

/**
 * A Pyodide interpreter inside its own isolated-vm isolate. (Not the tenant sandbox of `src/sandbox/`,
 * which runs custom nodes.)
 */
export class PyodideIsolate {
  readonly #isolate: ivm.Isolate;
  readonly #refs: GuestRefs;
  #busy = false;
  #discarded = false;
  /** Why the host disposed the isolate while a run was in flight. */
  #killReason: 'timeout' | 'aborted' | undefined;
  /** Milliseconds the boot took. */
  readonly bootMs: number;
  /** Pyodide's heap size right after boot, in bytes. */
  readonly heapBytesAtBoot: number;
  /** Bytes of the snapshot's heap image the boot left unwritten (zero pages, never made resident). */
  readonly snapshotBytesSkipped: number;

  readonly #packages: PackageSet | undefined;
  /** Lock keys of the wheels already copied into the isolate. */
  readonly #wheelsSent = new Set<string>();
  #wheelBytes = 0;

  private constructor(
    isolate: ivm.Isolate,
    refs: GuestRefs,
    boot: { bootMs: number; heapBytes: number; restoreSkippedBytes: number },
    packages: PackageSet | undefined,
  ) {
    this.#isolate = isolate;
    this.#refs = refs;
    this.#packages = packages;
    this.bootMs = boot.bootMs;
    this.heapBytesAtBoot = boot.heapBytes;
    this.snapshotBytesSkipped = boot.restoreSkippedBytes;
  }

  /** Creates an isolate, evaluates the bundle and boots Pyodide in it. */
  static async create(options: PyodideIsolateOptions): Promise<PyodideIsolate> {
    const started = performance.now();
    const { runtime } = options;
    const isolate = new (isolatedVm().Isolate)({ memoryLimit: options.jsHeapLimitMb });
    let refs: GuestRefs | undefined;
    try {
      const context = await isolate.createContext();
      const script: ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> } = await isolate.compileScript(runtime.dist.bundleSource, {
        filename: BUNDLE_FILENAME,
        ...(runtime.codeCache ? { cachedData: runtime.codeCache } : { produceCachedData: true }),
      });
      if (!runtime.codeCache && script.cachedData) runtime.codeCache = script.cachedData;
      else if (runtime.codeCache && (script as { cachedDataRejected?: boolean }).cachedDataRejected === true) {
        runtime.codeCache = undefined; // V8 refused it (another build or flags): the next isolate makes a new one
        runtime.codeCacheFromDisk = false;
        runtime.codeCacheWarm = false;
      }
      await script.run(context, { timeout: options.bootTimeoutMs });
      script.release();
      const host = (await context.global.get('__btpHost', { reference: true })) as ivm.Reference<Record<string, unknown>>;
      const fn = async (name: keyof GuestRefs) => (await host.get(name, { reference: true })) as GuestFn;
      refs = {
        boot: await fn('boot'),
        run: await fn('run'),
        loadPackages: await fn('loadPackages'),
        makeSnapshot: await fn('makeSnapshot'),
        runTimers: await fn('runTimers'),
        drainConsole: await fn('drainConsole'),
      };
      host.release();
      await context.eval('delete globalThis.__btpHost');

      const packages = options.packages;
      const cfg = {
        makeSnapshot: options.makeSnapshot === true,
        wasmMaxPages: runtime.wasmMaxPages,
        wasmBudgetPages: options.wasmBudgetPages,
        packageFiles: packages?.files.map((f) => f.fileName) ?? [],
        packageNames: packages?.files.map((f) => f.name) ?? [],
        importMap: packages?.importMap ?? {},
        warmImports: SNAPSHOT_WARM_IMPORTS_PY,
        reseed: RESEED_PY,
        runner: RUNNER_PY,
        snapshotRestore: options.snapshotRestore ?? 'sparse',
      };
      const wasmModule = await runtime.wasmModule; // compiled meanwhile, off this thread (see pyodide-runtime.ts)
      const lock = packages?.lock ?? new (isolatedVm().ExternalCopy)(toArrayBuffer(new TextEncoder().encode(runtime.dist.lockJson)));
      const rest: ivm.Transferable[] = [
        new (isolatedVm().ExternalCopy)(toArrayBuffer(randomBytes(32))).copyInto({ release: true }),
        options.snapshot?.image.copyInto(),
        lock.copyInto(),
        runtime.stdlib.copyInto(),
        options.snapshot?.layout?.copyInto(),
      ];
      if (!packages) lock.release();
      // The module's copy is made last, right at the call that moves it into the isolate: a copy
      // left behind on the host would keep the process from exiting (see pyodide-runtime.ts).
      const info = await pumpUntilSettled(
        refs.boot.apply(undefined, [JSON.stringify(cfg), wasmModuleTransfer(wasmModule), ...rest], {
          result: { promise: true, copy: true },
          timeout: options.bootTimeoutMs,
        }),
        refs.runTimers,
        Date.now() + options.bootTimeoutMs,
      );
      if (options.snapshot && !runtime.codeCacheFromDisk && !runtime.codeCacheWarm) await warmCodeCache(isolate, runtime);
      const { heapBytes, restoreSkippedBytes } = JSON.parse(String(info)) as { heapBytes: number; restoreSkippedBytes: number };
      return new PyodideIsolate(isolate, refs, { bootMs: performance.now() - started, heapBytes, restoreSkippedBytes }, packages);
    } catch (cause) {
      let console = '';
      try {
        if (refs && !isolate.isDisposed) {
          const lines = JSON.parse(String(await refs.drainConsole.apply(undefined, [], { timeout: 1000 }))) as string[];
          console = lines.slice(-5).join(' | ');
        }
      } catch {
        // the isolate is gone; the original failure is what matters
      }
      if (!isolate.isDisposed) isolate.dispose();
      throw new PythonSandboxBootError(`${messageOf(cause)}${console ? ` (isolate console: ${console})` : ''}`, {
        cause,
        hint: 'check that pyodide is installed at the pinned version and that the memory limits leave room for Pyodide (about 64 MB)',
      });
    }
  }

  /**
   * Bytes of wheels copied into this isolate so far. A wheel is copied only when a script first
   * imports it (with its dependencies), so an isolate whose scripts import nothing holds none.
   */
  get wheelBytesCopied(): number {
    return this.#wheelBytes;
  }

  /** False once disposed or after a run that left the interpreter in doubt. */
  get usable(): boolean {
    return !this.#discarded && !this.#isolate.isDisposed;
  }

  /** Bytes of V8 heap the isolate uses (JS side only; wasm memory is not included). */
  heapStatistics(): ivm.HeapStatistics {
    return this.#isolate.getHeapStatisticsSync();
  }

  /**
   * Runs one script. Never rejects for what the script does; `discard` tells the caller to dispose
   * this sandbox instead of reusing it.
   */
  async run(
    script: string,
    inputsJson: string,
    limits: GuestRunLimits,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<IsolateRunResult> {
    if (!this.usable) throw new InternalError('Python run refused', 'PyodideIsolate.run on a discarded isolate');
    if (this.#busy) throw new InternalError('Python run refused', 'PyodideIsolate.run while another run is in flight');
    this.#busy = true;
    const deadline = Date.now() + timeoutMs;
    const onAbort = () => this.#kill('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    // The isolate's own timeout stops a busy script; this wall timer also covers time spent
    // waiting (e.g. package loading) and any case where the first one does not fire.
    const wall = setTimeout(() => this.#kill('timeout'), timeoutMs + 250);
    try {
      if (signal?.aborted) return this.#failure('aborted', 'the run was aborted before it started', [], false, true);
      const limitsJson = JSON.stringify(limits);
      for (let attempt = 0; attempt < 3; attempt++) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return this.#failure('timeout', `the script ran longer than ${timeoutMs} ms`, [], false, true);
        const text = String(
          await this.#refs.run.apply(undefined, [script, inputsJson, limitsJson], { result: { copy: true }, timeout: remaining }),
        );
        const needed = text.startsWith('{"needPackages"') ? (JSON.parse(text) as { needPackages: string[] }).needPackages : undefined;
        if (!needed) return this.#decode(text, limits);
        const wheels = this.#packages ? packageClosure(this.#packages, needed).filter((f) => !this.#wheelsSent.has(f.name)) : [];
        for (const f of wheels) {
          this.#wheelsSent.add(f.name);
          this.#wheelBytes += f.size;
        }
        const loaded = JSON.parse(
          String(
            await pumpUntilSettled(
              this.#refs.loadPackages.apply(undefined, [JSON.stringify(needed), JSON.stringify(wheels.map((f) => f.fileName)), ...wheels.map((f) => f.bytes.copyInto())], {
                result: { promise: true, copy: true },
                timeout: Math.max(1, deadline - Date.now()),
              }),
              this.#refs.runTimers,
              deadline,
            ),
          ),
        ) as { errors: string[] };
        if (loaded.errors.length) {
          return this.#failure('runtime', `loading package(s) ${needed.join(', ')} failed: ${loaded.errors.join('; ')}`, [], false, true);
        }
      }
      return this.#failure('runtime', 'packages could not be loaded', [], false, true);
    } catch (e) {
      return this.#hostSideFailure(e, timeoutMs);
    } finally {
      clearTimeout(wall);
      signal?.removeEventListener('abort', onAbort);
      this.#busy = false;
    }
  }

  /** Takes a memory snapshot (only in an isolate created with `makeSnapshot`). */
  async makeSnapshot(): Promise<Uint8Array> {
    const buffer = (await this.#refs.makeSnapshot.apply(undefined, [], { result: { copy: true }, timeout: 60_000 })) as ArrayBuffer;
    return new Uint8Array(buffer);
  }

  /** Disposes the isolate. Idempotent. */
  dispose(): void {
    this.#discarded = true;
    if (!this.#isolate.isDisposed) this.#isolate.dispose();
  }

  #kill(reason: 'timeout' | 'aborted'): void {
    this.#killReason ??= reason;
    this.dispose();
  }

  #decode(text: string, limits: GuestRunLimits): IsolateRunResult {
    // Guest output is untrusted (a script can tamper with the harness): check its shape and size.
    const budget = limits.maxResultChars + limits.maxOutputChars * 2 + limits.maxOutputLines * 4 + 4096;
    if (text.length > budget) return this.#failure('result', 'the interpreter returned more data than the limits allow', [], false, true);
    let env: GuestEnvelope;
    try {
      env = JSON.parse(text) as GuestEnvelope;
    } catch {
      return this.#failure('result', 'the interpreter returned a malformed result', [], false, true);
    }
    const lines = Array.isArray(env.out) ? env.out.filter((l): l is string => typeof l === 'string') : [];
    const truncated = env.truncated === true;
    const output = truncated ? [...lines, truncationMarker(Number(env.dropped) || 0)] : lines;
    const r = env.r;
    if (r && r.ok === true) return { outcome: { ok: true, value: r.value ?? null, output, ...(truncated ? { truncatedOutput: true } : {}) }, discard: false };
    if (!r || r.ok !== false) return this.#failure('result', 'the interpreter returned a malformed result', output, truncated, true);
    const internal = !GUEST_KINDS.has(r.kind as ScriptErrorKind);
    const message = String(r.message).slice(0, 2000);
    const kind: ScriptErrorKind = internal ? (/call stack|stack size|memory/i.test(message) ? 'memory' : 'runtime') : (r.kind as ScriptErrorKind);
    const error: ScriptError = {
      kind,
      message: internal ? `the Python runtime failed: ${message}` : message,
      ...(typeof r.line === 'number' && r.line > 0 ? { line: r.line } : {}),
    };
    const discard = internal || r.fatal === true;
    if (discard) this.dispose();
    return { outcome: { ok: false, error, output, ...(truncated ? { truncatedOutput: true } : {}) }, discard };
  }

  #failure(kind: ScriptErrorKind, message: string, output: string[], truncated: boolean, discard: boolean): IsolateRunResult {
    if (discard) this.dispose();
    return { outcome: { ok: false, error: { kind, message }, output, ...(truncated ? { truncatedOutput: true } : {}) }, discard };
  }

  #hostSideFailure(e: unknown, timeoutMs: number): IsolateRunResult {
    const message = messageOf(e);
    const reason = this.#killReason;
    this.dispose();
    if (reason === 'aborted') return this.#failure('aborted', 'the run was aborted', [], false, true);
    if (reason === 'timeout' || /timed out/i.test(message)) {
      return this.#failure('timeout', `the script ran longer than ${timeoutMs} ms`, [], false, true);
    }
    if (/memory limit|allocation failed|out of memory/i.test(message)) {
      return this.#failure('memory', 'the script exceeded the interpreter memory limit', [], false, true);
    }
    return this.#failure('runtime', `the Python sandbox failed: ${message.slice(0, 500)}`, [], false, true);
  }
}

/** The line appended to truncated output (same wording as the JavaScript engine). */
function truncationMarker(dropped: number): string {
  return dropped > 0 ? `… output truncated: ${dropped} more line${dropped === 1 ? '' : 's'} dropped` : '… output truncated';
}

/**
 * Waits for an isolate promise while draining the isolate's timer queue (the guest has no host
 * timers; it queues callbacks that the host runs from here).
 */
async function pumpUntilSettled(promise: Promise<unknown>, runTimers: GuestFn, deadline: number): Promise<unknown> {
  let settled = false;
  const done = promise.finally(() => {
    settled = true;
  });
  done.catch(() => {});
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (settled) break;
    if (Date.now() > deadline) throw new LimitExceededError('wallTime', 'Python run stopped', 'timed out while waiting for the isolate');
    await runTimers.apply(undefined, [], { timeout: Math.max(1, deadline - Date.now()) });
  }
  return done;
}
