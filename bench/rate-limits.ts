/**
 * The in-process rate limiter's cost per tick (issue 17; the combined "telemetry + in-process
 * limiter ≤ 2 µs per tick" figure is bench/telemetry.ts's, which imports {@link admittingLimits}).
 * Run:
 *   node --no-node-snapshot --import tsx bench/rate-limits.ts     (or `npm run bench -- rate-limits`)
 *
 * Every variant wraps the same tick of a runner that answers at once (no isolate), so the figure is
 * the limiter's own overhead; variants alternate over several rounds and each cost is the median of
 * (variant − bare) in process CPU ns per tick, the bare tick measured in the same run:
 *  - bare:            the tick alone (`await run()`);
 *  - no limits:       {@link tickAsTheBindingDoes} for a tenant without limits (the cost every host pays);
 *  - rate:            runsPerSecond + burst (one GCRA step);
 *  - rate+quota:      and a daily quota;
 *  - rate+slot+quota: and a concurrency slot (what a host with every limit pays).
 */
import { pathToFileURL } from 'node:url';
import type { TickOutcome } from '../src/binding-core/types.js';
import { ExecutionLimits } from '../src/rate-limits/execution-limits.js';
import { admitNodeTick, refusedTick } from '../src/rate-limits/run-gates.js';
import type { TenantRateLimits } from '../src/rate-limits/types.js';
import { median } from './stats.js';

/** Limits that admit every tick yet make the in-process limiter do all its work: a GCRA step, a concurrency slot and a quota unit. */
export const ADMIT_ALL_WITH_EVERY_LIMIT: TenantRateLimits = { runsPerSecond: 1e6, burst: 1e6, concurrent: 1000, dailyQuota: 1e12 };

/**
 * An {@link ExecutionLimits} over the in-process limiter that admits every run of every tenant
 * while checking `limits` (default {@link ADMIT_ALL_WITH_EVERY_LIMIT}). Run a tick under them with
 * {@link tickAsTheBindingDoes}.
 */
export function admittingLimits(limits: TenantRateLimits = ADMIT_ALL_WITH_EVERY_LIMIT): ExecutionLimits {
  return new ExecutionLimits({ defaults: limits });
}

/**
 * One tick of tenant `tenantId`'s node `node` under `limits`, as the binding's node class runs it
 * (src/btree/node-class.ts): admitted, ticked and released in one async function, whose own
 * `await` is the tick's; `then` gets the outcome (a refusal's FAILURE included).
 */
export async function tickAsTheBindingDoes(limits: ExecutionLimits | undefined, tenantId: string, node: string, tick: () => Promise<TickOutcome>, then?: (outcome: TickOutcome) => void): Promise<void> {
  let permit;
  try {
    const admitted = admitNodeTick(limits, tenantId, node, undefined);
    permit = admitted instanceof Promise ? await admitted : admitted;
  } catch (error) {
    then?.(refusedTick(error));
    return;
  }
  let outcome: TickOutcome;
  try {
    outcome = await tick();
  } finally {
    permit.release();
  }
  then?.(outcome);
}

const OUTCOME: TickOutcome = { status: 'SUCCESS', writes: {}, deletes: [], logs: [] };
const run = (): Promise<TickOutcome> => Promise.resolve(OUTCOME);

async function cpuNsPerCall(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(5000, n); i++) await fn();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

async function main(): Promise<void> {
  const N = Number(process.env.BENCH_TICKS ?? 200_000);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
  const none = new ExecutionLimits({ tenants: { other: { rateLimits: { runsPerSecond: 1 } } } });
  const rate = admittingLimits({ runsPerSecond: 1e6, burst: 1e6 });
  const rateQuota = admittingLimits({ runsPerSecond: 1e6, burst: 1e6, dailyQuota: 1e12 });
  const all = admittingLimits();
  const ignore = (_outcome: TickOutcome): void => {};
  const variants: Record<string, () => Promise<unknown>> = {
    bare: async () => ignore(await run()),
    'no limits': () => tickAsTheBindingDoes(none, 'bench', 'Tally', run, ignore),
    rate: () => tickAsTheBindingDoes(rate, 'bench', 'Tally', run, ignore),
    'rate+quota': () => tickAsTheBindingDoes(rateQuota, 'bench', 'Tally', run, ignore),
    'rate+slot+quota': () => tickAsTheBindingDoes(all, 'bench', 'Tally', run, ignore),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(variants)) samples[name]!.push(await cpuNsPerCall(N, fn));
  }
  const bare = samples.bare!;
  console.log(`in-process limiter, ${N} ticks × ${ROUNDS} rounds, process CPU per tick (median over rounds)`);
  console.log(`  bare tick (runner answering at once): ${median(bare).toFixed(0)} ns`);
  for (const name of Object.keys(variants).filter((k) => k !== 'bare')) {
    const added = median(samples[name]!.map((x, i) => x - bare[i]!));
    console.log(`  ${name.padEnd(16)} +${added.toFixed(0).padStart(5)} ns per tick (${(median(samples[name]!) / median(bare)).toFixed(2)}× the bare tick)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
