/**
 * End to end on a real Temporal dev server with an in-process worker and the real parts: the seed's
 * two YAML workflows, pinning with the real TenantRegistry, replay of a recorded history. Every
 * suite runs in both activity modes (`activityMode: 'local' | 'normal'`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { PythonEngine } from '../../src/interpreters/python.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostActivities } from '../../examples/temporal/host-activities.js';
import { NOTIFICATION_YAML as NOTIFICATION } from '../../examples/seed-workflows.js';
import type { ActivityMode } from '../../src/temporal/workflow.js';
import type { testTree } from './fixtures/workflows.js';
import { MODES, runsOf } from './helpers/history.js';
import { fixture, realHost, type Call, type RealHost } from './helpers/real-host.js';
import { temporalHarness, workflowId, type TemporalHarness } from './helpers/temporal.js';


const HOLD = `
import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
import { proxyActivities } from '@temporalio/workflow';
const host = proxyActivities<{ holdUntilAborted(): Promise<string> }>({ startToCloseTimeout: '1m' });
export default class Hold extends ActionNode {
  async executeTick(ctx: any) {
    ctx.blackboard.set('held', await host.holdUntilAborted());
    return NodeStatus.SUCCESS;
  }
}
`;
const SPIN = `
import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
export default class Spin extends ActionNode {
  async executeTick() {
    for (;;) {}
    return NodeStatus.SUCCESS;
  }
}
`;
/** Resolved when the next Hold tick reaches its capability, and when that capability sees the abort. */
let hold = nextHold();
function nextHold() {
  let started!: () => void;
  let aborted!: () => void;
  return { started: new Promise<void>((r) => (started = r)), aborted: new Promise<void>((r) => (aborted = r)), onStart: () => started(), onAbort: () => aborted() };
}
/** Resolved when the worker starts the next Python script activity. */
let pythonStarted: () => void = () => {};

let h: TemporalHarness;
let parts: RealHost;
let worker: Worker;
let running: Promise<void>;
let http: Server;
let base: string;
const posted: unknown[] = [];
const taskQueue = `e2e-${Date.now()}`;
const callHooks: Array<(call: Call) => void> = [];

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url === '/data') {
        res.end(JSON.stringify({ data: [2, 4, 4, 4, 5, 5, 7, 9].map((value, i) => ({ id: i, value })) }));
      } else if (req.method === 'POST' && req.url === '/results') {
        posted.push(JSON.parse(body));
        res.end('{"ok":true}');
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  parts = realHost({
    onCall: (call) => callHooks.forEach((hook) => hook(call)),
    capabilities: {
      // Held until the tick's signal fires (the tick ends, times out or is cancelled).
      holdUntilAborted: (ctx) =>
        new Promise((resolve) => {
          hold.onStart();
          ctx.signal.addEventListener('abort', () => {
            hold.onAbort();
            resolve('aborted');
          });
        }),
    },
  });
  await parts.publishActive('Hold', '1.0.0', HOLD);
  await parts.publishActive('Spin', '1.0.0', SPIN);
  await parts.publishActive('SendSlackMessage', '1.0.0', fixture('send-slack-message.ts'));
  await parts.publishActive('CreateJiraTicket', '1.0.0', fixture('create-jira-ticket.ts'));

  h = await temporalHarness();
  const runPython = parts.activities.btreePluginsRunPython;
  worker = await h.worker({
    taskQueue,
    activities: {
      ...parts.activities,
      ...createHostActivities(),
      // The same activity, telling the cancellation test when a worker started it (in both modes).
      btreePluginsRunPython: (input: Parameters<typeof runPython>[0]) => {
        pythonStarted();
        return runPython(input);
      },
    },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await h?.close();
  await parts?.dispose();
  await new Promise((r) => http?.close(r));
});

/**
 * Starts the test workflow. The workflow task timeout is 2 s instead of 10: a local activity holds
 * its workflow task open, and a cancellation reaches the workflow at the task's next heartbeat
 * (80 % of the timeout), so the cancellation tests wait 1.6 s instead of 8 s (docs/temporal.md).
 */
function start(mode: ActivityMode, yaml: string, input: Record<string, unknown> = {}) {
  return h.client.workflow.start<typeof testTree>('testTree', {
    taskQueue,
    workflowId: workflowId(`e2e-${mode}`),
    args: [{ tenantId: 'acme', yaml, input, options: { activityMode: mode } }],
    workflowExecutionTimeout: '60s',
    workflowTaskTimeout: '2s',
  });
}

describe.each(MODES)('%s activities', (mode) => {
  describe('the seed workflows as Temporal workflows (real server, worker, registry, sandbox)', () => {
    it('notification: SendSlackMessage + CreateJiraTicket run as activities in the sandbox; the history replays', async () => {
      parts.calls.length = 0;
      const handle = await start(mode, NOTIFICATION, { orderId: 'A-42', customerEmail: 'ada@example.com' });
      const result = await handle.result();
      expect(result).toMatchObject({
        status: 'SUCCESS',
        output: { orderId: 'A-42', customerEmail: 'ada@example.com', ticketKey: 'OPS-2' },
        used: [
          { name: 'SendSlackMessage', version: '1.0.0' },
          { name: 'CreateJiraTicket', version: '1.0.0' },
        ],
      });
      expect(parts.calls).toEqual([
        { capability: 'sendSlackMessage', node: 'SendSlackMessage', version: '1.0.0', args: ['#alerts', 'Order A-42 received!'] },
        { capability: 'createJiraTicket', node: 'CreateJiraTicket', version: '1.0.0', args: ['OPS'] },
      ]);
      const history = await handle.fetchHistory();
      expect(runsOf(history, 'btreePluginsRunNodeTick').map((r) => [r.mode, r.result])).toEqual([
        [mode, 'completed'],
        [mode, 'completed'],
      ]);
      await expect(Worker.runReplayHistory({ workflowBundle: h.workflowBundle }, history, handle.workflowId)).resolves.toBeUndefined();
    });

    it('data processing: HttpRequest (host activity) → PythonInterpreter (statistics) → HttpRequest posts the statistics', async () => {
      posted.length = 0;
      const yaml = `
  type: Sequence
  id: data-processing
  children:
    # Fetch data via HTTP
    - type: HttpRequest
      id: fetch-data
      props:
        url: "${base}/data"
        method: "GET"

    # Process data with Python
    - type: PythonInterpreter
      id: process-data
      props:
        outputKey: "processedData"
        timeout: "30s"
        script: |
          import statistics

          # httpResponse comes from blackboard
          data = httpResponse['data']['data']

          # Process data
          values = [item['value'] for item in data]
          mean = statistics.mean(values)
          std = statistics.pstdev(values)

          # Result stored in blackboard under 'processedData'
          result = {
              'mean': mean,
              'std': std,
              'count': len(values)
          }

    # Send processed data
    - type: HttpRequest
      id: send-results
      props:
        url: "${base}/results"
        method: "POST"
        body:
          stats: "{{processedData}}"
  `;
      const result = await (await start(mode, yaml)).result();
      expect(result.status).toBe('SUCCESS');
      expect(result.output.processedData).toEqual({ mean: 5, std: 2, count: 8 });
      expect(posted).toEqual([{ stats: { mean: 5, std: 2, count: 8 } }]);
    });

    it('the same pipeline with JavaScriptInterpreter', async () => {
      posted.length = 0;
      const yaml = `
  type: Sequence
  children:
    - type: HttpRequest
      props: { url: "${base}/data", method: GET }
    - type: JavaScriptInterpreter
      props:
        outputKey: processedData
        timeout: 5s
        script: |
          const values = httpResponse.data.data.map((item) => item.value);
          const mean = values.reduce((a, b) => a + b, 0) / values.length;
          const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
          result = { mean, std, count: values.length };
    - type: HttpRequest
      props: { url: "${base}/results", method: POST, body: { stats: "{{processedData}}" } }
  `;
      const result = await (await start(mode, yaml)).result();
      expect(result.status).toBe('SUCCESS');
      expect(posted).toEqual([{ stats: { mean: 5, std: 2, count: 8 } }]);
    });
  });

  describe('cancellation with the real Python engine', () => {
    it('cancelling the workflow cancels a long Python run; its isolate is released and the next run works', async () => {
      const engine = (await parts.host.interpreterEngine('python')) as PythonEngine;
      await engine.warmUp('acme');
      const started = new Promise<void>((r) => (pythonStarted = r));
      const handle = await start(mode, 'type: PythonInterpreter\nprops: { script: "while True:\\n    pass", timeout: 5m }\n');
      await started; // a worker started the script activity
      await new Promise((r) => setTimeout(r, 300)); // well inside the loop
      const busy = engine.liveIsolates;
      await handle.cancel();
      const failure = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      // The activity waited for the sandbox to stop (WAIT_CANCELLATION_COMPLETED): the history shows it cancelled.
      const history = await handle.fetchHistory();
      expect(runsOf(history, 'btreePluginsRunPython').map((r) => [r.mode, r.result])).toEqual([[mode, 'cancelled']]);
      // The isolate stuck in `while True` was stopped and disposed, not left running or pooled.
      expect(busy).toBe(1);
      expect(engine.liveIsolates).toBe(0);
      // A new run works right away.
      const next = await (await start(mode, 'type: PythonInterpreter\nprops: { script: "result = 6 * 7" }\n')).result();
      expect(next.output.pythonResult).toBe(42);
    });
  });

  describe('sandbox limits under Temporal', () => {
    it('a limit breach fails the activity without retry and the node with the limit message', async () => {
      const handle = await start(mode, 'type: Spin\n');
      const result = await handle.result();
      expect(result.status).toBe('FAILURE');
      expect(result.lastError).toMatch(/Spin@1\.0\.0.*(time|CPU).*limit/i);
      const ticks = runsOf(await handle.fetchHistory(), 'btreePluginsRunNodeTick');
      expect(ticks).toHaveLength(1);
      expect(ticks[0]).toMatchObject({ mode, result: 'failed', attempt: 1 });
      expect(ticks[0]!.failure?.applicationFailureInfo).toMatchObject({ type: 'LimitExceededError', nonRetryable: true });
    });
  });

  describe('cancellation of a custom node tick', () => {
    it('cancelling the workflow aborts the sandboxed tick (its capability call sees the abort)', async () => {
      hold = nextHold();
      const handle = await start(mode, 'type: Hold\n');
      await hold.started;
      await handle.cancel();
      const failure = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      await hold.aborted;
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    });
  });

  describe('pinning with the real registry', () => {
    it('a run started on v1.0.0 finishes on v1.0.0 after a new version is activated mid-run; a new run uses the new one; usages reports both', async () => {
      const next = mode === 'local' ? '1.1.0' : '1.2.0'; // each mode publishes its own new version
      const yaml = `
  type: Sequence
  children:
    - type: SendSlackMessage
      props: { channel: "#a", message: "first" }
    - type: WaitForRelease
    - type: SendSlackMessage
      props: { channel: "#a", message: "second" }
  `;
      parts.calls.length = 0;
      const firstCall = new Promise<void>((resolve) => callHooks.push((call) => call.args[1] === 'first' && resolve()));
      const old = await start(mode, yaml);
      await firstCall;

      const v11 = fixture('send-slack-message.ts').replace(
        'await activities.sendSlackMessage(this.channel, resolvedMessage);',
        `await activities.sendSlackMessage(this.channel, 'v${next}: ' + resolvedMessage);`,
      );
      await parts.publishActive('SendSlackMessage', next, v11);

      const fresh = await start(mode, yaml);
      await fresh.signal('release');
      await old.signal('release');
      const [oldResult, freshResult] = await Promise.all([old.result(), fresh.result()]);
      expect(oldResult.used).toEqual([{ name: 'SendSlackMessage', version: '1.0.0' }]);
      expect(freshResult.used).toEqual([{ name: 'SendSlackMessage', version: next }]);

      const byRun = (version: string) => parts.calls.filter((c) => c.version === version).map((c) => c.args[1]);
      expect(byRun('1.0.0')).toEqual(['first', 'second']);
      expect(byRun(next)).toEqual([`v${next}: first`, `v${next}: second`]);

      const usages = await parts.host.registry.usages('acme', 'SendSlackMessage');
      expect(usages).toEqual(
        expect.arrayContaining([
          { workflowId: old.workflowId, name: 'SendSlackMessage', version: '1.0.0' },
          { workflowId: fresh.workflowId, name: 'SendSlackMessage', version: next },
        ]),
      );
      // Replay of the old run after the activation: pinned by history, no re-resolution.
      await expect(Worker.runReplayHistory({ workflowBundle: h.workflowBundle }, await old.fetchHistory(), old.workflowId)).resolves.toBeUndefined();
      await parts.host.registry.activate('acme', 'SendSlackMessage', '1.0.0', { by: 'ana' });
    });
  });
});
