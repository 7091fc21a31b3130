/**
 * The workflow entry on a real Temporal dev server with an in-process worker, over an in-memory
 * backend (tenant nodes are host functions here; the suites in e2e.test.ts use the real registry,
 * sandbox and interpreters).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptOutcome, ScriptRequest } from '../../src/binding-core/interpreter-types.js';
import type { TickInput } from '../../src/sandbox/types.js';
import { createPluginActivitiesFromBackend } from '../../src/temporal/activities.js';
import type { testTree } from './fixtures/workflows.js';
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

function start(yaml: string, input: Record<string, unknown> = {}, id = workflowId('wf')) {
  return h.client.workflow.start<typeof testTree>('testTree', { taskQueue, workflowId: id, args: [{ tenantId: T, yaml, input }], workflowExecutionTimeout: '60s' });
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the workflow to fail');
}

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
    const handle = await start(yaml, { gone: true });
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
    const handle = await start('type: Greet\nid: g1\nprops: { label: "" }\n');
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
    const result = await (await start(yaml)).result();
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
    const result = await (await start(yaml)).result();
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
    const result = await (await start(yaml, { n: 21 })).result();
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
    const old = await start(yaml);
    await firstTick;
    backend.active.set(`${T}/Greet`, '1.1.0'); // the tenant activates v1.1.0 mid-run

    const fresh = await start(yaml);
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
    await expect(Worker.runReplayHistory({ workflowBundle: h.workflowBundle }, history, old.workflowId)).resolves.toBeUndefined();
  });

  it('replay detects a workflow that changed (the check can fail)', async () => {
    const result = await start('type: Greet\nprops: { label: x }\n');
    await result.result();
    const history = await result.fetchHistory();
    // A changed workflow (a timer where the resolve activity was) must fail to replay the history.
    const changed = await bundleWorkflowCode({ workflowsPath: CHANGED_WORKFLOWS, logger: new DefaultLogger('ERROR') });
    await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, result.workflowId)).rejects.toThrow(/nondetermin/i);
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
    const handle = await start(yaml);
    await scriptStarted;
    await handle.cancel();
    const failure = await failureOf(handle.result());
    await abortSeen;
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  });
});
