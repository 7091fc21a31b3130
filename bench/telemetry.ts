/**
 * Execution telemetry and the in-process rate limiter: what they add to one custom-node tick
 * (issue 17; goal ≤ 2 µs per tick). Run:
 *   node --no-node-snapshot --import tsx bench/telemetry.ts     (or `npm run bench -- telemetry`)
 *
 * One process, one inline SandboxPool, one tiny node (the `Tally` of bench/native-node.ts, 1 KB
 * blackboard). Every variant ticks the same bundle; in each round every variant's block is paired
 * with a bare block next to it (`pairedRounds`), and each cost is the median over the rounds of
 * (variant − bare) in process CPU µs per tick:
 *  - bare:            `pool.tick` alone (the baseline, measured in the same run);
 *  - control (bare):  bare again, paired with bare: its difference is the noise floor of the method;
 *  - hook:            ExecutionTelemetry with an `onExecution` hook (CPU from the tick's accounting, heap sampled 1/16);
 *  - hook+otel:       the same plus OpenTelemetry SDK metrics as a host gets them by default (counters kept in
 *                     process; two SDK histogram records without attributes: duration and CPU);
 *  - hook+otel by tenant: `histogramAttributes: 'tenant'` (per-tenant histograms: the tenant on both records);
 *  - hook+otel+spans: the same plus one SDK span per tick (BasicTracerProvider, no exporter);
 *  - limiter:         the in-process rate limiter (a rate, a concurrency slot and a daily quota), admitted and
 *                     released around the tick as the binding's node class does (`tickAsTheBindingDoes`);
 *  - limiter+hook+otel: both, as a host configures them;
 *  - heap every tick: `heapSampleEvery: 1`, to show what the sampling saves.
 * `BENCH_ONLY=limiter+hook+otel BENCH_ROUNDS=200` measures one variant (and the control) more finely.
 * Then the same wrappers around a runner that answers at once (no isolate): the overhead alone,
 * over many more calls, where the sandbox's own variance cannot hide it.
 */
import os from 'node:os';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import * as esbuild from 'esbuild';
import { ExecutionLimits } from '../src/rate-limits/execution-limits.js';
import { SandboxPool } from '../src/sandbox/pool.js';
import type { NodeRunner, TickInput, TickOutcome } from '../src/sandbox/types.js';
import { ExecutionTelemetry } from '../src/telemetry/execution-telemetry.js';
import { blackboard1k, bundle, NODE_SOURCE } from './native-node.js';
import { tickAsTheBindingDoes } from './rate-limits.js';
import { median, timePerCall } from './stats.js';

/** The lower and upper quartiles of `xs`. */
function quartiles(xs: readonly number[]): [number, number] {
  const s = [...xs].sort((a, b) => a - b);
  return [s[Math.floor(s.length / 4)]!, s[Math.floor((3 * s.length) / 4)]!];
}

/** The goal (issue 17) is on telemetry and the in-process limiter together, as a host configures them. */
const GOAL_VARIANT = 'limiter+hook+otel';

/** A reader that collects only when asked (as a Prometheus scrape would, rarely). */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * Times every variant against `bare` in `rounds` rounds: in each round each variant's block of `n`
 * calls is paired with a bare block right next to it (in alternating order), and its cost is the
 * difference within the pair. A sandboxed tick drifts by several µs over seconds (the isolate's heap
 * and GC); pairing adjacent blocks keeps that drift out of the differences.
 */
async function pairedRounds(variants: Record<string, () => Promise<unknown>>, n: number, rounds: number): Promise<{ bare: Array<{ wall: number; cpu: number }>; added: Record<string, { cpu: number[]; wall: number[] }> }> {
  const { bare, ...others } = variants;
  const bareSamples: Array<{ wall: number; cpu: number }> = [];
  const added: Record<string, { cpu: number[]; wall: number[] }> = Object.fromEntries(Object.keys(others).map((k) => [k, { cpu: [], wall: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(others)) {
      const first = r % 2 === 0;
      const a = first ? await timePerCall(n, bare!) : await timePerCall(n, fn);
      const b = first ? await timePerCall(n, fn) : await timePerCall(n, bare!);
      const [base, with_] = first ? [a, b] : [b, a];
      bareSamples.push(base);
      added[name]!.cpu.push(with_.cpu - base.cpu);
      added[name]!.wall.push(with_.wall - base.wall);
    }
  }
  return { bare: bareSamples, added };
}

async function main(): Promise<void> {
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
    // The control: bare against bare. Its "added" cost is the noise floor of the pairing.
    'control (bare)': async () => check(await pool.tick(b, input())),
    hook: async () => check(await hook.tick(pool, b, input())),
    'hook+otel': async () => check(await hookOtel.tick(pool, b, input())),
    'hook+otel by tenant': async () => check(await hookOtelByTenant.tick(pool, b, input())),
    'hook+otel+spans': async () => check(await hookOtelSpans.tick(pool, b, input())),
    limiter: () => tickAsTheBindingDoes(limits, b.tenantId, b.node, () => pool.tick(b, input()), check),
    'limiter+hook+otel': () => tickAsTheBindingDoes(limits, b.tenantId, b.node, () => hookOtel.tick(pool, b, input()), check),
    'heap every tick': async () => check(await heapEvery.tick(pool, b, input())),
  };
  const N = Number(process.env.BENCH_TICKS ?? 2_000);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
  // BENCH_ONLY=name,name: only those variants (and the control), for more rounds in the same time.
  const only = process.env.BENCH_ONLY?.split(',').map((x) => x.trim());
  if (only) for (const name of Object.keys(variants)) if (name !== 'bare' && name !== 'control (bare)' && !only.includes(name)) delete variants[name];
  const ticks = await pairedRounds(variants, N, ROUNDS);
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores; ${ROUNDS} rounds of ${N} ticks per variant, each block paired with a bare block next to it`);
  const bareCpu = median(ticks.bare.map((x) => x.cpu));
  console.log(`${'bare'.padEnd(19)} ${bareCpu.toFixed(2).padStart(6)} µs CPU, ${median(ticks.bare.map((x) => x.wall)).toFixed(2).padStart(6)} µs wall per tick  (baseline)`);
  for (const [name, d] of Object.entries(ticks.added)) {
    const dCpu = median(d.cpu);
    if (name === 'control (bare)') {
      const spread = quartiles(d.cpu);
      console.log(`${name.padEnd(19)} +${dCpu.toFixed(2)} µs CPU per tick vs bare (the noise floor; pair differences' quartiles ${spread[0].toFixed(1)} … ${spread[1].toFixed(1)} µs)`);
      continue;
    }
    const goal = name !== GOAL_VARIANT ? '' : dCpu <= 2 ? '  ✓ goal ≤ 2 µs' : '  ✗ over the 2 µs goal';
    console.log(`${name.padEnd(19)} +${dCpu.toFixed(2)} µs CPU, +${median(d.wall).toFixed(2)} µs wall per tick vs bare; ratio ${((bareCpu + dCpu) / bareCpu).toFixed(3)}×${goal}`);
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
  const M = 20_000;
  const alone: Record<string, () => Promise<unknown>> = {
    bare: () => instant.tick(b, input()),
    hook: () => hook.tick(instant, b, input()),
    'hook+otel': () => hookOtel.tick(instant, b, input()),
    'hook+otel by tenant': () => hookOtelByTenant.tick(instant, b, input()),
    'hook+otel+spans': () => hookOtelSpans.tick(instant, b, input()),
    limiter: () => tickAsTheBindingDoes(limits, b.tenantId, b.node, () => instant.tick(b, input())),
    'limiter+hook+otel': () => tickAsTheBindingDoes(limits, b.tenantId, b.node, () => hookOtel.tick(instant, b, input())),
  };
  const overhead = await pairedRounds(alone, M, ROUNDS * 2);
  console.log(`\noverhead alone (a runner that answers at once; ${ROUNDS * 2} rounds of ${M} calls, paired as above), process CPU per call:`);
  console.log(`${'bare'.padEnd(19)} ${median(overhead.bare.map((x) => x.cpu)).toFixed(3)} µs (baseline)`);
  for (const [name, d] of Object.entries(overhead.added)) {
    const dCpu = median(d.cpu);
    console.log(`${name.padEnd(19)} +${dCpu.toFixed(3)} µs per tick${name !== GOAL_VARIANT ? '' : dCpu <= 2 ? '  ✓ goal ≤ 2 µs' : '  ✗ over the 2 µs goal'}`);
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
