/**
 * Temporal benchmark (issue 6). Run:
 *   node --no-node-snapshot --import tsx bench/temporal.ts
 *
 * Uses the Temporal server at TEMPORAL_ADDRESS, or starts the CLI's dev server. One in-process
 * worker with the real parts (TenantRegistry over memory storage, isolated-vm SandboxPool, QuickJS).
 * Reports, in one run, the wall time of workflows whose tree is a Sequence of N ticks of:
 *  - a native ActionNode (baseline: runs inside the workflow, no activity),
 *  - a tenant custom node (one activity per tick: blackboard copy → sandbox tick → writes back),
 *  - a JavaScriptInterpreter node (one activity per tick: QuickJS run),
 * and the added latency of one tenant tick against a native tick in the same workflow. As the floor
 * of any activity-backed tick, it also times a workflow that calls a no-op activity N + 1 times (the
 * tree workflows run one resolve activity first).
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

  const variants: Record<string, string> = {
    native: tree('NativeAppend', (i) => `{ label: n${i} }`),
    tenant: tree('Append', (i) => `{ label: t${i} }`),
    javascript: tree('JavaScriptInterpreter', (i) => `{ script: "result = (typeof jsResult === 'number' ? jsResult : 0) + ${i}", timeout: 1s }`),
  };
  const times: Record<string, number[]> = { native: [], tenant: [], javascript: [], plain: [] };
  let id = 0;
  const runOnce = async (variant: string) => {
    const t0 = performance.now();
    if (variant === 'plain') {
      await client.workflow.execute('plainActivities', { taskQueue, workflowId: `bench-plain-${Date.now()}-${id++}`, args: [N + 1] }); // + the resolve activity the tree workflows run first
      return performance.now() - t0;
    }
    const result = await client.workflow.execute<typeof testTree>('testTree', {
      taskQueue,
      workflowId: `bench-${variant}-${Date.now()}-${id++}`,
      args: [{ tenantId: 'acme', yaml: variants[variant]!, input: {}, options: { recordUsage: false } }],
    });
    if (result.status !== 'SUCCESS') throw new Error(`${variant} run failed: ${result.lastError}`);
    return performance.now() - t0;
  };
  const all = [...Object.keys(variants), 'plain'];
  for (const v of all) await runOnce(v); // warm-up: isolates, QuickJS module, caches
  for (let r = 0; r < RUNS; r++) for (const v of all) times[v]!.push(await runOnce(v));

  worker.shutdown();
  await running;
  await clientConnection.close();
  await connection.close();
  await parts.dispose();
  await server.stop();

  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  console.log(`\nmachine: ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; Temporal dev server ${server.origin.includes('started') ? '(started here)' : '(TEMPORAL_ADDRESS)'}`);
  console.log(`workflow = Sequence of ${N} ticks; median of ${RUNS} runs each (wall time client start → result)`);
  console.log(`  native ActionNode       ${m.native!.toFixed(1).padStart(8)} ms/workflow  ${(m.native! / N).toFixed(2).padStart(7)} ms/tick`);
  console.log(`  tenant custom node      ${m.tenant!.toFixed(1).padStart(8)} ms/workflow  ${(m.tenant! / N).toFixed(2).padStart(7)} ms/tick`);
  console.log(`  JavaScriptInterpreter   ${m.javascript!.toFixed(1).padStart(8)} ms/workflow  ${(m.javascript! / N).toFixed(2).padStart(7)} ms/tick`);
  console.log(`  no-op activity ×${N + 1}     ${m.plain!.toFixed(1).padStart(8)} ms/workflow  ${(m.plain! / (N + 1)).toFixed(2).padStart(7)} ms/call (Temporal's floor)`);
  console.log(`added latency per tenant tick vs native: ${((m.tenant! - m.native!) / N).toFixed(2)} ms (ratio per workflow ${(m.tenant! / m.native!).toFixed(1)}×)`);
  console.log(`added latency per JS script tick vs native: ${((m.javascript! - m.native!) / N).toFixed(2)} ms`);
  for (const [name, xs] of Object.entries(inside)) console.log(`inside ${name}: median ${median(xs).toFixed(2)} ms over ${xs.length} calls`);
  console.log(`tenant tick over a plain no-op activity: ${((m.tenant! - m.plain!) / N).toFixed(2)} ms per tick (the library's own cost under Temporal)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
