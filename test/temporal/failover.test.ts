/**
 * Failover: two worker processes serve the tick activity on one task queue. The one running the
 * tick is SIGKILLed mid-tick; the heartbeat timeout expires, the activity is retried on the other
 * worker, and the workflow completes with the right blackboard (the tick's writes applied once).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BtreeModule } from '../../src/binding-core/host-btree.js';
import { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { createPluginActivities } from '../../src/temporal/activities.js';
import { testHost } from '../setup/btree-module.js';
import type { testTree } from './fixtures/workflows.js';
import { temporalHarness, workflowId, type TemporalHarness } from './helpers/temporal.js';
import { temporalTestServer } from '../setup/servers/env.js';

const CHILD = fileURLToPath(new URL('./fixtures/failover-worker.ts', import.meta.url));

// A tenant node that holds on a capability, then appends to the blackboard.
const COLLECT = `
import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
import { proxyActivities } from '@temporalio/workflow';
const host = proxyActivities<{ holdUntilKilled(): Promise<string> }>({ startToCloseTimeout: '1m' });
export default class Collect extends ActionNode {
  async executeTick(ctx: any) {
    const worker = await host.holdUntilKilled();
    const items = ctx.blackboard.get('items') ?? [];
    ctx.blackboard.set('items', [...items, this.config.item]);
    ctx.blackboard.set('count', (ctx.blackboard.get('count') ?? 0) + 1);
    ctx.blackboard.set('finishedBy', worker);
    return NodeStatus.SUCCESS;
  }
}
`;

let dir: string;
let h: TemporalHarness;
let host: PluginHost;
let workflowWorker: Worker;
let running: Promise<void>;
const children = new Map<string, ChildProcess>();
const stamp = Date.now();
const workflowQueue = `failover-wf-${stamp}`;
const activityQueue = `failover-act-${stamp}`;

function spawnWorker(name: string): Promise<ChildProcess> {
  const { address, namespace } = temporalTestServer();
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', CHILD], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, WORKER_NAME: name, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, TASK_QUEUE: activityQueue, STORE_DIR: join(dir, 'store'), MARK_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('READY') && resolve(child));
    child.on('exit', (code) => reject(new Error(`worker ${name} exited (${code}) before it was ready: ${err}`)));
  });
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'btree-failover-'));
  host = new PluginHost({ btree: testHost as unknown as BtreeModule, storage: new FsStorage({ root: join(dir, 'store') }) });
  await host.registry.publish('acme', { name: 'Collect', version: '1.0.0', source: COLLECT });
  await host.registry.approve('acme', 'Collect', '1.0.0', { by: 'reviewer' });
  await host.registry.activate('acme', 'Collect', '1.0.0', { by: 'ana' });
  h = await temporalHarness();
  // The workflow worker stays up; it serves the resolve and usage activities (no ticks).
  workflowWorker = await h.worker({ taskQueue: workflowQueue, activities: createPluginActivities(host) });
  running = workflowWorker.run();
  await Promise.all([spawnWorker('alpha'), spawnWorker('beta')]);
}, 120_000);

afterAll(async () => {
  for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  workflowWorker?.shutdown();
  await running;
  await h?.close();
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('failover between worker processes', () => {
  it('the tick activity of a SIGKILLed worker is retried on the other worker; the blackboard gets its writes exactly once', async () => {
    const yaml = `
type: Sequence
children:
  - type: NativeAppend
    props: { label: before }
  - type: Collect
    props: { item: x }
  - type: NativeAppend
    props: { label: after }
`;
    const handle = await h.client.workflow.start<typeof testTree>('testTree', {
      taskQueue: workflowQueue,
      workflowId: workflowId('failover'),
      workflowExecutionTimeout: '90s',
      args: [
        {
          tenantId: 'acme',
          yaml,
          input: { items: ['pre'], count: 0 },
          options: {
            interpreters: false,
            activityOptions: { taskQueue: activityQueue, heartbeatTimeout: '2s', startToCloseTimeout: '60s', retry: { initialInterval: '100ms', maximumAttempts: 5 } },
          },
        },
      ],
    });

    const claimer = await waitFor('a worker to start the tick', () => (existsSync(join(dir, 'claimed')) ? readFileSync(join(dir, 'claimed'), 'utf8') : undefined));
    children.get(claimer)!.kill('SIGKILL');
    const survivor = claimer === 'alpha' ? 'beta' : 'alpha';

    const result = await handle.result();
    expect(result.status).toBe('SUCCESS');
    expect(result.output).toEqual({ items: ['pre', 'x'], count: 1, finishedBy: survivor, trail: ['before', 'after'] });
    expect(readFileSync(join(dir, 'attempts.log'), 'utf8').trim().split('\n')).toEqual([claimer, survivor]); // each worker called the capability once

    // History: one activity, started twice (attempt 2 after the heartbeat timeout), completed once.
    const history = await handle.fetchHistory();
    const ticks = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'btreePluginsRunNodeTick');
    expect(ticks).toHaveLength(1);
    const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes);
    const tickStarted = started.find((e) => String(e.activityTaskStartedEventAttributes!.scheduledEventId) === String(ticks[0]!.eventId));
    // Usually 2; a retry handed to the dead worker's last poll would time out once more.
    expect(tickStarted?.activityTaskStartedEventAttributes?.attempt).toBeGreaterThanOrEqual(2);
    // The attempt that completed ran in the survivor (worker identity is `pid@host`).
    expect(tickStarted?.activityTaskStartedEventAttributes?.identity).toMatch(new RegExp(`^${children.get(survivor)!.pid}@`));
  });
});
