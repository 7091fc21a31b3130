/**
 * `QuickJsEngine`: the pool of worker threads that run QuickJS (private module behind
 * `javascript.ts`, which re-exports the engine).
 *
 * Where scripts run: QuickJS runs in a small pool of worker threads (default one), because some
 * builtins never poll QuickJS's interrupt handler (a catastrophic regex, `new Array(1e9).join()`):
 * the host terminates a worker that misses its hard deadline (timeout + grace) and starts a new one.
 * The host's event loop never waits on a script. The worker's own code is javascript-guest/worker.cjs.
 *
 * Protocol: host → worker `{ id, script, inputsIndex, inputsText, timeoutMs, memoryLimitBytes, maxResult, maxLines,
 * maxChars, maxDepth }`; worker → host `{ ready: true }` once, then per job `{ id, envelope }` (a
 * successful run: the prelude's envelope text, length-checked by the worker and parsed and checked
 * here), `{ id, outcome }` (a failure, described by the worker) or `{ id, crash }` (plus `leak` in
 * debug mode), or `{ fatal }` when QuickJS cannot load. `{ id, crash, notRun: true }` means the worker
 * is broken and did not start the job (it is retired and the job queued again); `{ broken }` says so
 * unprompted. The host sets `abort[0] = 1` (a SharedArrayBuffer) to cancel the current job; the
 * worker's interrupt handler reads it.
 *
 * Every run starts from a pristine QuickJS runtime and context (prelude evaluated, nothing of any
 * tenant in it), with memory and stack limits and an interrupt handler for the deadline. By default
 * the worker builds that runtime once and, after each run, copies back the wasm memory it had then
 * (a restore point: static data and heap, see `quickjs-memory-layout.ts`), which costs ≈ 10 µs where
 * building and disposing a runtime costs ≈ 0.25 ms. With `restoreMemory: false`, or when the build's
 * layout is not recognised, it builds a new runtime per run, prepared right after the previous reply.
 * With `debug: true` it builds it when the job arrives, so its leak sanitizer sees every path.
 * @module
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { DisposedError, InternalError, MissingDependencyError } from '../errors.js';
import { guestSource } from '../guest-source.js';
import { CHECKER_SOURCE, CONSOLE_SOURCE, DESCRIBE_SOURCE, PRELUDE_FILENAME, PRELUDE_INTRINSICS, PRELUDE_SOURCE, SCRIPT_FILENAME } from './javascript-prelude.js';
import { outcomeFromEnvelope } from './javascript-envelope.js';
import { checkRequest, failure, finalizeOutcome, type SerializedInputs } from './javascript-request.js';
import { quickJsMemoryLayout, type QuickJsMemoryLayout } from './quickjs-memory-layout.js';
import { formatMs, JAVASCRIPT_LIMITS } from '../binding-core/interpreter-props.js';
import type { InterpreterEngine, ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';

/** Options of {@link QuickJsEngine}. */
export interface QuickJsEngineOptions {
  /** Worker threads running QuickJS; runs beyond that wait in a queue (their timeout starts when they start). Default 1. */
  poolSize?: number;
  /** QuickJS stack limit in bytes (recursion bombs fail with kind `memory`). Default 256 KB, at most 1 MB. */
  maxStackBytes?: number;
  /** Time after the deadline before a worker stuck in a builtin is terminated. Default 500 ms. */
  hardKillGraceMs?: number;
  /** Extra memory granted after a failure, to describe the error and collect the output. Default 1 MB. */
  reportingHeadroomBytes?: number;
  /** V8 heap cap of each worker (it only holds JSON texts; QuickJS memory is capped per run). Default 128 MB. */
  workerHeapMb?: number;
  /**
   * Builtins of each context. `lean` (default) leaves out typed arrays (`ArrayBuffer`, `Uint8Array`,
   * `DataView`, `SharedArrayBuffer`), `Proxy` and `BigInt`: inline data scripts rarely need them,
   * they are where most QuickJS memory-safety bugs were found, and a context without them starts
   * ≈25% faster. `standard` is quickjs-emscripten's default set.
   */
  intrinsics?: 'lean' | 'standard';
  /**
   * How each run gets its pristine runtime. `true` (default): the worker prepares one runtime and,
   * after every run, copies back the wasm memory it had before any tenant code ran (static data and
   * heap), with a new `Math.random` seed: every byte QuickJS owns is as it was, ≈ 10 µs per run.
   * `false`: a new QuickJS runtime per run, disposed after it (≈ 0.25 ms more per run; the next one is
   * prepared while the worker is idle). A build whose memory layout is not recognised falls back to
   * `false` on its own.
   */
  restoreMemory?: boolean;
  /**
   * Test mode: after every restore, the worker checks that the run wrote nothing between the static
   * data and the deepest stack QuickJS may use (what the restore skips); a write there retires the
   * worker. Costs a scan of ≈ 4 MB per run.
   * @internal
   */
  verifyRestore?: boolean;
  /**
   * Test mode: the memory layout to restore by, instead of the one read from the QuickJS build.
   * @internal
   */
  memoryLayout?: QuickJsMemoryLayout;
  /**
   * Test mode: the debug build of QuickJS, with its leak sanitizer run after every job. Leaks are
   * collected in {@link QuickJsEngine.leaks}. Roughly 100× slower: for tests only.
   */
  debug?: boolean;
}

/** The worker thread's code (javascript-guest/worker.cjs), started with `eval: true`. */
const WORKER_SOURCE = guestSource('interpreters/javascript-guest/worker.cjs');

const DEFAULT_STACK_BYTES = 256 * 1024;
/** The `lean` context: ECMAScript basics, Date, eval/Function, RegExp, JSON, Map/Set, Promise. */
const LEAN_INTRINSICS = Object.freeze({ BaseObjects: true, Date: true, Eval: true, StringNormalize: true, RegExp: true, JSON: true, MapSet: true, Promise: true });
/**
 * Native stack of a worker. Wasm frames live on it, and QuickJS's own stack check only sees its
 * shadow stack, so the native stack is made large enough for QuickJS to report overflow first in
 * practice; when it does not (deep parser recursion), the worker is restarted and the run fails
 * with kind `memory`.
 */
const WORKER_STACK_MB = 32;
/** Far below the wasm build's own C stack, so QuickJS always reports overflow before wasm traps. */
const MAX_STACK_BYTES = 1024 * 1024;

interface Job {
  request: ScriptRequest;
  inputs: SerializedInputs;
  resolve(outcome: ScriptOutcome): void;
  reject(error: unknown): void;
  onAbort?: () => void;
}

interface WorkerReply {
  id?: number;
  ready?: boolean;
  fatal?: string;
  /** A successful run: the prelude's envelope text, parsed and checked here (see {@link outcomeFromEnvelope}). */
  envelope?: string;
  /** A failed run, described by the worker. */
  outcome?: ScriptOutcome;
  crash?: string;
  stackOverflow?: boolean;
  /** With `crash`: the worker was already broken and did not start the job, so it can run elsewhere. */
  notRun?: boolean;
  /** Unprompted: the worker's QuickJS memory may be inconsistent; it must not run another job. */
  broken?: string;
  leak?: string | null;
  /** With `ready`: how the worker isolates runs. */
  isolation?: WorkerIsolation;
}

/** How a worker gives each run a pristine runtime: a memory restore, or a new QuickJS runtime. */
export type WorkerIsolation = 'restore' | 'fresh-runtime';

/** One worker thread and the job it runs. */
class Slot {
  readonly worker: Worker;
  readonly abort: Int32Array;
  readonly ready: Promise<void>;
  current: { id: number; job: Job; timer: NodeJS.Timeout | undefined } | undefined;
  dead = false;
  /** When this worker last replied (performance.now()), to prefer the worker idle longest. */
  finishedAt = 0;
  /** How this worker isolates runs (known once it is ready). */
  isolation: WorkerIsolation | undefined;

  constructor(workerData: Record<string, unknown>, heapMb: number, onReply: (slot: Slot, reply: WorkerReply) => void, onExit: (slot: Slot, why: string) => void) {
    const abortBuffer = new SharedArrayBuffer(4);
    this.abort = new Int32Array(abortBuffer);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ...workerData, abortBuffer },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: WORKER_STACK_MB },
      // The worker needs no loader flags and no environment: only QuickJS runs in it.
      execArgv: [],
      env: {},
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    let settle!: (error?: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (reply: WorkerReply) => {
      if (reply.ready) {
        this.isolation = reply.isolation;
        settle();
      }
      else if (reply.fatal !== undefined) {
        settle(new MissingDependencyError('quickjs-emscripten', 'JavaScriptInterpreter', { cause: new Error(reply.fatal) }));
        onExit(this, `the QuickJS worker could not start: ${reply.fatal}`);
      } else onReply(this, reply);
    });
    this.worker.on('error', (e) => {
      settle(e);
      onExit(this, `the QuickJS worker failed: ${e.message}`);
    });
    this.worker.on('exit', (code) => {
      settle(new InternalError('QuickJS worker failed', `the QuickJS worker exited with code ${code}`));
      onExit(this, `the QuickJS worker exited with code ${code}`);
    });
  }
}

/**
 * Runs JavaScript in QuickJS, in worker threads. One instance serves any number of tenants: every
 * run starts from a pristine QuickJS runtime (see {@link QuickJsEngineOptions.restoreMemory}), so runs cannot see each other.
 *
 * @example
 * ```ts
 * const engine = new QuickJsEngine();
 * const out = await engine.run({ script: 'result = a + 1', inputs: { a: 41 }, timeoutMs: 500, memoryLimitBytes: 32 << 20 });
 * // out = { ok: true, value: 42, output: [] }
 * await engine.dispose();
 * ```
 */
export class QuickJsEngine implements InterpreterEngine {
  readonly language = 'javascript' as const;
  /** Leaks reported by the debug build (only with `debug: true`). */
  readonly leaks: string[] = [];
  readonly #poolSize: number;
  readonly #graceMs: number;
  readonly #heapMb: number;
  readonly #workerData: Record<string, unknown>;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #disposed = false;
  #restarts = 0;

  constructor(options: QuickJsEngineOptions = {}) {
    this.#poolSize = Math.max(1, Math.floor(options.poolSize ?? 1));
    this.#graceMs = options.hardKillGraceMs ?? 500;
    this.#heapMb = options.workerHeapMb ?? 128;
    const quickjsPath = resolveQuickJs();
    const maxStackBytes = Math.min(options.maxStackBytes ?? DEFAULT_STACK_BYTES, MAX_STACK_BYTES);
    this.#workerData = {
      quickjsPath,
      prelude: PRELUDE_SOURCE,
      checker: CHECKER_SOURCE,
      describe: DESCRIBE_SOURCE,
      console: CONSOLE_SOURCE,
      intrinsicPaths: [...PRELUDE_INTRINSICS],
      preludeFilename: PRELUDE_FILENAME,
      scriptFilename: SCRIPT_FILENAME,
      maxStackBytes,
      memoryLayout: options.restoreMemory === false ? undefined : (options.memoryLayout ?? quickJsMemoryLayout(quickjsPath, MAX_STACK_BYTES)),
      verifyRestore: options.verifyRestore === true,
      headroomBytes: options.reportingHeadroomBytes ?? 1024 * 1024,
      debug: options.debug === true,
      intrinsics: (options.intrinsics ?? 'lean') === 'lean' ? { ...LEAN_INTRINSICS } : undefined,
    };
  }

  /** Worker threads alive now. */
  get liveWorkers(): number {
    return this.#slots.length;
  }

  /** Workers terminated because a run missed its hard deadline or crashed (for metrics and tests). */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * How the live workers isolate runs (`restore` unless `restoreMemory: false`, the debug build, or a
   * QuickJS build whose layout is not recognised). For tests and diagnostics.
   * @internal
   */
  get workerIsolation(): WorkerIsolation[] {
    return this.#slots.flatMap((s) => (s.isolation ? [s.isolation] : []));
  }

  /** False after {@link dispose}. */
  get alive(): boolean {
    return !this.#disposed;
  }

  /** Starts the workers now instead of on the first run (QuickJS load ≈ 40 ms each). */
  async warmUp(): Promise<void> {
    if (this.#disposed) throw new DisposedError('QuickJsEngine');
    while (this.#slots.length < this.#poolSize) this.#spawn();
    await Promise.all(this.#slots.map((s) => s.ready));
  }

  run(request: ScriptRequest): Promise<ScriptOutcome> {
    if (this.#disposed) return Promise.reject(new DisposedError('QuickJsEngine'));
    let inputs: SerializedInputs;
    try {
      inputs = checkRequest(request);
    } catch (e) {
      return Promise.reject(e);
    }
    if (request.signal?.aborted) return Promise.resolve(failure('aborted', 'the run was cancelled before it started', []));
    return new Promise<ScriptOutcome>((resolve, reject) => {
      const job: Job = { request, inputs, resolve, reject };
      const signal = request.signal;
      if (signal) {
        job.onAbort = () => this.#abortJob(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const queued = this.#queue.splice(0);
    for (const job of queued) this.#finish(job, undefined, new DisposedError('QuickJsEngine'));
    const slots = this.#slots.splice(0);
    for (const slot of slots) {
      slot.dead = true;
      if (slot.current) {
        clearTimeout(slot.current.timer);
        this.#finish(slot.current.job, undefined, new DisposedError('QuickJsEngine'));
        slot.current = undefined;
      }
    }
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  #spawn(): Slot {
    const slot = new Slot(this.#workerData, this.#heapMb, (s, r) => this.#onReply(s, r), (s, why) => this.#onExit(s, why));
    this.#slots.push(slot);
    return slot;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      // The idle worker that finished longest ago: a worker prepares its next runtime right after it
      // replies, so the one idle longest is the likeliest to have it ready.
      let slot: Slot | undefined;
      for (const s of this.#slots) if (!s.current && !s.dead && (!slot || s.finishedAt < slot.finishedAt)) slot = s;
      if (!slot && this.#slots.length < this.#poolSize) slot = this.#spawn();
      if (!slot) return;
      const job = this.#queue.shift() as Job;
      this.#start(slot, job);
    }
  }

  #start(slot: Slot, job: Job): void {
    const id = this.#nextId++;
    const { request } = job;
    slot.current = { id, job, timer: undefined };
    Atomics.store(slot.abort, 0, 0);
    slot.worker.ref();
    slot.ready.then(
      () => {
        if (slot.current?.id !== id || slot.dead) return;
        slot.current.timer = setTimeout(() => this.#hardKill(slot, id), request.timeoutMs + this.#graceMs);
        slot.worker.postMessage({
          id,
          script: request.script,
          inputsIndex: job.inputs.index,
          inputsText: job.inputs.texts,
          timeoutMs: request.timeoutMs,
          memoryLimitBytes: request.memoryLimitBytes,
          maxResult: request.maxResultBytes ?? JAVASCRIPT_LIMITS.maxResultBytes,
          maxLines: request.maxOutputLines ?? JAVASCRIPT_LIMITS.maxOutputLines,
          maxChars: request.maxOutputBytes ?? JAVASCRIPT_LIMITS.maxOutputBytes,
          maxDepth: request.maxResultDepth ?? JAVASCRIPT_LIMITS.maxDepth,
        });
      },
      (error: unknown) => {
        if (slot.current?.id !== id) return;
        slot.current = undefined;
        this.#finish(job, undefined, error);
      },
    );
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    if (reply.broken !== undefined && reply.id === undefined) {
      // A run in flight gets a `notRun` crash reply and is queued again; an idle worker is replaced now.
      if (!slot.current) {
        this.#retire(slot);
        this.#pump();
      }
      return;
    }
    const current = slot.current;
    if (!current || reply.id !== current.id) return;
    clearTimeout(current.timer);
    slot.current = undefined;
    slot.finishedAt = performance.now();
    slot.worker.unref();
    if (reply.leak) this.leaks.push(reply.leak);
    if (reply.crash !== undefined && reply.notRun === true) {
      this.#retire(slot);
      this.#queue.unshift(current.job);
      this.#pump();
      return;
    }
    if (reply.envelope !== undefined && reply.crash === undefined) {
      const outcome = outcomeFromEnvelope(reply.envelope, current.job.request);
      if (outcome) this.#finish(current.job, outcome);
      else {
        // Only a QuickJS that no longer behaves as built could produce this: do not reuse it.
        this.#retire(slot);
        this.#finish(current.job, failure('runtime', 'the JavaScript interpreter returned a malformed result and was restarted', []));
      }
    } else if (reply.crash !== undefined || !reply.outcome) {
      // A trap inside QuickJS may leave the wasm memory inconsistent: replace the worker.
      this.#retire(slot);
      this.#finish(
        current.job,
        reply.stackOverflow
          ? failure('memory', `stack overflow: the script nests or recurses too deeply (the interpreter was restarted)`, [])
          : failure('runtime', `the JavaScript interpreter crashed (${reply.crash ?? 'no outcome'}) and was restarted`, []),
      );
    } else {
      this.#finish(current.job, finalizeOutcome(reply.outcome, current.job.request));
    }
    this.#pump();
  }

  #onExit(slot: Slot, why: string): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#restarts++;
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    const current = slot.current;
    slot.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      this.#finish(current.job, failure('runtime', `${why}; the interpreter was restarted`, []));
    }
    if (!this.#disposed) this.#pump();
  }

  #retire(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    this.#restarts++;
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    void slot.worker.terminate().catch(() => undefined);
  }

  /** The run is stuck in a builtin that never polls the interrupt handler: terminate its worker. */
  #hardKill(slot: Slot, id: number): void {
    const current = slot.current;
    if (!current || current.id !== id) return;
    slot.current = undefined;
    this.#retire(slot);
    const { request } = current.job;
    const aborted = request.signal?.aborted === true;
    this.#finish(
      current.job,
      aborted
        ? failure('aborted', 'the run was cancelled', [])
        : failure('timeout', `timed out: the script ran longer than its ${formatMs(request.timeoutMs)} limit and did not stop at the deadline (the interpreter was restarted)`, []),
    );
    this.#pump();
  }

  #abortJob(job: Job): void {
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#finish(job, failure('aborted', 'the run was cancelled before it started', []));
      return;
    }
    const slot = this.#slots.find((s) => s.current?.job === job);
    if (!slot?.current) return;
    // The interrupt handler sees the flag at its next poll; a builtin that never polls is killed by the hard deadline.
    Atomics.store(slot.abort, 0, 1);
    clearTimeout(slot.current.timer);
    const id = slot.current.id;
    slot.current.timer = setTimeout(() => this.#hardKill(slot, id), this.#graceMs);
  }

  #finish(job: Job, outcome: ScriptOutcome | undefined, error?: unknown): void {
    if (job.onAbort) job.request.signal?.removeEventListener('abort', job.onAbort);
    if (outcome) job.resolve(outcome);
    else job.reject(error);
  }
}



/** Absolute path of quickjs-emscripten's entry, resolved from this package so the worker finds the same copy. */
function resolveQuickJs(): string {
  try {
    return createRequire(import.meta.url).resolve('quickjs-emscripten');
  } catch (cause) {
    throw new MissingDependencyError('quickjs-emscripten', 'JavaScriptInterpreter', { cause });
  }
}
