/**
 * The author's harness (issue 13). Run:
 *   node --no-node-snapshot --import tsx bench/authoring.ts
 *
 * Reports, in one run:
 *  - a tick of a node with one capability call through the bare `SandboxPool` (the baseline), the
 *    same with the usage report the harness asks for (`onUsage`: a V8 heap read), and the same
 *    through `NodeHarness.run` (props checked against the schema, calls recorded): µs per tick and
 *    the ratios to the baseline;
 *  - `NodeHarness.load` (compile + a new isolate + inspect) and `validateNode`, in ms.
 */
import { createHash } from 'node:crypto';
import { NodeHarness } from '../src/authoring/node-harness.js';
import { validateNode } from '../src/authoring/validate-node.js';
import { compileNode } from '../src/loader/compile.js';
import { SandboxPool } from '../src/sandbox/pool.js';
import type { RunnableBundle } from '../src/sandbox/types.js';
import { stats } from './stats.js';

const SOURCE = `import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
import { proxyActivities } from '@temporalio/workflow';
const { send } = proxyActivities<{ send(message: string): Promise<{ id: string }> }>({ startToCloseTimeout: '5s' });
export default defineNode({
  name: 'Notify',
  props: z.object({ message: z.string().min(1), outputKey: z.string().default('messageId') }),
  async tick(ctx) {
    const message = ctx.props.message.replace(/\\{\\{(\\w+)\\}\\}/g, (_m, key: string) => String(ctx.blackboard.get(key) ?? ''));
    ctx.blackboard.set(ctx.props.outputKey, (await send(message)).id);
    return NodeStatus.SUCCESS;
  },
});
`;
const PROPS = { message: 'Order {{orderId}} shipped', outputKey: 'messageId' };
const BLACKBOARD = { orderId: 42 };
const ROUNDS = 9;
const PER_ROUND = 400;

/**
 * µs per tick of each variant: rounds of {@link PER_ROUND} ticks, the variants interleaved round by
 * round (so that JIT warm-up and GC fall on all of them alike), the median round of each.
 */
async function perTick(variants: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  for (const fn of Object.values(variants)) for (let i = 0; i < 300; i++) await fn();
  const rounds: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < PER_ROUND; i++) await fn();
      rounds[name]!.push(Number(process.hrtime.bigint() - t0) / 1e3 / PER_ROUND);
    }
  }
  return Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, stats(v).p50]));
}

async function main(): Promise<void> {
  const compiled = await compileNode({ name: 'Notify', version: '1.0.0', source: SOURCE });
  const bundle: RunnableBundle = {
    tenantId: 'bench',
    node: 'Notify',
    version: '1.0.0',
    code: compiled.bundle,
    sourceMap: compiled.sourceMap,
    sha256: createHash('sha256').update(compiled.bundle).digest('hex'),
  };
  const pool = new SandboxPool({ capabilities: { send: async () => ({ id: 'm-1' }) } });
  const harness = await NodeHarness.load({ source: SOURCE, name: 'Notify' });
  try {
    const input = { props: PROPS, blackboard: BLACKBOARD };
    const { bare, withUsage, viaHarness } = (await perTick({
      bare: () => pool.tick(bundle, input),
      withUsage: () => pool.tick(bundle, { ...input, onUsage: () => {} }),
      viaHarness: () => harness.run({ ...input, capabilities: { send: { id: 'm-1' } } }),
    })) as Record<'bare' | 'withUsage' | 'viaHarness', number>;
    console.log(`tick with one capability call (µs/tick, median of ${ROUNDS} interleaved rounds of ${PER_ROUND}):`);
    console.log(`  SandboxPool.tick (baseline)     ${bare.toFixed(1)}`);
    console.log(`  + onUsage (heap read)           ${withUsage.toFixed(1)}   ×${(withUsage / bare).toFixed(2)}`);
    console.log(`  NodeHarness.run                 ${viaHarness.toFixed(1)}   ×${(viaHarness / bare).toFixed(2)}`);
  } finally {
    await harness.dispose();
    await pool.dispose();
  }

  const loads: number[] = [];
  const validations: number[] = [];
  for (let i = 0; i < 10; i++) {
    let t = performance.now();
    const h = await NodeHarness.load({ source: SOURCE, name: 'Notify' });
    loads.push(performance.now() - t);
    await h.dispose();
    t = performance.now();
    const report = await validateNode({ name: 'Notify', files: { 'notify.ts': SOURCE }, entry: 'notify.ts' });
    validations.push(performance.now() - t);
    if (!report.ok) throw new Error(`validateNode: ${JSON.stringify(report.diagnostics)}`);
  }
  const show = (s: ReturnType<typeof stats>): string => `mean ${s.mean.toFixed(1)} ms, p50 ${s.p50.toFixed(1)}, p95 ${s.p95.toFixed(1)}`;
  console.log(`NodeHarness.load (compile + new isolate + inspect), 10 runs: ${show(stats(loads))}`);
  console.log(`validateNode (the same, plus scan and props-schema checks), 10 runs: ${show(stats(validations))}`);
}

await main();
