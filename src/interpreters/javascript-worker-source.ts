/**
 * Source of the worker thread that hosts QuickJS (private helper of `javascript.ts`).
 *
 * Why a worker: some QuickJS builtins never poll the interrupt handler — a catastrophic regex
 * (`/(a+)+$/`), `new Array(1e9).join()` (whose string buffer fails quietly and keeps looping),
 * `new Array(1e9).includes(1)` — and would block the thread for tens of seconds. In a worker they
 * block only the worker, and the host terminates it at the hard deadline. The host's event loop
 * (Temporal heartbeats, other tenants) never waits on a script.
 *
 * The worker is started with `eval: true` from this string, so it needs no separate build entry and
 * runs the same from `src/` under tests and from `dist/`. It `require`s quickjs-emscripten from the
 * absolute path the host resolved, and receives the prelude and its lazily compiled helpers
 * (`javascript-prelude.ts`) in `workerData`.
 *
 * Protocol: host → worker `{ id, script, inputsJson, timeoutMs, memoryLimitBytes, maxResult, maxLines,
 * maxChars, maxDepth }`; worker → host `{ ready: true }` once, then `{ id, outcome } | { id, crash }`
 * (plus `leak` in debug mode) per job, or `{ fatal }` when QuickJS cannot load. The host sets
 * `abort[0] = 1` (a SharedArrayBuffer) to cancel the current job; the interrupt handler reads it.
 *
 * Every run: a fresh runtime and context, memory and stack limits, an interrupt handler for the
 * deadline; every handle is disposed in reverse order, and a failure to dispose never hides the
 * original failure.
 *
 * @module
 */

export const WORKER_SOURCE = String.raw`'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const q = require(workerData.quickjsPath);
const PRELUDE = workerData.prelude;
const CHECKER = workerData.checker;
const DESCRIBE = workerData.describe;
const CONSOLE = workerData.console;
const PRELUDE_FILE = workerData.preludeFilename;
const SCRIPT_FILE = workerData.scriptFilename;
const MAX_STACK = workerData.maxStackBytes;
const HEADROOM = workerData.headroomBytes;
const CONTEXT_OPTIONS = workerData.intrinsics ? { intrinsics: workerData.intrinsics } : undefined;
const GRACE_MS = 20;
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
  constructor(timeoutMs) { this.until = Date.now() + timeoutMs; this.reporting = false; this.timedOut = false; this.aborted = false; }
  shouldInterrupt() {
    if (!this.reporting && Atomics.load(abortFlag, 0) !== 0) { this.aborted = true; return true; }
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

class Run {
  constructor(runtime, context, job, clock) {
    this.runtime = runtime; this.context = context; this.job = job; this.clock = clock;
    this.handles = []; this.control = undefined;
  }
  own(h) { this.handles.push(h); return h; }
  execute() {
    try { return this.run(); }
    finally { for (let i = this.handles.length - 1; i >= 0; i--) { const h = this.handles[i]; if (h.alive) h.dispose(); } }
  }
  run() {
    const { context, job } = this;
    const setup = context.evalCode(PRELUDE, PRELUDE_FILE);
    if (setup.error) return this.failFromThrown(this.own(setup.error), 'prelude');
    const setupFn = this.own(setup.value);
    const args = [context.newString(job.inputsJson), context.newNumber(job.maxLines), context.newNumber(job.maxChars),
      context.newNumber(job.maxResult), context.newNumber(job.maxDepth), context.newString(CONSOLE)].map((h) => this.own(h));
    const control = context.callFunction(setupFn, context.undefined, args);
    if (control.error) return this.failFromThrown(this.own(control.error), 'prelude');
    this.control = this.own(control.value);

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

    const env = this.callControl(0);
    if (env.thrown) return this.failFromThrown(env.thrown, 'result');
    if (this.clock.timedOut || this.clock.aborted) return this.failStopped(undefined);
    const text = this.readText(env.handle, job.maxResult + job.maxChars * 6 + 64);
    if (text === undefined) return failure('result', 'result is longer than the ' + job.maxResult + '-character limit', []);
    let parsed = JSON.parse(text);
    if (parsed.b) {
      // JSON.stringify would have changed the result: compile the checker to name the offending path.
      const checker = this.compile(CHECKER);
      if (checker.thrown) return this.failFromThrown(checker.thrown, 'result');
      const checked = this.callControl(3, checker.handle);
      if (checked.thrown) return this.failFromThrown(checked.thrown, 'result');
      const checkedText = this.readText(checked.handle, job.maxResult + job.maxChars * 6 + 64);
      if (checkedText === undefined) return failure('result', 'result could not be checked', []);
      parsed = JSON.parse(checkedText);
      if (parsed.e === null) parsed.e = 'result changed while it was being read (a getter or toJSON returns a new value each time); assign plain data to result';
    }
    if (this.clock.timedOut || this.clock.aborted) return this.failStopped(undefined);
    const out = withMarker(parsed);
    if (parsed.e !== null) return failure('result', parsed.e, out.output, out.truncated);
    return out.truncated ? { ok: true, value: parsed.r, output: out.output, truncatedOutput: true } : { ok: true, value: parsed.r, output: out.output };
  }
  compile(source) {
    const r = this.context.evalCode(source, PRELUDE_FILE);
    if (r.error) return { thrown: this.own(r.error) };
    return { handle: this.own(r.value) };
  }
  callControl(mode, fn, arg) {
    const { context } = this;
    const args = [this.own(context.newNumber(mode))];
    if (fn) args.push(fn);
    if (arg) args.push(arg);
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
    const r = this.callControl(4, describer.handle, errorHandle);
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

function runJob(mod, job) {
  const runtime = mod.newRuntime();
  liveRuntimes++;
  let primary;
  try {
    runtime.setMemoryLimit(job.memoryLimitBytes);
    runtime.setMaxStackSize(MAX_STACK);
    const clock = new Clock(job.timeoutMs);
    runtime.setInterruptHandler(() => clock.shouldInterrupt());
    const context = runtime.newContext(CONTEXT_OPTIONS);
    try {
      return new Run(runtime, context, job, clock).execute();
    } catch (e) {
      primary = e;
      throw e;
    } finally {
      disposeQuietly(context, primary);
    }
  } catch (e) {
    if (primary === undefined) primary = e;
    throw e;
  } finally {
    liveRuntimes--;
    disposeQuietly(runtime, primary);
  }
}

function leakCheck(mod) {
  if (liveRuntimes !== 0) return liveRuntimes + ' QuickJS runtime(s) still alive';
  try {
    if (mod.getFFI().QTS_RecoverableLeakCheck()) return 'leak sanitizer detected un-freed memory';
  } catch (e) {
    return 'leak check failed: ' + String(e && e.message || e);
  }
  return null;
}

async function main() {
  const mod = await q.newQuickJSWASMModule(workerData.debug ? q.DEBUG_SYNC : q.RELEASE_SYNC);
  parentPort.on('message', (job) => {
    let reply;
    try {
      reply = { id: job.id, outcome: runJob(mod, job) };
    } catch (e) {
      // A JS exception escaping QuickJS (a wasm trap, or V8's own stack overflow inside deeply
      // recursive wasm such as the parser) leaves QuickJS's memory inconsistent: the host restarts us.
      reply = { id: job.id, crash: String((e && e.message) || e), stackOverflow: STACK_OVERFLOW.test(String((e && e.message) || '')) };
    }
    if (workerData.debug) reply.leak = leakCheck(mod);
    parentPort.postMessage(reply);
  });
  parentPort.postMessage({ ready: true });
}
main().catch((e) => parentPort.postMessage({ fatal: String((e && e.stack) || e) }));
`;
