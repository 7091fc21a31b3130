/**
 * Execution telemetry and the in-process rate limiter: what they add to one custom-node tick
 * (issue 17; goal ≤ 2 µs per tick). Run:
 *   node --no-node-snapshot --import tsx bench/telemetry.ts     (or `npm run bench -- telemetry`)
 *
 * One process, one inline SandboxPool, one tiny node (the `Tally` of bench/native-node.ts, 1 KB
 * blackboard). Every variant ticks the same bundle; the variants run in alternating rounds so that
 * a change of load on the (shared) machine hits all of them, and each cost is the median over the
 * rounds of (variant − bare tick) in process CPU µs per tick:
 *  - bare:            `pool.tick` alone (the baseline, measured in the same run);
 *  - hook:            ExecutionTelemetry with an `onExecution` hook (CPU from the tick's accounting, heap sampled 1/16);
 *  - hook+otel:       the same plus OpenTelemetry SDK metrics as a host gets them by default (counters kept in
 *                     process; two SDK histogram records without attributes: duration and CPU);
 *  - hook+otel by tenant: `histogramAttributes: 'tenant'` (per-tenant histograms: the tenant on both records);
 *  - hook+otel+spans: the same plus one SDK span per tick (BasicTracerProvider, no exporter);
 *  - limiter:         the in-process rate limiter (`limitedTick` with a rate, a concurrency slot and a daily quota);
 *  - limiter+hook+otel: both, as a host configures them;
 *  - heap every tick: `heapSampleEvery: 1`, to show what the sampling saves.
 * Then the same wrappers around a runner that answers at once (no isolate): the overhead alone,
 * over many more calls, where the sandbox's own variance cannot hide it.
 */
import os from 'node:os';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import * as esbuild from 'esbuild';
import { ExecutionLimits } from '../src/rate-limits/execution-limits.js';
import { limitedTick } from '../src/rate-limits/run-gates.js';
import { SandboxPool } from '../src/sandbox/pool.js';
import type { NodeRunner, TickInput, TickOutcome } from '../src/sandbox/types.js';
import { ExecutionTelemetry } from '../src/telemetry/execution-telemetry.js';
import { blackboard1k, bundle, NODE_SOURCE } from './native-node.js';
import { median, timePerCall } from './stats.js';

/** The goal (issue 17) is on telemetry and the in-process limiter together, as a host configures them. */
const GOAL_VARIANT = 'limiter+hook+otel';

/** A reader that collects only when asked (as a Prometheus scrape would, rarely). */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function main(): Promise<void> {
  const N = Number(process.env.BENCH_TICKS ?? 20_000);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
  const bb = blackboard1k();
  // Generous limits: a GC pause on a loaded machine must not turn a measured tick into a breach.
  const pool = new SandboxPool({ maxIsolates: 10, limits: { cpuTimeMs: 5_000, wallTimeMs: 10_000 } });
  const b = await bundle(NODE_SOURCE, 'Tally', 'bench');
  const input = (): TickInput => ({ props: {}, blackboard: bb });
  const check = (o: { status: string; error?: string }): void => {
    if (o.status !== 'SUCCESS') throw new Error(o.error);
  };

  let events = 0;
  const onExecution = (): void => {
    events++;
  };
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const tracerProvider = new BasicTracerProvider();
  const hook = new ExecutionTelemetry({ onExecution });
  const hookOtel = new ExecutionTelemetry({ onExecution, meter: meterProvider.getMeter('bench') });
  const hookOtelByTenant = new ExecutionTelemetry({ onExecution, meter: meterProvider.getMeter('bench-by-tenant'), histogramAttributes: 'tenant' });
  const hookOtelSpans = new ExecutionTelemetry({ onExecution, meter: meterProvider.getMeter('bench-spans'), tracer: tracerProvider.getTracer('bench') });
  const heapEvery = new ExecutionTelemetry({ onExecution, heapSampleEvery: 1 });
  await Promise.all([hook.ready, hookOtel.ready, hookOtelByTenant.ready, hookOtelSpans.ready, heapEvery.ready]);
  // Limits that admit every tick but make the limiter do all its work: a token, a slot, a quota unit.
  const limits = new ExecutionLimits({ defaults: { runsPerSecond: 1e6, burst: 1e6, concurrent: 1000, dailyQuota: 1e9 } });

  const variants: Record<string, () => Promise<void>> = {
    bare: async () => check(await pool.tick(b, input())),
    hook: async () => check(await hook.tick(pool, b, input())),
    'hook+otel': async () => check(await hookOtel.tick(pool, b, input())),
    'hook+otel by tenant': async () => check(await hookOtelByTenant.tick(pool, b, input())),
    'hook+otel+spans': async () => check(await hookOtelSpans.tick(pool, b, input())),
    limiter: async () => check(await limitedTick(limits, b.tenantId, b.node, undefined, () => pool.tick(b, input()))),
    'limiter+hook+otel': async () => check(await limitedTick(limits, b.tenantId, b.node, undefined, () => hookOtel.tick(pool, b, input()))),
    'heap every tick': async () => check(await heapEvery.tick(pool, b, input())),
  };
  const results: Record<string, Array<{ wall: number; cpu: number }>> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(variants)) results[name]!.push(await timePerCall(N, fn));

  const base = results.bare!;
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores; ${N} ticks × ${ROUNDS} alternating rounds per variant`);
  for (const [name, runs] of Object.entries(results)) {
    const cpu = median(runs.map((x) => x.cpu));
    const wall = median(runs.map((x) => x.wall));
    const line = `${name.padEnd(19)} ${cpu.toFixed(2).padStart(6)} µs CPU, ${wall.toFixed(2).padStart(6)} µs wall per tick`;
    if (name === 'bare') {
      console.log(`${line}  (baseline)`);
      continue;
    }
    const dCpu = median(runs.map((x, i) => x.cpu - base[i]!.cpu));
    const dWall = median(runs.map((x, i) => x.wall - base[i]!.wall));
    const goal = name !== GOAL_VARIANT ? '' : dCpu <= 2 ? '  ✓ goal ≤ 2 µs' : '  ✗ over the 2 µs goal';
    console.log(`${line}  +${dCpu.toFixed(2)} µs CPU, +${dWall.toFixed(2)} µs wall vs bare; ratio ${(cpu / median(base.map((x) => x.cpu))).toFixed(3)}×${goal}`);
  }
  // The overhead alone: a runner that answers at once (reporting its usage as the sandbox does).
  const answer: TickOutcome = { status: 'SUCCESS', writes: {}, deletes: [], logs: [] };
  const instant: NodeRunner = {
    inspect: async () => ({ category: 'action', ports: [] }),
    dispose: async () => {},
    tick: async (_b, i) => {
      i.onUsage?.({ cpuMs: 0.01, wallMs: 0.02, heapBytes: undefined });
      return answer;
    },
  };
  const M = N * 10;
  const alone: Record<string, () => Promise<unknown>> = {
    bare: () => instant.tick(b, input()),
    hook: () => hook.tick(instant, b, input()),
    'hook+otel': () => hookOtel.tick(instant, b, input()),
    'hook+otel by tenant': () => hookOtelByTenant.tick(instant, b, input()),
    'hook+otel+spans': () => hookOtelSpans.tick(instant, b, input()),
    limiter: () => limitedTick(limits, b.tenantId, b.node, undefined, () => instant.tick(b, input())),
    'limiter+hook+otel': () => limitedTick(limits, b.tenantId, b.node, undefined, () => hookOtel.tick(instant, b, input())),
  };
  const aloneRuns: Record<string, number[]> = Object.fromEntries(Object.keys(alone).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [name, fn] of Object.entries(alone)) aloneRuns[name]!.push((await timePerCall(M, fn)).cpu);
  console.log(`\noverhead alone (a runner that answers at once; ${M} calls × ${ROUNDS} rounds), process CPU per call:`);
  for (const [name, runs] of Object.entries(aloneRuns)) {
    if (name === 'bare') {
      console.log(`${name.padEnd(19)} ${median(runs).toFixed(3)} µs (baseline)`);
      continue;
    }
    const d = median(runs.map((x, i) => x - aloneRuns.bare![i]!));
    console.log(`${name.padEnd(19)} +${d.toFixed(3)} µs per tick${name !== GOAL_VARIANT ? '' : d <= 2 ? '  ✓ goal ≤ 2 µs' : '  ✗ over the 2 µs goal'}`);
  }

  const collected = await reader.collect();
  const points = collected.resourceMetrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, x) => m + x.dataPoints.length, 0), 0);
  console.log(`events delivered: ${events}; OpenTelemetry data points after the run: ${points} (one series per variant: bounded)`);
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
  await pool.dispose();
  await esbuild.stop();
}

await main();
