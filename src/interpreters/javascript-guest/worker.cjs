// @ts-check
/**
 * The worker thread that hosts QuickJS (CommonJS, started by javascript-worker-pool.ts with
 * `new Worker(source, { eval: true })`, so it needs no build entry of its own). The protocol is
 * described in javascript-worker-pool.ts; the prelude and its helpers arrive in `workerData`.
 */
'use strict';
const threads = require('node:worker_threads');
// Started by the pool, so the port to the host is there.
const parentPort = /** @type {import('node:worker_threads').MessagePort} */ (threads.parentPort);
const workerData = threads.workerData;
/** @type {typeof import('quickjs-emscripten')} */
const q = require(workerData.quickjsPath);
const PRELUDE = workerData.prelude;
const CHECKER = workerData.checker;
const DESCRIBE = workerData.describe;
const CONSOLE = workerData.console;
const INTRINSICS = workerData.intrinsicPaths;
const PRELUDE_FILE = workerData.preludeFilename;
const SCRIPT_FILE = workerData.scriptFilename;
const MAX_STACK = workerData.maxStackBytes;
const HEADROOM = workerData.headroomBytes;
const CONTEXT_OPTIONS = workerData.intrinsics ? { intrinsics: workerData.intrinsics } : undefined;
const GRACE_MS = 20;
const DEBUG = workerData.debug === true;
/** Where QuickJS keeps its state in wasm memory ({ staticEnd, stackHigh }), or undefined: fresh runtimes only. */
const LAYOUT = workerData.memoryLayout;
/** Test mode: after each restore, check that nothing between the static data and the stack's reach was written. */
const VERIFY_RESTORE = workerData.verifyRestore === true;
/** Deadline and memory limit while evaluating the trusted prelude in a fresh runtime (no tenant code runs). */
const PREPARE_MS = 5000;
const PREPARE_MEMORY = 16 * 1048576;
// QuickJS leaves the line out of stack frames on a script's first line; one leading newline makes
// every line of the tenant's script show up, and is subtracted again when reporting.
const SCRIPT_PREFIX = '\n';
const LINE_OFFSET = 1;
const STACK_OVERFLOW = /^(stack overflow|Maximum call stack size exceeded)$/i;
const abortFlag = new Int32Array(workerData.abortBuffer);
const SCRIPT_LINE = new RegExp(SCRIPT_FILE.replace('.', '\\.') + ':(\\d{1,7})');
const SCRIPT_TOP = new RegExp('^at ' + SCRIPT_FILE.replace('.', '\\.') + ':\\d+$');
let liveRuntimes = 0;

function fmtMs(ms) {
  if (ms % 60000 === 0) return (ms / 60000) + 'm';
  if (ms % 1000 === 0) return (ms / 1000) + 's';
  return ms + 'ms';
}
function fmtBytes(b) {
  if (b % 1073741824 === 0) return (b / 1073741824) + 'GB';
  if (b % 1048576 === 0) return (b / 1048576) + 'MB';
  if (b % 1024 === 0) return (b / 1024) + 'KB';
  return b + 'B';
}

function failure(kind, message, output, truncated, line) {
  const error = line !== undefined ? { kind, message, line } : { kind, message };
  return truncated ? { ok: false, error, output, truncatedOutput: true } : { ok: false, error, output };
}

function withMarker(env) {
  if (!env.t && env.d <= 0) return { output: env.o, truncated: false };
  const marker = env.d > 0 ? '… output truncated: ' + env.d + ' more line' + (env.d === 1 ? '' : 's') + ' dropped' : '… output truncated';
  return { output: env.o.concat([marker]), truncated: true };
}

function disposeQuietly(h, primary) {
  if (!h || !h.alive) return;
  try { h.dispose(); } catch (e) { if (primary === undefined) throw e; }
}

class Clock {
  /** watchAbort: false while preparing (the host's abort flag belongs to a job, not to the prelude). */
  constructor(timeoutMs, watchAbort) {
    this.until = Date.now() + timeoutMs; this.watchAbort = watchAbort;
    this.reporting = false; this.timedOut = false; this.aborted = false;
  }
  shouldInterrupt() {
    if (this.watchAbort && !this.reporting && Atomics.load(abortFlag, 0) !== 0) { this.aborted = true; return true; }
    if (Date.now() < this.until) return false;
    if (!this.reporting) this.timedOut = true;
    return true;
  }
  startReporting() {
    if (this.reporting) return;
    this.reporting = true;
    this.until = Date.now() + GRACE_MS;
  }
}

function errorText(e) {
  return String((e && e.message) || e);
}

/**
 * A fresh runtime and context with the trusted prelude evaluated and nothing of any tenant in it.
 * Made before its job arrives (release mode) or when it arrives (debug mode); used by one run only.
 */
class Fresh {
  constructor(mod) {
    this.runtime = mod.newRuntime();
    liveRuntimes++;
    this.context = undefined;
    this.control = undefined;
    /** Why the prelude failed (a description), or undefined. */
    this.failure = undefined;
    /** Handles of the run, disposed in reverse order before the context. */
    this.handles = [];
    this.clock = new Clock(PREPARE_MS, false);
    try {
      const runtime = this.runtime;
      runtime.setMemoryLimit(PREPARE_MEMORY);
      runtime.setMaxStackSize(MAX_STACK);
      runtime.setInterruptHandler(() => this.clock.shouldInterrupt());
      const context = (this.context = runtime.newContext(CONTEXT_OPTIONS));
      const factory = context.evalCode(PRELUDE, PRELUDE_FILE);
      if (factory.error) {
        this.failure = this.describeTrusted(factory.error);
        return;
      }
      const args = [context.newString(CONSOLE)];
      const byPath = new Map();
      try {
        for (const path of INTRINSICS) args.push(this.intrinsic(path, byPath));
      } catch (e) {
        for (const h of byPath.values()) disposeQuietly(h, e);
        args[0].dispose();
        factory.value.dispose();
        throw e;
      }
      const made = context.callFunction(factory.value, context.undefined, args);
      for (const h of byPath.values()) h.dispose();
      args[0].dispose();
      factory.value.dispose();
      if (made.error) {
        this.failure = this.describeTrusted(made.error);
        return;
      }
      this.control = made.value;
      this.handles.push(made.value);
    } catch (e) {
      this.dispose(e);
      throw e;
    }
  }
  /** Reads an intrinsic by its path from the global object ('Object.prototype.hasOwnProperty'), sharing prefixes. */
  intrinsic(path, byPath) {
    let handle = byPath.get(path);
    if (handle) return handle;
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? this.context.global : this.intrinsic(path.slice(0, dot), byPath);
    handle = this.context.getProp(parent, path.slice(dot + 1));
    byPath.set(path, handle);
    return handle;
  }
  /** Describes an error thrown by the prelude (no tenant code has run in this context). */
  describeTrusted(errorHandle) {
    try {
      const d = this.context.dump(errorHandle);
      return d && typeof d === 'object' ? String(d.name) + ': ' + String(d.message) : String(d);
    } catch (e) {
      return 'the prelude failed';
    } finally {
      errorHandle.dispose();
    }
  }
  /** Disposes handles, context and runtime; with a primary failure, a failure here is swallowed. */
  dispose(primary) {
    try {
      for (let i = this.handles.length - 1; i >= 0; i--) disposeQuietly(this.handles[i], primary);
      this.handles.length = 0;
      disposeQuietly(this.context, primary);
    } finally {
      if (this.runtime.alive) liveRuntimes--;
      disposeQuietly(this.runtime, primary);
    }
  }
}

/** xorshift64* step of QuickJS's Math.random (quickjs.c), to recognise its state in memory. */
const U64 = (1n << 64n) - 1n;
function xorshift64(x) {
  x ^= x >> 12n;
  x = (x ^ (x << 25n)) & U64;
  return x ^ (x >> 27n);
}

/**
 * Resets QuickJS between runs instead of building a new runtime for each (≈ 0.25 ms each: a context
 * with its builtins, the prelude, and disposing it all again). Taken once, right after the worker's
 * first Fresh runtime has evaluated the prelude and before any tenant code: a copy of the wasm
 * memory's static data and heap. After each run, copying them back puts every byte QuickJS and its
 * allocator own exactly as they were, so a run can leave nothing behind for the next: not a global,
 * a prototype change, a closure, an atom or a freed block of its data. The C stack between them
 * holds nothing between calls and is not copied. Memory the run grew stays grown (wasm cannot
 * shrink) and is free again for the allocator. Handles the run made point into the discarded state:
 * they are dropped, never freed.
 *
 * One thing a copy would repeat: Math.random's state (a field of the context). It is found by
 * watching one call of Math.random, and each restore writes a new random seed into it.
 */
class RestorePoint {
  /**
   * @param {any} emscripten the emscripten module (its HEAPU8 follows memory growth)
   * @param {Fresh} fresh the prepared runtime (prelude evaluated, no tenant code run)
   * @param {{ staticEnd: number, stackHigh: number }} layout
   */
  constructor(emscripten, fresh, layout) {
    this.emscripten = emscripten;
    this.fresh = fresh;
    this.layout = layout;
    this.randomAt = this.findRandomState();
    const heap = emscripten.HEAPU8;
    if (heap.length <= layout.stackHigh) throw new Error('the wasm memory ends below the stack top');
    this.handleCount = fresh.handles.length;
    this.low = heap.slice(0, layout.staticEnd);
    this.high = heap.slice(layout.stackHigh, heapEnd(heap, layout.stackHigh));
    this.seeds = new BigUint64Array(64);
    this.nextSeed = this.seeds.length;
    /** Verify mode: a copy of what lies between the static data and the stack's reach (zeros). */
    this.untouchedEnd = layout.stackHigh - MAX_STACK - 256 * 1024;
    this.untouched = VERIFY_RESTORE ? heap.slice(layout.staticEnd, this.untouchedEnd) : undefined;
    // The first run gets its own seed too (the copies keep the one the probe advanced; restore() replaces it).
    this.reseed(heap);
  }
  /** Address of the context's Math.random state: the one 8-byte field that one call advances as QuickJS does. */
  findRandomState() {
    const { context } = this.fresh;
    const ctx = /** @type {any} */ (context).ctx.value;
    const span = 2048;
    const before = this.emscripten.HEAPU8.slice(ctx, ctx + span);
    const r = context.evalCode('Math.random()', PRELUDE_FILE);
    if (r.error) {
      r.error.dispose();
      throw new Error('Math.random() failed in the prepared context');
    }
    const value = context.getNumber(r.value);
    r.value.dispose();
    const after = this.emscripten.HEAPU8.slice(ctx, ctx + span);
    const b = new DataView(before.buffer);
    const a = new DataView(after.buffer);
    const bits = new DataView(new Float64Array([value + 1]).buffer).getBigUint64(0, true) & ((1n << 52n) - 1n);
    const found = [];
    for (let o = 0; o + 8 <= span; o += 8) {
      const old = b.getBigUint64(o, true);
      const now = a.getBigUint64(o, true);
      if (old !== now && xorshift64(old) === now && ((now * 0x2545F4914F6CDD1Dn) & U64) >> 12n === bits) found.push(o);
    }
    if (found.length !== 1) throw new Error('Math.random state not found in the QuickJS context');
    return ctx + found[0];
  }
  seed() {
    if (this.nextSeed === this.seeds.length) {
      crypto.getRandomValues(this.seeds);
      this.nextSeed = 0;
    }
    const s = this.seeds[this.nextSeed++];
    return s === 0n ? 1n : s;
  }
  reseed(heap) {
    new DataView(heap.buffer).setBigUint64(this.randomAt, this.seed(), true);
  }
  /** Puts the memory back as it was at the restore point, with a new Math.random seed. */
  restore() {
    const heap = this.emscripten.HEAPU8;
    heap.set(this.low, 0);
    heap.set(this.high, this.layout.stackHigh);
    this.reseed(heap);
    const { handles } = this.fresh;
    handles.length = this.handleCount;
  }
  /** Verify mode: why the layout does not hold (a write where neither static data nor the stack should be), or undefined. */
  verify() {
    if (!this.untouched) return undefined;
    const heap = this.emscripten.HEAPU8;
    const { staticEnd } = this.layout;
    for (let i = 0; i < this.untouched.length; i++) {
      if (heap[staticEnd + i] !== this.untouched[i]) return 'a run wrote at ' + (staticEnd + i) + ', between the static data (restored up to ' + staticEnd + ') and the stack';
    }
    return undefined;
  }
}

/** End (exclusive, 16-aligned) of the heap: past its last non-zero byte, the allocator's top chunk header. */
function heapEnd(heap, start) {
  const words = new Int32Array(heap.buffer, start, (heap.length - start) >> 2);
  let i = words.length;
  while (i > 0 && words[i - 1] === 0) i--;
  return Math.min(heap.length, (start + i * 4 + 15) & ~15);
}

class Run {
  constructor(fresh, job) {
    this.fresh = fresh; this.runtime = fresh.runtime; this.context = fresh.context; this.job = job;
    this.handles = fresh.handles; this.control = undefined;
    this.clock = fresh.clock = new Clock(job.timeoutMs, true);
  }
  own(h) { this.handles.push(h); return h; }
  /** The envelope text of a successful run ({ envelope }), or a failure outcome. */
  run() {
    const { context, job, fresh } = this;
    this.runtime.setMemoryLimit(job.memoryLimitBytes);
    if (fresh.failure !== undefined) return failure('runtime', 'the interpreter could not start: ' + fresh.failure, []);
    this.control = fresh.control;
    const setup = this.callControl(0, [context.newString(job.inputsIndex), context.newString(job.inputsText), context.newNumber(job.maxLines),
      context.newNumber(job.maxChars), context.newNumber(job.maxResult), context.newNumber(job.maxDepth)].map((h) => this.own(h)));
    if (setup.thrown) return this.failFromThrown(setup.thrown, 'prelude');

    const evaluated = context.evalCode(SCRIPT_PREFIX + job.script, SCRIPT_FILE);
    if (evaluated.error) return this.failFromThrown(this.own(evaluated.error), 'script');
    const completion = this.own(evaluated.value);
    const jobs = this.runtime.executePendingJobs(-1);
    if (jobs.error) return this.failFromThrown(this.own(jobs.error), 'script');
    // An interrupted promise job rejects its promise instead of failing executePendingJobs.
    if (this.clock.timedOut || this.clock.aborted) return this.failStopped(undefined);
    if (context.typeof(completion) === 'object') {
      const state = context.getPromiseState(completion);
      if (state.type === 'rejected') return this.failFromThrown(this.own(state.error), 'script');
      if (state.type === 'pending') return this.fail('runtime', 'the promise the script ends with never settled (there are no timers or I/O in the sandbox)', undefined);
      if (!state.notAPromise) this.own(state.value);
    }

    const env = this.callControl(2);
    if (env.thrown) return this.failFromThrown(env.thrown, 'result');
    if (this.clock.timedOut || this.clock.aborted) return this.failStopped(undefined);
    const cap = job.maxResult + job.maxChars * 6 + 64;
    if (context.typeof(env.handle) === 'number') {
      if (context.getNumber(env.handle) !== 0) return this.fail('result', 'result is longer than the ' + job.maxResult + '-character limit', undefined);
      // JSON.stringify would have changed the result: compile the checker to name the offending path.
      const checker = this.compile(CHECKER);
      if (checker.thrown) return this.failFromThrown(checker.thrown, 'result');
      const checked = this.callControl(3, [checker.handle]);
      if (checked.thrown) return this.failFromThrown(checked.thrown, 'result');
      if (this.clock.timedOut || this.clock.aborted) return this.failStopped(undefined);
      const text = this.readText(checked.handle, cap);
      const problem = text === undefined ? undefined : JSON.parse(text);
      return this.fail('result', typeof problem === 'string' ? problem
        : 'result changed while it was being read (a getter or toJSON returns a new value each time); assign plain data to result', undefined);
    }
    const text = this.readText(env.handle, cap);
    if (text === undefined) return this.fail('result', 'result is longer than the ' + job.maxResult + '-character limit', undefined);
    // Parsed and checked on the host: the worker does not need the value.
    return { envelope: text };
  }
  compile(source) {
    const r = this.context.evalCode(source, PRELUDE_FILE);
    if (r.error) return { thrown: this.own(r.error) };
    return { handle: this.own(r.value) };
  }
  callControl(mode, extra) {
    const { context } = this;
    const args = [this.own(context.newNumber(mode))];
    if (extra) for (const h of extra) args.push(h); // owned by the caller
    const r = context.callFunction(this.control, context.undefined, args);
    if (r.error) return { thrown: this.own(r.error) };
    return { handle: this.own(r.value) };
  }
  /** Copies a string out of QuickJS only when it is at most max characters long. */
  readText(handle, max) {
    if (this.context.typeof(handle) !== 'string') return undefined;
    const length = this.context.getNumber(this.own(this.context.getProp(handle, 'length')));
    if (!(length <= max)) return undefined;
    return this.context.getString(handle);
  }
  enterReporting() {
    this.clock.startReporting();
    // Headroom to describe an out-of-memory error; bounded, and only after the script has stopped.
    this.runtime.setMemoryLimit(this.job.memoryLimitBytes + HEADROOM);
  }
  outputAfterFailure() {
    if (!this.control) return { output: [], truncated: false };
    const r = this.callControl(1);
    if (r.thrown) return { output: [], truncated: false };
    const text = this.readText(r.handle, this.job.maxChars * 6 + 64);
    if (text === undefined) return { output: [], truncated: false };
    return withMarker(JSON.parse(text));
  }
  fail(kind, message, line) {
    this.enterReporting();
    const out = this.outputAfterFailure();
    return failure(kind, message, out.output, out.truncated, line);
  }
  describe(errorHandle) {
    if (!this.control) return undefined;
    const describer = this.compile(DESCRIBE);
    if (describer.thrown) return undefined;
    const r = this.callControl(4, [describer.handle, errorHandle]);
    if (r.thrown) return undefined;
    const text = this.readText(r.handle, 16000);
    if (text === undefined) return undefined;
    const d = JSON.parse(text);
    const first = (d.s.split('\n').map((l) => l.trim()).filter(Boolean)[0]) || '';
    const m = SCRIPT_LINE.exec(d.s);
    const thrown = { name: d.n, message: d.m, atTopOfScript: SCRIPT_TOP.test(first) };
    if (m && Number(m[1]) > LINE_OFFSET) thrown.line = Number(m[1]) - LINE_OFFSET;
    return thrown;
  }
  failStopped(line) {
    this.enterReporting();
    if (this.clock.aborted) return this.fail('aborted', 'the run was cancelled', line);
    return this.fail('timeout', 'timed out: the script ran longer than its ' + fmtMs(this.job.timeoutMs) + ' limit', line);
  }
  failFromThrown(errorHandle, phase) {
    const { clock, job } = this;
    this.enterReporting();
    const thrown = this.describe(errorHandle);
    const line = thrown ? thrown.line : undefined;
    if (clock.aborted || clock.timedOut) return this.failStopped(line);
    if (!thrown) return this.fail('runtime', 'the script threw an exception that could not be described', undefined);
    const text = (thrown.name ? thrown.name + ': ' : '') + thrown.message;
    if (thrown.name === 'InternalError' && /out of memory/i.test(thrown.message)) {
      return this.fail('memory', 'out of memory: the script needed more than its ' + fmtBytes(job.memoryLimitBytes) + ' memory limit', line);
    }
    if (STACK_OVERFLOW.test(thrown.message)) {
      return this.fail('memory', 'stack overflow: the script recursed deeper than its ' + fmtBytes(MAX_STACK) + ' stack limit', line);
    }
    if (phase === 'script' && thrown.name === 'SyntaxError' && thrown.atTopOfScript) return this.fail('syntax', text, line);
    if (phase === 'prelude') return this.fail('runtime', 'the interpreter could not start: ' + text, undefined);
    return this.fail('runtime', text, line);
  }
}

/** Runs a job on a prepared runtime and returns its reply (an envelope or a failure outcome); throws when QuickJS itself failed. */
function runJob(fresh, job) {
  const result = new Run(fresh, job).run();
  return result.envelope !== undefined ? { id: job.id, envelope: result.envelope } : { id: job.id, outcome: result };
}

function leakCheck(mod) {
  if (liveRuntimes !== 0) return liveRuntimes + ' QuickJS runtime(s) still alive';
  try {
    if (mod.getFFI().QTS_RecoverableLeakCheck()) return 'leak sanitizer detected un-freed memory';
  } catch (e) {
    return 'leak check failed: ' + errorText(e);
  }
  return null;
}

/** A QuickJS failure outside a script (a wasm trap, V8's own stack overflow in deep wasm recursion). */
function crashReply(id, e) {
  return { id, crash: errorText(e), stackOverflow: STACK_OVERFLOW.test(String((e && e.message) || '')) };
}

/**
 * Copies strings into QuickJS with Node's native UTF-8 encoder: emscripten's `lengthBytesUTF8` and
 * `stringToUTF8`, which quickjs-emscripten calls for every string it hands to QuickJS (inputs, the
 * script), are loops in JS (≈ 20 µs per KB). Same bytes for every well-formed string; a string with a
 * lone surrogate (which Node would replace with U+FFFD) still goes through emscripten's own.
 */
function useNativeUtf8(emscripten) {
  const { lengthBytesUTF8, stringToUTF8 } = emscripten;
  const encoder = new TextEncoder();
  emscripten.lengthBytesUTF8 = (s) => (s.isWellFormed() ? Buffer.byteLength(s, 'utf8') : lengthBytesUTF8(s));
  emscripten.stringToUTF8 = (s, ptr, max) => {
    if (max <= 0 || !s.isWellFormed()) return stringToUTF8(s, ptr, max);
    const heap = emscripten.HEAPU8;
    const { written } = encoder.encodeInto(s, heap.subarray(ptr, ptr + max - 1));
    heap[ptr + written] = 0;
    return written;
  };
}

async function main() {
  const mod = await q.newQuickJSWASMModule(DEBUG ? q.DEBUG_SYNC : q.RELEASE_SYNC);
  useNativeUtf8(/** @type {any} */ (mod).module);
  /** The next run's fresh runtime, prepared after the previous reply (fresh-runtime mode only). */
  /** @type {Fresh | undefined} */
  let next;
  /** The one runtime every run uses, reset after each (restore mode), or undefined. */
  /** @type {RestorePoint | undefined} */
  let point;
  /** Why this worker must not start another job (its QuickJS memory may be inconsistent). */
  let broken;
  const prepareNext = () => {
    if (DEBUG || broken !== undefined) return;
    try {
      next = new Fresh(mod);
    } catch (e) {
      broken = 'preparing a QuickJS runtime failed: ' + errorText(e);
      parentPort.postMessage({ broken });
    }
  };
  const fail = (id, fresh, e) => {
    // A JS exception escaping QuickJS leaves its memory inconsistent: the host restarts us.
    const reply = crashReply(id, e);
    broken = reply.crash;
    if (!point && fresh) fresh.dispose(e);
    if (DEBUG) reply.leak = leakCheck(mod);
    parentPort.postMessage(reply);
  };
  parentPort.on('message', (job) => {
    if (broken !== undefined) return void parentPort.postMessage({ id: job.id, crash: broken, notRun: true });
    if (point) {
      let reply;
      try {
        reply = runJob(point.fresh, job);
      } catch (e) {
        return fail(job.id, undefined, e);
      }
      // Reply first: the restore overlaps with the host's own work.
      parentPort.postMessage(reply);
      point.restore();
      const wrong = point.verify();
      if (wrong !== undefined) {
        broken = 'memory restore check failed: ' + wrong;
        parentPort.postMessage({ broken });
      }
      return;
    }
    let fresh = next;
    next = undefined;
    /** @type {{ id: number, envelope?: string, outcome?: object, crash?: string, stackOverflow?: boolean, leak?: string | null }} */
    let reply;
    try {
      if (!fresh) fresh = new Fresh(mod);
      reply = runJob(fresh, job);
    } catch (e) {
      return fail(job.id, fresh, e);
    }
    if (DEBUG) {
      try {
        fresh.dispose();
      } catch (e) {
        reply = crashReply(job.id, e);
        broken = reply.crash;
      }
      reply.leak = leakCheck(mod);
      return void parentPort.postMessage(reply);
    }
    // Reply first: disposing this run and preparing the next overlap with the host's own work.
    parentPort.postMessage(reply);
    try {
      fresh.dispose();
    } catch (e) {
      broken = 'disposing a QuickJS runtime failed: ' + errorText(e);
      return void parentPort.postMessage({ broken });
    }
    prepareNext();
  });
  prepareNext();
  // Restore mode needs a known layout and a prelude that ran (the debug build's leak check needs every
  // runtime disposed, so it never restores); otherwise every run gets a fresh runtime.
  const first = /** @type {Fresh | undefined} */ (next);
  if (LAYOUT && first && first.failure === undefined) {
    try {
      point = new RestorePoint(/** @type {any} */ (mod).module, first, LAYOUT);
      next = undefined;
    } catch (e) {
      // The runtime may have run the probe: do not hand it to a tenant.
      first.dispose();
      next = undefined;
      prepareNext();
    }
  }
  parentPort.postMessage({ ready: true, isolation: point ? 'restore' : 'fresh-runtime' });
}
main().catch((e) => parentPort.postMessage({ fatal: String((e && e.stack) || e) }));
