/**
 * Temporal benchmark (issues 6 and 18). Run:
 *   node --no-node-snapshot --import tsx bench/temporal.ts
 *
 * Uses the Temporal server at TEMPORAL_ADDRESS, or starts the CLI's dev server. One in-process
 * worker with the real parts (TenantRegistry over memory storage, isolated-vm SandboxPool, QuickJS).
 * Reports, in one run, the wall time (client start → result) of `testTree` workflows whose tree is:
 *  - a Sequence of N = 20 ticks, native (baseline) or tenant, in each activity mode: the tree ratio
 *    (goal ≤ 2×) and the tick ratio in ms/tick as issue 18 counted its "13×" (goal ≤ 3×; with that
 *    definition it equals the tree ratio);
 *  - one tick, native or tenant, in each mode (the workflow's fixed costs included), for reference;
 *  - a Sequence of 20 JavaScriptInterpreter runs in each mode, and a workflow calling a no-op
 *    normal activity 21 times (the floor of a normal-activity tick), for reference.
 * Every workflow runs the resolve activity first (registerTenantNodes), native ones too. It also
 * reads the history of one run of each tree: events and bytes per tick, per mode.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startTemporalServer } from '../test/setup/servers/temporal-server.js';
import type { testTree } from '../test/temporal/fixtures/workflows.js';
import { realHost } from '../test/temporal/helpers/real-host.js';
import { median } from './stats.js';

const N = 20;
const RUNS = 15;
const APPEND = `
import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
export default class Append extends ActionNode {
  async executeTick(ctx: any) {
    const trail = ctx.blackboard.get('trail') ?? [];
    ctx.blackboard.set('trail', [...trail, this.config.label]);
    return NodeStatus.SUCCESS;
  }
}`;

const JS = tree('JavaScriptInterpreter', (i) => `{ script: "result = (typeof jsResult === 'number' ? jsResult : 0) + ${i}", timeout: 1s }`);

function tree(type: string, props: (i: number) => string): string {
  const children = Array.from({ length: N }, (_, i) => `  - type: ${type}\n    props: ${props(i)}`).join('\n');
  return `type: Sequence\nchildren:\n${children}\n`;
}

/** Time spent inside each plugin activity (what the library itself costs per call). */
const inside: Record<string, number[]> = {};
function timed(activities: Record<string, (...a: unknown[]) => Promise<unknown>>): Record<string, (...a: unknown[]) => Promise<unknown>> {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return await fn(...args);
        } finally {
          (inside[name] ??= []).push(performance.now() - t0);
        }
      },
    ]),
  );
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const server = await startTemporalServer((line) => console.log(`[server] ${line}`));
  const address = server.env.TEMPORAL_ADDRESS!;
  const parts = realHost();
  await parts.publishActive('Append', '1.0.0', APPEND);
  const taskQueue = `bench-${Date.now()}`;
  const [clientConnection, connection, bundle] = await Promise.all([
    Connection.connect({ address }),
    NativeConnection.connect({ address }),
    bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../test/temporal/fixtures/workflows.ts', import.meta.url)), logger: new DefaultLogger('ERROR') }),
  ]);
  const client = new Client({ connection: clientConnection });
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: { code: bundle.code }, activities: { ...timed(parts.activities as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>), benchNoop: async (i: number) => i } });
  const running = worker.run();

  type Mode = 'local' | 'normal';
  interface Variant {
    yaml: string;
    mode?: Mode;
  }
  const single = (type: string, props: string) => `type: ${type}\nprops: ${props}\n`;
  const variants: Record<string, Variant> = {
    // Native trees pass a mode too (it changes nothing for them), so that no variant records the default's patch marker.
    'native×1': { yaml: single('NativeAppend', '{ label: n0 }'), mode: 'local' },
    'tenant×1 local': { yaml: single('Append', '{ label: t0 }'), mode: 'local' },
    'tenant×1 normal': { yaml: single('Append', '{ label: t0 }'), mode: 'normal' },
    [`native×${N}`]: { yaml: tree('NativeAppend', (i) => `{ label: n${i} }`), mode: 'local' },
    [`tenant×${N} local`]: { yaml: tree('Append', (i) => `{ label: t${i} }`), mode: 'local' },
    [`tenant×${N} normal`]: { yaml: tree('Append', (i) => `{ label: t${i} }`), mode: 'normal' },
    [`javascript×${N} local`]: { yaml: JS, mode: 'local' },
    [`javascript×${N} normal`]: { yaml: JS, mode: 'normal' },
  };
  const times: Record<string, number[]> = Object.fromEntries([...Object.keys(variants), 'plain'].map((k) => [k, []]));
  const histories: Record<string, { events: number; bytes: number }> = {};
  let id = 0;
  const runOnce = async (variant: string, keepHistory = false) => {
    const t0 = performance.now();
    if (variant === 'plain') {
      await client.workflow.execute('plainActivities', { taskQueue, workflowId: `bench-plain-${Date.now()}-${id++}`, args: [N + 1] }); // + the resolve activity the tree workflows run first
      return performance.now() - t0;
    }
    const { yaml, mode } = variants[variant]!;
    const handle = await client.workflow.start<typeof testTree>('testTree', {
      taskQueue,
      workflowId: `bench-${variant.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}-${id++}`,
      args: [{ tenantId: 'acme', yaml, input: {}, options: { recordUsage: false, ...(mode ? { activityMode: mode } : {}) } }],
    });
    const result = await handle.result();
    const elapsed = performance.now() - t0;
    if (result.status !== 'SUCCESS') throw new Error(`${variant} run failed: ${result.lastError}`);
    if (keepHistory) {
      const history = await handle.fetchHistory();
      const { raw } = await handle.describe();
      histories[variant] = { events: history.events?.length ?? 0, bytes: Number(raw.workflowExecutionInfo?.historySizeBytes ?? 0) };
    }
    return elapsed;
  };
  const all = [...Object.keys(variants), 'plain'];
  for (const v of all) await runOnce(v, true); // warm-up (isolates, QuickJS module, caches) and one history each
  for (let r = 0; r < RUNS; r++) for (const v of all) times[v]!.push(await runOnce(v));

  worker.shutdown();
  await running;
  await clientConnection.close();
  await connection.close();
  await parts.dispose();
  await server.stop();

  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  const f = (x: number) => x.toFixed(1);
  const verdict = (ratio: number, goal: number) => `${ratio.toFixed(2)}× (goal ≤ ${goal}×) ${ratio <= goal ? '✓' : '✗'}`;
  console.log(`\nmachine: ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; Temporal dev server ${server.origin.includes('started') ? '(started here)' : '(TEMPORAL_ADDRESS)'}`);
  console.log(`workflow wall time, client start → result; median of ${RUNS} runs each (every workflow runs the resolve activity first)`);
  for (const v of all) {
    const ticks = v === 'plain' ? N + 1 : /×(\d+)/.exec(v) ? Number(/×(\d+)/.exec(v)![1]) : 1;
    const label = v === 'plain' ? `no-op normal activity ×${N + 1} (floor)` : v;
    console.log(`  ${label.padEnd(36)} ${f(m[v]!).padStart(8)} ms/workflow  ${(m[v]! / ticks).toFixed(2).padStart(7)} ms/tick`);
  }
  for (const mode of ['local', 'normal'] as const) {
    console.log(`\n${mode} activities:`);
    // Per tick as issue 18 counted its "13×": ms/tick of the 20-tick trees (so it equals the tree ratio).
    const perTick = m[`tenant×${N} ${mode}`]! / N / (m[`native×${N}`]! / N);
    console.log(`  tenant tick vs a native tick (ms/tick, ${N}-tick trees):  ${verdict(perTick, 3)}`);
    console.log(`  ${N}-node tenant tree vs the native ${N}-node tree:       ${verdict(m[`tenant×${N} ${mode}`]! / m[`native×${N}`]!, 2)}`);
    console.log(`  one-tick workflows, tenant vs native (fixed costs included): ${(m[`tenant×1 ${mode}`]! / m['native×1']!).toFixed(2)}×`);
    console.log(`  added latency per tenant tick over a native tick: ${((m[`tenant×${N} ${mode}`]! - m[`native×${N}`]!) / N).toFixed(2)} ms; per JS script run: ${((m[`javascript×${N} ${mode}`]! - m[`native×${N}`]!) / N).toFixed(2)} ms`);
  }
  console.log(`\nhistory (one run of each ${N}-node tree; per tick = over the native tree, / ${N}):`);
  const base = histories[`native×${N}`]!;
  console.log(`  native×${N}: ${base.events} events, ${base.bytes} bytes`);
  for (const v of [`tenant×${N} local`, `tenant×${N} normal`, `javascript×${N} local`, `javascript×${N} normal`]) {
    const h = histories[v]!;
    console.log(`  ${v.padEnd(22)} ${String(h.events).padStart(4)} events, ${String(h.bytes).padStart(6)} bytes; per tick ${((h.events - base.events) / N).toFixed(2)} events, ${Math.round((h.bytes - base.bytes) / N)} bytes`);
  }
  for (const [name, xs] of Object.entries(inside)) console.log(`inside ${name}: median ${median(xs).toFixed(2)} ms over ${xs.length} calls`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
