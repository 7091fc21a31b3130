/**
 * Failover, in both activity modes: two worker processes serve the tick; the one running it is
 * SIGKILLed mid-tick, and the workflow completes on the other with the right blackboard (the tick's
 * writes applied once).
 *
 * - normal activities: the workers serve only the tick's task queue; the heartbeat timeout expires
 *   and the activity's next attempt runs on the other worker.
 * - local activities: the workers run the workflow too (a local activity runs on the workflow
 *   task's worker); the workflow task times out, and the whole task — replayed from the history,
 *   where the unfinished tick left no trace — runs again on the other worker, tick included.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BtreeModule } from '../../src/binding-core/host-btree.js';
import { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { createPluginActivities } from '../../src/temporal/activities.js';
import type { ActivityMode } from '../../src/temporal/workflow.js';
import { testHost } from '../setup/btree-module.js';
import type { testTree } from './fixtures/workflows.js';
import { MODES, runsOf } from './helpers/history.js';
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
/** Local mode: the child workers run the workflows (and their local ticks) on this queue. */
const localQueue = `failover-local-${stamp}`;

/** Starts a child worker: on the tick queue (normal mode) or on the workflow queue with the workflows (local mode). */
function spawnWorker(name: string, mode: ActivityMode): Promise<ChildProcess> {
  const { address, namespace } = temporalTestServer();
  const markDir = join(dir, mode);
  mkdirSync(markDir, { recursive: true });
  const queue = mode === 'local' ? { TASK_QUEUE: localQueue, WORKFLOW_BUNDLE: join(dir, 'workflows.js') } : { TASK_QUEUE: activityQueue };
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', CHILD], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, WORKER_NAME: name, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, ...queue, STORE_DIR: join(dir, 'store'), MARK_DIR: markDir },
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
  writeFileSync(join(dir, 'workflows.js'), h.workflowBundle.code);
  // Normal mode: this workflow worker stays up; it serves the resolve and usage activities (no ticks).
  workflowWorker = await h.worker({ taskQueue: workflowQueue, activities: createPluginActivities(host) });
  running = workflowWorker.run();
  // Both modes' workers start together (local mode's run the workflows: see the module header).
  await Promise.all([spawnWorker('alpha', 'normal'), spawnWorker('beta', 'normal'), spawnWorker('gamma', 'local'), spawnWorker('delta', 'local')]);
}, 120_000);

afterAll(async () => {
  for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  workflowWorker?.shutdown();
  await running;
  await h?.close();
  await host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const YAML = `
type: Sequence
children:
  - type: NativeAppend
    props: { label: before }
  - type: Collect
    props: { item: x }
  - type: NativeAppend
    props: { label: after }
`;

/** Where each mode's workflow and tick run, and with which options. */
const SETUP: Record<ActivityMode, { workers: [string, string]; taskQueue: string; options: NonNullable<Parameters<typeof testTree>[0]['options']>; workflowTaskTimeout?: string }> = {
  normal: {
    workers: ['alpha', 'beta'],
    taskQueue: workflowQueue,
    options: { interpreters: false, activityMode: 'normal', activityOptions: { taskQueue: activityQueue, heartbeatTimeout: '2s', startToCloseTimeout: '60s', retry: { initialInterval: '100ms', maximumAttempts: 5 } } },
  },
  local: {
    workers: ['gamma', 'delta'],
    taskQueue: localQueue,
    options: { interpreters: false, activityMode: 'local', activityOptions: { startToCloseTimeout: '60s', retry: { initialInterval: '100ms', maximumAttempts: 5 } } },
    // A dead worker's workflow task (holding the local tick) times out after this.
    workflowTaskTimeout: '2s',
  },
};

describe.each(MODES)('failover between worker processes (%s activities)', (mode) => {
  it('the tick of a SIGKILLed worker runs again on the other worker; the blackboard gets its writes exactly once', async () => {
    const setup = SETUP[mode];
    const markDir = join(dir, mode);
    const handle = await h.client.workflow.start<typeof testTree>('testTree', {
      taskQueue: setup.taskQueue,
      workflowId: workflowId(`failover-${mode}`),
      workflowExecutionTimeout: '90s',
      ...(setup.workflowTaskTimeout ? { workflowTaskTimeout: setup.workflowTaskTimeout } : {}),
      args: [{ tenantId: 'acme', yaml: YAML, input: { items: ['pre'], count: 0 }, options: setup.options }],
    });

    // The file can be seen between its creation and its write: wait for a whole worker name.
    const claimed = (): string | undefined => {
      const name = existsSync(join(markDir, 'claimed')) ? readFileSync(join(markDir, 'claimed'), 'utf8') : '';
      return setup.workers.includes(name) ? name : undefined;
    };
    const claimer = await waitFor('a worker to start the tick', claimed);
    children.get(claimer)!.kill('SIGKILL');
    const survivor = claimer === setup.workers[0] ? setup.workers[1] : setup.workers[0];

    const result = await handle.result();
    expect(result.status).toBe('SUCCESS');
    expect(result.output).toEqual({ items: ['pre', 'x'], count: 1, finishedBy: survivor, trail: ['before', 'after'] });
    expect(readFileSync(join(markDir, 'attempts.log'), 'utf8').trim().split('\n')).toEqual([claimer, survivor]); // each worker called the capability once

    // History: one tick, completed once, by the survivor (worker identity is `pid@host`).
    const history = await handle.fetchHistory();
    const ticks = runsOf(history, 'btreePluginsRunNodeTick');
    expect(ticks.map((t) => [t.mode, t.result])).toEqual([[mode, 'completed']]);
    expect(ticks[0]!.identity).toMatch(new RegExp(`^${children.get(survivor)!.pid}@`));
    if (mode === 'normal') {
      // Attempt 2 after the heartbeat timeout (usually; a retry handed to the dead worker's last poll would time out once more).
      expect(ticks[0]!.attempt).toBeGreaterThanOrEqual(2);
    } else {
      // The workflow task that held the tick timed out; the tick's record is the survivor's first attempt.
      expect(history.events!.some((e) => e.workflowTaskTimedOutEventAttributes)).toBe(true);
      expect(ticks[0]!.attempt).toBe(1);
    }
  });
});
