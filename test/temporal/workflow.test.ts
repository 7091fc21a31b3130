/**
 * The workflow entry on a real Temporal dev server with an in-process worker, over an in-memory
 * backend (tenant nodes are host functions here; the suites in e2e.test.ts use the real registry,
 * sandbox and interpreters). The tick, script, pinning, replay and cancellation suites run in both
 * activity modes; the activity-mode options have their own suite.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptOutcome, ScriptRequest } from '../../src/binding-core/interpreter-types.js';
import { RateLimitedError } from '../../src/errors.js';
import type { TickInput } from '../../src/sandbox/types.js';
import { createPluginActivitiesFromBackend } from '../../src/temporal/activities.js';
import type { ActivityMode } from '../../src/temporal/workflow.js';
import type { TestTreeArgs, testTree } from './fixtures/workflows.js';
import { MODES, runsOf } from './helpers/history.js';
import { FakeBackend, outcome } from './helpers/fake-backend.js';
import { temporalHarness, workflowId, type TemporalHarness } from './helpers/temporal.js';

const T = 'acme';
const CHANGED_WORKFLOWS = fileURLToPath(new URL('./fixtures/workflows-changed.ts', import.meta.url));
let h: TemporalHarness;
let worker: Worker;
let running: Promise<void>;
const backend = new FakeBackend();
const taskQueue = `workflow-test-${Date.now()}`;

/** Resolvers called on each tick of a fake node (name@version → list). */
const tickHooks: Array<(who: string, input: TickInput) => void> = [];

function trailNode(version: string) {
  return (input: TickInput) => {
    for (const hook of tickHooks) hook(`Greet@${version}`, input);
    const trail = (input.blackboard.trail as string[] | undefined) ?? [];
    return outcome({ writes: { trail: [...trail, `${String(input.props.label ?? 'greet')}:${version}`] } });
  };
}

const scriptCalls: ScriptRequest[] = [];
let scriptBehaviour: (req: ScriptRequest) => Promise<ScriptOutcome> = async () => ({ ok: true, value: null, output: [] });

beforeAll(async () => {
  backend.publish(T, {
    name: 'Greet',
    version: '1.0.0',
    propsSchema: { type: 'object', properties: { label: { type: 'string', minLength: 1 } } },
    tick: trailNode('1.0.0'),
  });
  backend.publish(T, { name: 'Greet', version: '1.1.0', tick: trailNode('1.1.0') }, false);
  backend.publish(T, { name: 'Remover', version: '2.0.0', tick: () => outcome({ writes: { kept: 1 }, deletes: ['gone'] }) });
  const engine = (language: 'python' | 'javascript') => ({
    language,
    run: (req: ScriptRequest) => {
      scriptCalls.push(req);
      return scriptBehaviour(req);
    },
    dispose: async () => {},
  });
  backend.engines.python = engine('python');
  backend.engines.javascript = engine('javascript');

  h = await temporalHarness();
  worker = await h.worker({ taskQueue, activities: createPluginActivitiesFromBackend(backend) });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await h?.close();
});

/** `workflowTaskTimeout`: a local activity holds its workflow task open, and a cancellation reaches the workflow at the task's next heartbeat (80 % of it). */
function start(yaml: string, input: Record<string, unknown> = {}, options: TestTreeArgs['options'] = {}, workflowTaskTimeout?: string) {
  return h.client.workflow.start<typeof testTree>('testTree', {
    taskQueue,
    workflowId: workflowId(`wf-${options.activityMode ?? 'default'}`),
    args: [{ tenantId: T, yaml, input, options }],
    workflowExecutionTimeout: '60s',
    ...(workflowTaskTimeout ? { workflowTaskTimeout } : {}),
  });
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the workflow to fail');
}

describe.each(MODES)('%s activities', (mode: ActivityMode) => {
    const inMode = { activityMode: mode };
  describe('registerTenantNodes inside a workflow', () => {
    it('runs tenant nodes as proxies: the tick runs in an activity and its writes and deletes land on the blackboard', async () => {
      const yaml = `
  type: Sequence
  children:
    - type: NativeAppend
      props: { label: native }
    - type: Greet
      props: { label: tenant }
    - type: Remover
  `;
      const handle = await start(yaml, { gone: true }, inMode);
      const result = await handle.result();
      expect(result.status).toBe('SUCCESS');
      expect(result.output).toEqual({ trail: ['native', 'tenant:1.0.0'], kept: 1 });
      expect(result.classNames).toEqual(['Sequence', 'NativeAppend', 'Greet', 'Remover']);
      expect(result.used).toEqual([
        { name: 'Greet', version: '1.0.0' },
        { name: 'Remover', version: '2.0.0' },
      ]);
      expect(backend.usage.filter((u) => u.workflowId === handle.workflowId).flatMap((u) => u.nodes)).toEqual(result.used);
    });

    it('bad props fail the run when the tree is built, naming the node and the problem', async () => {
      const handle = await start('type: Greet\nid: g1\nprops: { label: "" }\n', {}, inMode);
      const failure = await failureOf(handle.result());
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('ConfigurationError');
      expect(cause.message).toContain('Greet@1.0.0:g1');
      expect(cause.message).toContain('label: must have at least 1 characters');
    });

    it('registers a YAML-pinned version (Name@1.1.0) next to the active one', async () => {
      const yaml = `
  type: Sequence
  children:
    - type: Greet
      props: { label: active }
    - type: Greet@1.1.0
      props: { label: pinned }
  `;
      const result = await (await start(yaml, {}, inMode)).result();
      expect(result.output.trail).toEqual(['active:1.0.0', 'pinned:1.1.0']);
      expect(result.pinned).toEqual(['Greet=1.0.0', 'Remover=2.0.0', 'Greet@1.1.0=1.1.0']);
    });

    it('a script limit breach is a FAILURE of the node with the engine’s message, attempted once', async () => {
      scriptCalls.length = 0;
      scriptBehaviour = async () => ({ ok: false, error: { kind: 'timeout', message: 'script exceeded its 500ms time limit' }, output: [] });
      const yaml = `
  type: JavaScriptInterpreter
  props: { script: "while (true) {}", timeout: 500ms }
  `;
      const result = await (await start(yaml, {}, inMode)).result();
      expect(result.status).toBe('FAILURE');
      expect(result.lastError).toContain('JavaScriptInterpreter failed: script exceeded its 500ms time limit');
      expect(scriptCalls).toHaveLength(1);
    });

    it('a script result is written under outputKey by the workflow-side node', async () => {
      scriptBehaviour = async (req) => ({ ok: true, value: { doubled: (req.inputs.n as number) * 2 }, output: ['hello'] });
      const yaml = `
  type: PythonInterpreter
  props: { script: "result = {'doubled': n * 2}", outputKey: calc, inputs: [n] }
  `;
      const result = await (await start(yaml, { n: 21 }, inMode)).result();
      expect(result.status).toBe('SUCCESS');
      expect(result.output).toEqual({ n: 21, calc: { doubled: 42 } });
      expect(scriptCalls.at(-1)?.inputs).toEqual({ n: 21 });
    });
  });

  describe('pinning and replay', () => {
    it('a run finishes on the versions it started with after another version is activated; a new run uses the new one; replay needs no re-resolution', async () => {
      const yaml = `
  type: Sequence
  children:
    - type: Greet
      props: { label: first }
    - type: WaitForRelease
    - type: Greet
      props: { label: second }
  `;
      const firstTick = new Promise<void>((resolve) => tickHooks.push((who, input) => input.props.label === 'first' && who === 'Greet@1.0.0' && resolve()));
      const old = await start(yaml, {}, inMode);
      await firstTick;
      backend.active.set(`${T}/Greet`, '1.1.0'); // the tenant activates v1.1.0 mid-run

      const fresh = await start(yaml, {}, inMode);
      await fresh.signal('release');
      await old.signal('release');
      const [oldResult, freshResult] = await Promise.all([old.result(), fresh.result()]);
      backend.active.set(`${T}/Greet`, '1.0.0');

      expect(oldResult.output.trail).toEqual(['first:1.0.0', 'second:1.0.0']);
      expect(freshResult.output.trail).toEqual(['first:1.1.0', 'second:1.1.0']);
      const usedBy = (id: string) => backend.usage.filter((u) => u.workflowId === id).flatMap((u) => u.nodes);
      expect(usedBy(old.workflowId)).toEqual([{ name: 'Greet', version: '1.0.0' }]);
      expect(usedBy(fresh.workflowId)).toEqual([{ name: 'Greet', version: '1.1.0' }]);

      // The history holds the resolve answer: replaying the old run needs no activity and no backend.
      const history = await old.fetchHistory();
      expect(runsOf(history, 'btreePluginsRunNodeTick').map((r) => r.mode)).toEqual([mode, mode]);
      await expect(Worker.runReplayHistory({ workflowBundle: h.workflowBundle }, history, old.workflowId)).resolves.toBeUndefined();
    });
  });

  describe('cancellation', () => {
    it('cancelling the workflow aborts the running script and the run ends cancelled', async () => {
      let aborted!: () => void;
      const abortSeen = new Promise<void>((r) => (aborted = r));
      let started!: () => void;
      const scriptStarted = new Promise<void>((r) => (started = r));
      scriptBehaviour = (req) =>
        new Promise((resolve) => {
          started();
          req.signal?.addEventListener('abort', () => {
            aborted();
            resolve({ ok: false, error: { kind: 'aborted', message: 'aborted' }, output: [] });
          });
        });
      const yaml = 'type: PythonInterpreter\nprops: { script: "while True: pass", timeout: 5m }\n';
      const handle = await start(yaml, {}, inMode, '2s');
      await scriptStarted;
      await handle.cancel();
      const failure = await failureOf(handle.result());
      await abortSeen;
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    });
  });
});

describe('replay of a changed workflow', () => {
  it('replay detects a workflow that changed (the check can fail)', async () => {
    const result = await start('type: Greet\nprops: { label: x }\n');
    await result.result();
    const history = await result.fetchHistory();
    // A changed workflow (a timer where the resolve activity was) must fail to replay the history.
    const changed = await bundleWorkflowCode({ workflowsPath: CHANGED_WORKFLOWS, logger: new DefaultLogger('ERROR') });
    await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, result.workflowId)).rejects.toThrow(/nondetermin/i);
  });
});


describe('activity modes', () => {
  it('by default ticks and scripts are local activities; scriptActivityMode: normal sends scripts through the task queue', async () => {
    scriptBehaviour = async () => ({ ok: true, value: 1, output: [] });
    const yaml = 'type: Sequence\nchildren:\n  - type: Greet\n    props: { label: a }\n  - type: JavaScriptInterpreter\n    props: { script: "result = 1" }\n';
    const byDefault = await start(yaml);
    const mixed = await start(yaml, {}, { scriptActivityMode: 'normal' });
    expect((await byDefault.result()).status).toBe('SUCCESS');
    expect((await mixed.result()).status).toBe('SUCCESS');
    const modesOf = async (handle: typeof byDefault) => {
      const history = await handle.fetchHistory();
      return [runsOf(history, 'btreePluginsRunNodeTick')[0]?.mode, runsOf(history, 'btreePluginsRunJavaScript')[0]?.mode];
    };
    expect(await modesOf(byDefault)).toEqual(['local', 'local']);
    expect(await modesOf(mixed)).toEqual(['local', 'normal']);
  });

  it('a run recorded before local activities were the default (normal activities, no activityMode, no patch marker) still replays', async () => {
    const handle = await start('type: Greet\nprops: { label: old }\n', {}, { activityMode: 'normal' });
    await handle.result();
    const history = await handle.fetchHistory();
    // Rewrite the recorded input as an older library's run had it: no activityMode option.
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const args = JSON.parse(Buffer.from(started.data!).toString('utf8')) as TestTreeArgs; // one payload per argument
    expect(args.options).toEqual({ activityMode: 'normal' });
    delete args.options!.activityMode;
    started.data = Buffer.from(JSON.stringify(args));
    expect(history.events!.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toBe(false);
    await expect(Worker.runReplayHistory({ workflowBundle: h.workflowBundle }, history, handle.workflowId)).resolves.toBeUndefined();
    // A new run without activityMode records the patch and goes local.
    const fresh = await start('type: Greet\nprops: { label: new }\n');
    await fresh.result();
    const freshHistory = await fresh.fetchHistory();
    expect(freshHistory.events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(1);
    expect(runsOf(freshHistory, 'btreePluginsRunNodeTick').map((r) => r.mode)).toEqual(['local']);
  });

  it('bad activity-mode options fail the run at once with an InvalidInputError naming the option and the fix', async () => {
    const yaml = 'type: Greet\nprops: { label: x }\n';
    const cases: Array<[TestTreeArgs['options'], RegExp]> = [
      [{ activityMode: 'fast' as ActivityMode }, /invalid option activityMode .*"fast" is not an activity mode\. HINT: use 'local' or 'normal'/],
      [{ activityOptions: { taskQueue: 'sandboxes' } }, /invalid option activityOptions\.taskQueue .*no effect with activityMode 'local'.*HINT: remove taskQueue, or set activityMode: 'normal'/],
      [{ scriptActivityOptions: { heartbeatTimeout: '5s' } }, /invalid option scriptActivityOptions\.heartbeatTimeout .*cannot heartbeat/],
      [{ activityMode: 'normal', activityOptions: { localRetryThreshold: '1s' } }, /invalid option activityOptions\.localRetryThreshold .*local activities only.*HINT: remove it, or set activityMode: 'local'/],
      [{ activityOptions: { startToCloseTimeout: 'soon' } }, /invalid option activityOptions\.startToCloseTimeout .*"soon" is not a positive duration/],
    ];
    const failures = await Promise.all(cases.map(([options]) => start(yaml, {}, options).then((handle) => failureOf(handle.result()))));
    for (const [i, failure] of failures.entries()) {
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('InvalidInputError');
      expect(cause.nonRetryable).toBe(true);
      expect(cause.message).toMatch(cases[i]![1]);
    }
  });

  it('a local retry whose backoff is over localRetryThreshold waits in a durable timer, then the next attempt completes the tick', async () => {
    let calls = 0;
    backend.publish(T, {
      name: 'Throttled',
      version: '1.0.0',
      tick: () => {
        calls++;
        if (calls === 1) throw new RateLimitedError('runsPerSecond', T, 'Throttled', 400, 'over 1 runs per second (burst 1)');
        return outcome({ writes: { done: calls } });
      },
    });
    const handle = await start('type: Throttled\n', {}, { activityOptions: { localRetryThreshold: '100ms' } });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'SUCCESS', output: { done: 2 } });
    const history = await handle.fetchHistory();
    // Attempt 1's failure is a marker (RateLimitedError, retryable), then a server timer, then attempt 2's marker.
    const ticks = runsOf(history, 'btreePluginsRunNodeTick');
    expect(ticks.map((r) => [r.mode, r.attempt, r.result])).toEqual([
      ['local', 1, 'failed'],
      ['local', 2, 'completed'],
    ]);
    expect(ticks[0]!.failure?.applicationFailureInfo?.type).toBe('RateLimitedError');
    expect(history.events?.filter((e) => e.timerFiredEventAttributes)).toHaveLength(1);
  });
});
