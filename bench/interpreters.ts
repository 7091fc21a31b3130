/**
 * Interpreter node benchmarks (issue 5). Run:
 *   node --no-node-snapshot --import tsx bench/interpreters.ts            # both languages
 *   node --no-node-snapshot --import tsx bench/interpreters.ts javascript # one of them
 *
 * Reports, in one run, figures and ratios against baselines measured in the same run:
 *  - JavaScript (`benchJavaScript`): JavaScriptInterpreter warm with a 1 KB context (goal ≤ 0.5 ms per
 *    run), against the same computation as plain JS in the host and against raw QuickJS in the host
 *    thread; the fresh-runtime vs shared-runtime cost behind the isolation decision; engine cold start;
 *    warm with a 2 KB blackboard (goal ≤ 0.3 ms), memory restore (the default) against a fresh QuickJS
 *    runtime per run (`restoreMemory: false`), alternating in the same loop.
 *  - Python (`benchPython`): the seed's subprocess approach vs PythonInterpreter warm on the seed's
 *    statistics script (goal ≥ 400×), a restarted worker's first run with the default snapshot cache
 *    (fresh child processes, goal ≤ 400 ms, against `cacheDir: false`), cold from snapshot (goal
 *    ≤ 300 ms), snapshot size and memory per warm sandbox.
 *
 * Ownership: each language's engineer edits only their own `bench<Language>` function (and helpers
 * named after it); `main`, `Report` and the shared 1 KB context are shared and kept stable.
 */
import os from 'node:os';
import type { BtreeModule } from '../src/binding-core/host-btree.js';
import type { JsonValue } from '../src/binding-core/interpreter-types.js';
import { createJavaScriptInterpreterClass, QuickJsEngine } from '../src/interpreters/javascript.js';
import * as testHost from '../src/testing/index.js';
import { stats } from './stats.js';

// ---------------------------------------------------------------------------------------------
// Shared: report and the 1 KB context both languages use.
// ---------------------------------------------------------------------------------------------

/** One line of the report: a figure, and optionally the goal it is held against. */
export interface BenchRow {
  section: string;
  name: string;
  value: string;
  goal?: string;
  pass?: boolean;
}

/** Collects rows and prints them as one table at the end. */
export class Report {
  readonly rows: BenchRow[] = [];
  add(row: BenchRow): void {
    this.rows.push(row);
    const verdict = row.pass === undefined ? '' : row.pass ? '  ✓' : '  ✗';
    console.log(`  ${row.name.padEnd(64)} ${row.value.padStart(14)}${row.goal ? `   goal ${row.goal}` : ''}${verdict}`);
  }
  section(title: string): void {
    console.log(`\n${title}`);
  }
}

/** A blackboard of ≈1 KB of JSON: 16 orders with a few fields each. */
export function oneKbContext(): { orders: Array<{ id: string; value: number; qty: number; tags: string[] }>; customer: { name: string; tier: string } } {
  const orders = Array.from({ length: 16 }, (_, i) => ({ id: `ord-${1000 + i}`, value: 10.5 * (i + 1), qty: (i % 4) + 1, tags: ['web', i % 2 ? 'eu' : 'us'] }));
  return { orders, customer: { name: 'Ada Lovelace', tier: 'gold' } };
}


const ms = (v: number): string => `${v.toFixed(3)} ms`;
const us = (v: number): string => `${(v * 1000).toFixed(1)} µs`;

// ---------------------------------------------------------------------------------------------
// JavaScript (JavaScriptInterpreter, QuickJS). Owner: the JavaScript interpreter engineer.
// ---------------------------------------------------------------------------------------------

const JS_SCRIPT = `
const total = orders.reduce((sum, o) => sum + o.value * o.qty, 0);
result = { count: orders.length, total, customer: customer.name, eu: orders.filter((o) => o.tags.includes('eu')).length };
`;

function jsNative(ctx: ReturnType<typeof oneKbContext>): unknown {
  const { orders, customer } = JSON.parse(JSON.stringify(ctx)) as ReturnType<typeof oneKbContext>;
  const total = orders.reduce((sum, o) => sum + o.value * o.qty, 0);
  return { count: orders.length, total, customer: customer.name, eu: orders.filter((o) => o.tags.includes('eu')).length };
}

async function benchJavaScript(report: Report): Promise<void> {
  report.section('JavaScriptInterpreter (QuickJS in a worker thread)');
  const context = oneKbContext();
  const contextBytes = JSON.stringify(context).length;
  const N = 2_000;

  // Baseline 1: the same computation as plain JS in the host (with the same JSON copy of the context).
  for (let i = 0; i < 2_000; i++) jsNative(context);
  const native: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    jsNative(context);
    native.push(performance.now() - t);
  }

  // Baseline 2: QuickJS in the host thread: fresh runtime + context + eval + dispose, vs a shared runtime.
  const { newQuickJSWASMModule, RELEASE_SYNC } = await import('quickjs-emscripten');
  const qjs = await newQuickJSWASMModule(RELEASE_SYNC);
  const shared = qjs.newRuntime();
  const rawRun = (fresh: boolean): void => {
    const rt = fresh ? qjs.newRuntime() : shared;
    if (fresh) rt.setMemoryLimit(32 << 20);
    const vm = rt.newContext();
    const r = vm.evalCode(`var orders = ${JSON.stringify(context.orders)}; var customer = ${JSON.stringify(context.customer)};${JS_SCRIPT}; JSON.stringify(result)`);
    (r.error ?? r.value).dispose();
    vm.dispose();
    if (fresh) rt.dispose();
  };
  for (let i = 0; i < 300; i++) rawRun(true);
  const rawFresh: number[] = [];
  const rawShared: number[] = [];
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    rawRun(true);
    rawFresh.push(performance.now() - t);
    t = performance.now();
    rawRun(false);
    rawShared.push(performance.now() - t);
  }
  shared.dispose();

  // Cold start: a new engine (worker spawn + wasm module load) and its first run.
  const coldStart = performance.now();
  const engine = new QuickJsEngine();
  const first = await engine.run({ script: JS_SCRIPT, inputs: context, timeoutMs: 5_000, memoryLimitBytes: 32 << 20 });
  const cold = performance.now() - coldStart;
  if (!first.ok) throw new Error(`bench script failed: ${first.error.message}`);

  // Warm engine runs (what a tick pays once the host is up).
  for (let i = 0; i < 300; i++) await engine.run({ script: JS_SCRIPT, inputs: context, timeoutMs: 5_000, memoryLimitBytes: 32 << 20 });
  const warm: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await engine.run({ script: JS_SCRIPT, inputs: context, timeoutMs: 5_000, memoryLimitBytes: 32 << 20 });
    warm.push(performance.now() - t);
  }

  // Where the time above raw QuickJS goes: the same engine with an empty job (fixed cost of a run:
  // fresh runtime + context + prelude, worker round trip, host checks), and runs with a pause between
  // them (what a tick sees in a real tree: the worker has prepared the next runtime in the pause).
  const empty: number[] = [];
  for (let i = 0; i < N / 2; i++) {
    const t = performance.now();
    await engine.run({ script: 'result = null', inputs: {}, timeoutMs: 5_000, memoryLimitBytes: 32 << 20 });
    empty.push(performance.now() - t);
  }
  const spaced: number[] = [];
  for (let i = 0; i < N / 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const t = performance.now();
    await engine.run({ script: JS_SCRIPT, inputs: context, timeoutMs: 5_000, memoryLimitBytes: 32 << 20 });
    spaced.push(performance.now() - t);
  }
  // A pool of two workers serving one caller back to back: each worker prepares while the other runs.
  const pool = new QuickJsEngine({ poolSize: 2 });
  await pool.warmUp();
  for (let i = 0; i < 300; i++) await pool.run({ script: JS_SCRIPT, inputs: context, timeoutMs: 5_000, memoryLimitBytes: 32 << 20 });
  const pooled: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await pool.run({ script: JS_SCRIPT, inputs: context, timeoutMs: 5_000, memoryLimitBytes: 32 << 20 });
    pooled.push(performance.now() - t);
  }
  await pool.dispose();

  // Whole node tick in the test host: blackboard copy + JSON checks + engine + write-back.
  const ticks = await jsNodeTickTimes(engine, context, N);
  await engine.dispose();
  const two = await benchJavaScriptTwoKb();

  const s = { native: stats(native), rawFresh: stats(rawFresh), rawShared: stats(rawShared), warm: stats(warm), ticks: stats(ticks), empty: stats(empty), spaced: stats(spaced), pooled: stats(pooled) };
  report.add({ section: 'javascript', name: `context size (JSON characters)`, value: String(contextBytes) });
  report.add({ section: 'javascript', name: 'baseline: same computation as plain JS in the host (p50)', value: us(s.native.p50) });
  report.add({ section: 'javascript', name: 'raw QuickJS in host thread, fresh runtime per run (p50)', value: ms(s.rawFresh.p50) });
  report.add({ section: 'javascript', name: 'raw QuickJS in host thread, shared runtime, fresh context (p50)', value: ms(s.rawShared.p50) });
  report.add({ section: 'javascript', name: 'fresh runtime ÷ shared runtime (isolation cost, ratio)', value: `${(s.rawFresh.p50 / s.rawShared.p50).toFixed(2)}×` });
  report.add({ section: 'javascript', name: 'engine cold start: new worker + QuickJS load + first run', value: ms(cold) });
  report.add({ section: 'javascript', name: 'JavaScriptInterpreter warm run, 1 KB context (p50)', value: ms(s.warm.p50), goal: '≤ 0.5 ms', pass: s.warm.p50 <= 0.5 });
  report.add({ section: 'javascript', name: 'JavaScriptInterpreter warm run, 1 KB context (mean / p95)', value: `${s.warm.mean.toFixed(3)} / ${s.warm.p95.toFixed(3)} ms` });
  report.add({ section: 'javascript', name: 'engine overhead over raw QuickJS (warm − raw, p50)', value: ms(s.warm.p50 - s.rawFresh.p50) });
  report.add({ section: 'javascript', name: 'warm run of an empty job (fixed cost per run, p50)', value: ms(s.empty.p50) });
  report.add({ section: 'javascript', name: 'warm run, 1 KB context, 1 ms pause between runs (p50)', value: ms(s.spaced.p50) });
  report.add({ section: 'javascript', name: 'warm run, 1 KB context, poolSize 2, back to back (p50)', value: ms(s.pooled.p50) });
  report.add({ section: 'javascript', name: 'whole node tick in the test host (p50)', value: ms(s.ticks.p50) });
  report.add({ section: 'javascript', name: 'node tick ÷ plain JS baseline (ratio)', value: `${Math.round(s.ticks.p50 / s.native.p50)}×` });
  report.add({ section: 'javascript', name: 'blackboard size (JSON characters)', value: String(two.bytes) });
  report.add({ section: 'javascript', name: 'warm run, 2 KB blackboard, fresh runtime per run (baseline, p50)', value: ms(two.fresh.p50) });
  report.add({ section: 'javascript', name: 'warm run, 2 KB blackboard, memory restore (default, p50)', value: ms(two.restore.p50), goal: '≤ 0.3 ms', pass: two.restore.p50 <= 0.3 });
  report.add({ section: 'javascript', name: 'fresh runtime ÷ memory restore (ratio)', value: `${(two.fresh.p50 / two.restore.p50).toFixed(2)}×` });
  report.add({ section: 'javascript', name: 'whole node tick, 2 KB blackboard, memory restore (p50)', value: ms(two.ticks.p50) });
}

/** Times `n` ticks (after 300 to warm up) of a JavaScriptInterpreter node on `engine`, on a test-host blackboard holding `entries`. */
async function jsNodeTickTimes(engine: QuickJsEngine, entries: Record<string, unknown>, n: number): Promise<number[]> {
  testHost.setTestHostLogging(false);
  const { JavaScriptInterpreter } = createJavaScriptInterpreterClass(testHost as unknown as BtreeModule, { engine, logger: { info() {}, warn() {} } });
  const node = new JavaScriptInterpreter({ id: 'bench', script: JS_SCRIPT, outputKey: 'out' });
  const blackboard = new testHost.ScopedBlackboard();
  for (const [k, v] of Object.entries(entries)) blackboard.set(k, v);
  const tickCtx = { blackboard, treeRegistry: new testHost.Registry(), timestamp: Date.now() };
  for (let i = 0; i < 300; i++) await node.tick(tickCtx as never);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await node.tick(tickCtx as never);
    times.push(performance.now() - t);
  }
  return times;
}

/** A blackboard of ≈2 KB of JSON: the 1 KB context plus keys of other nodes the script does not read. */
function twoKbBlackboard(): Record<string, JsonValue> {
  const history = Array.from({ length: 18 }, (_, i) => ({ step: `step-${i}`, at: 1_700_000_000_000 + i * 1000, ok: i % 5 !== 0 }));
  return { ...oneKbContext(), history, profile: { locale: 'en-GB', currency: 'EUR', segments: ['b2b', 'eu', 'priority'] }, attempt: 3, lastError: null };
}

/** The 2 KB figures: engine runs with memory restore and with a fresh runtime per run, alternating, and node ticks. */
async function benchJavaScriptTwoKb(): Promise<{ bytes: number; restore: ReturnType<typeof stats>; fresh: ReturnType<typeof stats>; ticks: ReturnType<typeof stats> }> {
  const inputs = twoKbBlackboard();
  const N = 2_000;
  const restoring = new QuickJsEngine();
  const freshPerRun = new QuickJsEngine({ restoreMemory: false });
  await Promise.all([restoring.warmUp(), freshPerRun.warmUp()]);
  if (restoring.workerIsolation[0] !== 'restore') throw new Error(`the default engine does not restore memory: ${restoring.workerIsolation.join()}`);
  const runOn = (engine: QuickJsEngine) => engine.run({ script: JS_SCRIPT, inputs, timeoutMs: 5_000, memoryLimitBytes: 32 << 20 });
  for (let i = 0; i < 300; i++) {
    await runOn(restoring);
    await runOn(freshPerRun);
  }
  const restore: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    await runOn(restoring);
    restore.push(performance.now() - t);
    t = performance.now();
    await runOn(freshPerRun);
    fresh.push(performance.now() - t);
  }
  await freshPerRun.dispose();
  const ticks = await jsNodeTickTimes(restoring, inputs, N);
  await restoring.dispose();
  return { bytes: JSON.stringify(inputs).length, restore: stats(restore), fresh: stats(fresh), ticks: stats(ticks) };
}

// ---------------------------------------------------------------------------------------------
// Python (PythonInterpreter, Pyodide in isolated-vm). Owner: the Python interpreter engineer.
// ---------------------------------------------------------------------------------------------

const PY_SCRIPT = `
total = sum(o['value'] * o['qty'] for o in orders)
result = {'count': len(orders), 'total': total, 'customer': customer['name'], 'eu': len([o for o in orders if 'eu' in o['tags']])}
`;

/**
 * The seed's `executePython` activity, reproduced faithfully (docs "Implementation"): a temp file in
 * /tmp/python-scripts, the context injected as `key = <JSON>` lines, `python3` spawned per call,
 * the result printed as JSON on stdout and parsed, the file removed.
 */
async function pythonSeedSubprocess(script: string, context: Record<string, unknown>): Promise<unknown> {
  const { spawn } = await import('node:child_process');
  const { writeFileSync, unlinkSync, mkdirSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { randomUUID } = await import('node:crypto');
  const tempDir = join('/tmp', 'python-scripts');
  if (!existsSync(tempDir)) mkdirSync(tempDir, { recursive: true });
  const scriptPath = join(tempDir, `${randomUUID()}.py`);
  const fullScript = `
import json
import sys

# Inject context variables from blackboard
${Object.entries(context)
  .map(([key, val]) => `${key} = ${JSON.stringify(val)}`)
  .join('\n')}

# User script
${script}

# Capture result variable
if 'result' in locals():
    print(json.dumps(result))
else:
    print(json.dumps({}))
`;
  writeFileSync(scriptPath, fullScript);
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const python = spawn('python3', [scriptPath]);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        python.kill('SIGTERM');
        reject(new Error('Python script timed out after 30000ms'));
      }, 30_000);
      python.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
      python.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
      python.on('close', (code) => {
        clearTimeout(timer);
        if (timedOut) return;
        if (code !== 0) reject(new Error(`Python exited with code ${code}: ${stderr}`));
        else resolve(stdout);
      });
      python.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`Failed to start Python: ${err.message}`));
      });
    });
    return JSON.parse(output.trim());
  } finally {
    try {
      unlinkSync(scriptPath);
    } catch {
      // ignore cleanup errors, as the seed does
    }
  }
}

/** The seed's statistics workload: `PYTHON_STATS_SCRIPT` over an HTTP response of 100 items. */
function statsContext(): { httpResponse: { status: number; data: Array<{ id: number; value: number; name: string }> } } {
  return { httpResponse: { status: 200, data: Array.from({ length: 100 }, (_, i) => ({ id: i, value: ((i * 37) % 101) + 0.5, name: `item-${i}` })) } };
}

interface PythonRestartReport {
  ok: boolean;
  /** Engine construction → first result, in the child. */
  total: number;
  init: number;
  firstRun: number;
}

/** Starts `bench/python-restart-child.ts` as a fresh worker process; its report and the process wall time. */
async function benchPythonRestart(env: Record<string, string>): Promise<PythonRestartReport & { wall: number }> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const { bundleSourceEntry } = await import('../src/platform/source-bundle.js');
  const child = bundleSourceEntry(fileURLToPath(new URL('./python-restart-child.ts', import.meta.url)));
  const started = performance.now();
  const proc = spawn(process.execPath, ['--no-node-snapshot', child], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  const wall = performance.now() - started;
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`restart child failed (${code}): ${stderr.slice(-1000)}`);
  const r = JSON.parse(line) as PythonRestartReport;
  if (!r.ok) throw new Error(`restart child's run failed: ${line}`);
  return { ...r, wall };
}

async function benchPython(report: Report): Promise<void> {
  report.section('PythonInterpreter (Pyodide in isolated-vm)');
  const { PythonEngine } = await import('../src/interpreters/python.js');
  const { PYTHON_STATS_SCRIPT } = await import('../examples/seed-workflows.js');
  const { mkdtemp, readdir, rm, stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const context = oneKbContext();
  const stats100 = statsContext();
  const request = (tenantId: string) => ({ script: PY_SCRIPT, inputs: context, timeoutMs: 10_000, memoryLimitBytes: 256 * 2 ** 20, tenantId });
  const statsRequest = (tenantId: string) => ({ script: PYTHON_STATS_SCRIPT, inputs: stats100, timeoutMs: 10_000, memoryLimitBytes: 256 * 2 ** 20, tenantId });
  const expected = JSON.stringify(await pythonSeedSubprocess(PY_SCRIPT, context));
  const expectedStats = JSON.stringify(await pythonSeedSubprocess(PYTHON_STATS_SCRIPT, stats100));

  // Baselines: the seed's subprocess per call, on both scripts (interleaved, so load hits both alike).
  for (let i = 0; i < 3; i++) await pythonSeedSubprocess(PY_SCRIPT, context);
  const seed: number[] = [];
  const seedStats: number[] = [];
  for (let i = 0; i < 30; i++) {
    let t0 = performance.now();
    await pythonSeedSubprocess(PY_SCRIPT, context);
    seed.push(performance.now() - t0);
    t0 = performance.now();
    await pythonSeedSubprocess(PYTHON_STATS_SCRIPT, stats100);
    seedStats.push(performance.now() - t0);
  }

  // Restarted workers (fresh child processes), default cache pointed at a temp dir: the first one finds
  // the cache empty and fills it; the next ones are what a restart costs. Baseline: `cacheDir: false`.
  const restartBase = await mkdtemp(join(os.tmpdir(), 'btp-bench-restart-'));
  const restartEnv = { BTREE_PLUGINS_CACHE_DIR: restartBase };
  const restartCold = await benchPythonRestart({ ...restartEnv, CACHE_DIR: 'off' });
  const restartFill = await benchPythonRestart(restartEnv);
  const restarts: Array<PythonRestartReport & { wall: number }> = [];
  for (let i = 0; i < 5; i++) restarts.push(await benchPythonRestart(restartEnv));
  const snapshotFiles = await readdir(join(restartBase, 'pyodide'));
  const snapshotBytes = (await stat(join(restartBase, 'pyodide', snapshotFiles.find((f) => f.endsWith('.snapshot'))!))).size;
  await rm(restartBase, { recursive: true, force: true });

  // First start of a host without a snapshot cache: load + compile Pyodide, cold boot, make the snapshot.
  const cacheDir = await mkdtemp(join(os.tmpdir(), 'btp-bench-pyodide-'));
  const engine = new PythonEngine({ cacheDir, maxIsolates: 16, maxIdlePerTenant: 1 });
  let t = performance.now();
  await engine.warmUp();
  const firstStart = performance.now() - t;

  // Cold from snapshot: a tenant without a warm isolate (new isolate from the snapshot + first run).
  const cold: number[] = [];
  for (let i = 0; i < 6; i++) {
    t = performance.now();
    const r = await engine.run(request(`cold-${i}`));
    cold.push(performance.now() - t);
    if (!r.ok || JSON.stringify(r.value) !== expected) throw new Error(`bench script gave ${JSON.stringify(r)}, the seed gave ${expected}`);
  }

  // Warm runs of one tenant: the 1 KB orders script, and the seed's statistics script over 100 items.
  for (let i = 0; i < 300; i++) await engine.run(request('warm'));
  const warm: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    t = performance.now();
    await engine.run(request('warm'));
    warm.push(performance.now() - t);
  }
  const firstStats = await engine.run(statsRequest('warm'));
  if (!firstStats.ok || JSON.stringify(firstStats.value) !== expectedStats) throw new Error(`stats script gave ${JSON.stringify(firstStats)}, the seed gave ${expectedStats}`);
  for (let i = 0; i < 300; i++) await engine.run(statsRequest('warm'));
  const warmStats: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    t = performance.now();
    await engine.run(statsRequest('warm'));
    warmStats.push(performance.now() - t);
  }

  // Memory: RSS added by one more warm sandbox (a new tenant's isolate, idle after one run), the
  // default snapshot restore (zero pages left untouched) alternating with Pyodide's whole copy
  // (baseline, `snapshotRestore: 'whole'`) in the same process; median of K each.
  const K = 6;
  const wholeEngine = new PythonEngine({ cacheDir, maxIsolates: 16, maxIdlePerTenant: 1, snapshotRestore: 'whole' });
  const rssAdded = { sparse: [] as number[], whole: [] as number[] };
  for (let i = 0; i < K; i++) {
    for (const [mode, e] of [['sparse', engine], ['whole', wholeEngine]] as const) {
      (globalThis as { gc?: () => void }).gc?.();
      const before = process.memoryUsage().rss;
      await e.run(request(`mem-${mode}-${i}`));
      rssAdded[mode].push(process.memoryUsage().rss - before);
    }
  }
  const live = engine.liveIsolates + wholeEngine.liveIsolates;
  await Promise.all([engine.dispose(), wholeEngine.dispose()]);
  await rm(cacheDir, { recursive: true, force: true });

  const s = { seed: stats(seed), seedStats: stats(seedStats), cold: stats(cold), warm: stats(warm), warmStats: stats(warmStats) };
  const restartTotals = stats(restarts.map((r) => r.total));
  const restartWalls = stats(restarts.map((r) => r.wall));
  const ratio = s.seed.p50 / s.warm.p50;
  const ratioStats = s.seedStats.p50 / s.warmStats.p50;
  const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  report.add({ section: 'python', name: "baseline: the seed's python3 subprocess per call, statistics script (p50)", value: ms(s.seedStats.p50) });
  report.add({ section: 'python', name: 'PythonInterpreter warm, statistics script, 100 items (p50)', value: ms(s.warmStats.p50) });
  report.add({ section: 'python', name: 'PythonInterpreter warm, statistics script (mean / p95)', value: `${s.warmStats.mean.toFixed(3)} / ${s.warmStats.p95.toFixed(3)} ms` });
  report.add({ section: 'python', name: 'subprocess ÷ warm, statistics script (ratio)', value: `${Math.round(ratioStats)}×`, goal: '≥ 400×', pass: ratioStats >= 400 });
  report.add({ section: 'python', name: "baseline: the seed's python3 subprocess per call, orders script (p50)", value: ms(s.seed.p50) });
  report.add({ section: 'python', name: 'PythonInterpreter warm run, orders script, 1 KB context (p50)', value: ms(s.warm.p50) });
  report.add({ section: 'python', name: 'subprocess ÷ warm, orders script (ratio)', value: `${Math.round(ratio)}×` });
  report.add({ section: 'python', name: 'baseline: restarted worker, cacheDir: false (engine → first result)', value: ms(restartCold.total) });
  report.add({ section: 'python', name: 'restarted worker, default cache empty (fills it; engine → result)', value: ms(restartFill.total) });
  report.add({ section: 'python', name: 'restarted worker, default cache (engine → first result, p50 of 5)', value: ms(restartTotals.p50), goal: '≤ 400 ms', pass: restartTotals.p50 <= 400 });
  report.add({ section: 'python', name: '  of which: load + compile Pyodide, read snapshot / boot + run (p50)', value: `${stats(restarts.map((r) => r.init)).p50.toFixed(0)} / ${stats(restarts.map((r) => r.firstRun)).p50.toFixed(0)} ms` });
  report.add({ section: 'python', name: 'restarted worker, default cache, process start → result (p50)', value: ms(restartWalls.p50) });
  report.add({ section: 'python', name: 'restart with default cache ÷ cacheDir: false (ratio)', value: `${(restartTotals.p50 / restartCold.total).toFixed(2)}×` });
  report.add({ section: 'python', name: 'cold from snapshot: new isolate + first run (p50)', value: ms(s.cold.p50), goal: '≤ 300 ms', pass: s.cold.p50 <= 300 });
  report.add({ section: 'python', name: 'cold from snapshot (max of 6)', value: ms(Math.max(...cold)) });
  report.add({ section: 'python', name: 'first start without snapshot cache (compile + boot + snapshot)', value: ms(firstStart) });
  report.add({ section: 'python', name: 'snapshot file on disk (one per runtime and memory cap)', value: mb(snapshotBytes) });
  const rssSparse = stats(rssAdded.sparse).p50;
  const rssWhole = stats(rssAdded.whole).p50;
  report.add({ section: 'python', name: `baseline: RSS per warm sandbox, snapshot copied whole (median of ${K}, ${live} live)`, value: mb(rssWhole) });
  report.add({ section: 'python', name: `RSS per warm Python sandbox, default (zero pages untouched; median of ${K})`, value: mb(rssSparse), goal: 'lower than the whole copy', pass: rssSparse < rssWhole });
  report.add({ section: 'python', name: 'RSS per warm sandbox, default ÷ whole copy (ratio)', value: `${(rssSparse / rssWhole).toFixed(2)}×` });
}

// ---------------------------------------------------------------------------------------------
// Shared entry point.
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const only = process.argv[2];
  console.log(`bench/interpreters — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load ${os.loadavg()[0]?.toFixed(1)}`);
  const report = new Report();
  if (!only || only === 'javascript') await benchJavaScript(report);
  if (!only || only === 'python') await benchPython(report);
  const failed = report.rows.filter((r) => r.pass === false);
  console.log(failed.length ? `\n${failed.length} goal(s) missed on this machine` : '\nall goals met');
}

await main();
