import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import type { ScriptOutcome, ScriptRequest } from '../../src/binding-core/interpreter-types.js';
import { createPluginActivitiesFromBackend, type ResolveNodesResult, type RunNodeTickInput } from '../../src/temporal/activities.js';
import { FakeBackend, outcome } from './helpers/fake-backend.js';

const T = 'acme';

/** An activity context whose failures are not logged (the tests assert them). */
function mockEnv(info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}): MockActivityEnvironment {
  return new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR', () => {}) });
}

function setup() {
  const backend = new FakeBackend();
  backend.publish(T, { name: 'Greet', version: '1.0.0', tick: ({ props, blackboard }) => outcome({ writes: { greeting: `${String(props.greeting)} ${String(blackboard.who)}` } }) });
  backend.publish(T, { name: 'Greet', version: '1.1.0', tick: () => outcome({ writes: { greeting: 'v1.1' } }) }, false);
  backend.publish('other', { name: 'Secret', version: '1.0.0', tick: () => outcome() });
  const activities = createPluginActivitiesFromBackend(backend);
  return { backend, activities };
}

function tickInput(partial: Partial<RunNodeTickInput> = {}): RunNodeTickInput {
  return { tenantId: T, name: 'Greet', version: '1.0.0', sha256: FakeBackend.sha(T, 'Greet', '1.0.0'), props: { greeting: 'hi' }, blackboard: { who: 'ann' }, ...partial };
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

describe('resolve activity', () => {
  it('returns the tenant active nodes and the versions the YAML pins, as small JSON', async () => {
    const { activities } = setup();
    const yaml = 'type: Sequence\nchildren:\n  - type: Greet\n  - type: Greet@1.1.0\n    props: { greeting: { type: "Fake@9" } }\n';
    const result = (await mockEnv().run(activities.btreePluginsResolveNodes, { tenantId: T, yaml })) as ResolveNodesResult;
    expect(result.nodes.map((n) => [n.type, n.name, n.version])).toEqual([
      ['Greet', 'Greet', '1.0.0'],
      ['Greet@1.1.0', 'Greet', '1.1.0'],
    ]);
    expect(result.nodes[0]?.sha256).toBe(FakeBackend.sha(T, 'Greet', '1.0.0'));
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('never returns another tenant’s nodes', async () => {
    const { activities } = setup();
    const result = (await mockEnv().run(activities.btreePluginsResolveNodes, { tenantId: T })) as ResolveNodesResult;
    expect(result.nodes.map((n) => n.name)).not.toContain('Secret');
    const failure = await failureOf(mockEnv().run(activities.btreePluginsResolveNodes, { tenantId: T, refs: ['Secret@1.0.0'] }));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('NotFoundError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('rejects YAML that does not parse, without retry', async () => {
    const { activities } = setup();
    const failure = await failureOf(mockEnv().run(activities.btreePluginsResolveNodes, { tenantId: T, yaml: 'type: [unclosed' }));
    expect((failure as ApplicationFailure).type).toBe('InvalidInputError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });
});

describe('tick activity', () => {
  it('runs the pinned version with the props and blackboard copy and returns its outcome', async () => {
    const { activities } = setup();
    const result = await mockEnv().run(activities.btreePluginsRunNodeTick, tickInput());
    expect(result).toMatchObject({ status: 'SUCCESS', writes: { greeting: 'hi ann' } });
  });

  it('refuses a bundle whose sha256 differs from the one the run was pinned to (integrity, no retry)', async () => {
    const { activities, backend } = setup();
    backend.shaOverride = 'f'.repeat(64);
    const failure = await failureOf(mockEnv().run(activities.btreePluginsRunNodeTick, tickInput()));
    expect((failure as ApplicationFailure).type).toBe('IntegrityError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('a storage outage the adapter calls retryable is a retryable failure', async () => {
    const { activities, backend } = setup();
    backend.loadError = new StorageError('s3', 'get', 'connection reset', { retryable: true, status: 503 });
    const failure = await failureOf(mockEnv().run(activities.btreePluginsRunNodeTick, tickInput()));
    expect((failure as ApplicationFailure).type).toBe('StorageError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(false);
  });

  it('a permanent storage error is not retried', async () => {
    const { activities, backend } = setup();
    backend.loadError = new StorageError('s3', 'get', 'access denied', { retryable: false, status: 403 });
    const failure = await failureOf(mockEnv().run(activities.btreePluginsRunNodeTick, tickInput()));
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('a sandbox limit breach is a non-retryable failure carrying the outcome', async () => {
    const { activities, backend } = setup();
    backend.publish(T, {
      name: 'Spin',
      version: '1.0.0',
      tick: () => ({ ...outcome({ status: 'FAILURE', error: 'Spin@1.0.0 exceeded its 50 ms time limit' }), limit: 'wallTime' }),
    });
    const failure = await failureOf(
      mockEnv().run(activities.btreePluginsRunNodeTick, tickInput({ name: 'Spin', sha256: FakeBackend.sha(T, 'Spin', '1.0.0') })),
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('LimitExceededError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message).toContain('exceeded its 50 ms time limit');
  });

  it('a guest failure without a limit breach comes back as a FAILURE outcome, not an activity failure', async () => {
    const { activities, backend } = setup();
    backend.publish(T, { name: 'Bad', version: '1.0.0', tick: () => outcome({ status: 'FAILURE', error: 'boom' }) });
    const result = await mockEnv().run(activities.btreePluginsRunNodeTick, tickInput({ name: 'Bad', sha256: FakeBackend.sha(T, 'Bad', '1.0.0') }));
    expect(result).toMatchObject({ status: 'FAILURE', error: 'boom' });
  });

  it('heartbeats while a long tick runs', async () => {
    const { activities, backend } = setup();
    backend.publish(T, { name: 'Slow', version: '1.0.0', tick: () => new Promise((r) => setTimeout(() => r(outcome()), 400)) });
    const env = mockEnv({ heartbeatTimeoutMs: 300 });
    let beats = 0;
    env.on('heartbeat', () => beats++);
    await env.run(activities.btreePluginsRunNodeTick, tickInput({ name: 'Slow', sha256: FakeBackend.sha(T, 'Slow', '1.0.0') }));
    expect(beats).toBeGreaterThanOrEqual(3);
  });

  it('run as a local activity, a long tick sends no heartbeats (local activities cannot) and cancellation still aborts it', async () => {
    const backend = new FakeBackend();
    const blocking = publishBlocking(backend);
    backend.publish(T, { name: 'Slow', version: '1.0.0', tick: () => new Promise((r) => setTimeout(() => r(outcome()), 300)) });
    const activities = createPluginActivitiesFromBackend(backend, { heartbeatIntervalMs: 20 });
    const slow = tickInput({ name: 'Slow', sha256: FakeBackend.sha(T, 'Slow', '1.0.0') });
    const beats = { local: 0, normal: 0 };
    for (const mode of ['local', 'normal'] as const) {
      const env = mockEnv({ isLocal: mode === 'local', heartbeatTimeoutMs: undefined });
      env.on('heartbeat', () => beats[mode]++);
      await env.run(activities.btreePluginsRunNodeTick, slow);
    }
    expect(beats.local).toBe(0);
    expect(beats.normal).toBeGreaterThanOrEqual(3); // the same tick as a normal activity does heartbeat
    const env = mockEnv({ isLocal: true, heartbeatTimeoutMs: undefined });
    const run = env.run(activities.btreePluginsRunNodeTick, tickInput({ name: 'Block', sha256: FakeBackend.sha(T, 'Block', '1.0.0') }));
    setTimeout(() => env.cancel(), 50);
    const failure = await failureOf(run);
    expect(blocking.sawAbort).toBe(true);
    expect(failure).toBeInstanceOf(CancelledFailure);
  });

  it('activity cancellation aborts the sandbox run and reports cancelled', async () => {
    const { activities, backend } = setup();
    const blocking = publishBlocking(backend);
    const env = mockEnv();
    const run = env.run(activities.btreePluginsRunNodeTick, tickInput({ name: 'Block', sha256: FakeBackend.sha(T, 'Block', '1.0.0') }));
    setTimeout(() => env.cancel(), 50);
    const failure = await failureOf(run);
    expect(blocking.sawAbort).toBe(true);
    expect(failure).toBeInstanceOf(CancelledFailure);
  });

  it('rejects malformed input without retry', async () => {
    const { activities } = setup();
    const failure = await failureOf(mockEnv().run(activities.btreePluginsRunNodeTick, tickInput({ tenantId: '' })));
    expect((failure as ApplicationFailure).type).toBe('InvalidInputError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });
});

describe('script activities', () => {
  function withEngine(run: (req: ScriptRequest) => Promise<ScriptOutcome>) {
    const { backend, activities } = setup();
    const seen: ScriptRequest[] = [];
    backend.engines.python = {
      language: 'python',
      run: (req) => {
        seen.push(req);
        return run(req);
      },
      dispose: async () => {},
    };
    return { activities, seen };
  }
  const request = { script: 'result = 1', inputs: { a: 1 }, timeoutMs: 1000, memoryLimitBytes: 64 * 1024 * 1024 };

  it('runs the engine with the tenant id and the activity signal', async () => {
    const { activities, seen } = withEngine(async () => ({ ok: true, value: 1, output: [] }));
    const result = await mockEnv().run(activities.btreePluginsRunPython, { tenantId: T, request });
    expect(result).toEqual({ ok: true, value: 1, output: [] });
    expect(seen[0]?.tenantId).toBe(T);
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it('a script timeout is a non-retryable limit failure', async () => {
    const { activities } = withEngine(async () => ({ ok: false, error: { kind: 'timeout', message: 'script exceeded its 1s time limit' }, output: [] }));
    const failure = await failureOf(mockEnv().run(activities.btreePluginsRunPython, { tenantId: T, request }));
    expect((failure as ApplicationFailure).type).toBe('LimitExceededError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).details?.[0]).toMatchObject({ ok: false, error: { kind: 'timeout' } });
  });

  it('a script error is an outcome, not a failure', async () => {
    const { activities } = withEngine(async () => ({ ok: false, error: { kind: 'runtime', message: 'ZeroDivisionError', line: 2 }, output: [] }));
    const result = await mockEnv().run(activities.btreePluginsRunPython, { tenantId: T, request });
    expect(result).toMatchObject({ ok: false, error: { kind: 'runtime', line: 2 } });
  });

  it('cancellation aborts the script run', async () => {
    const { activities } = withEngine(
      (req) =>
        new Promise((resolve) =>
          req.signal?.addEventListener('abort', () => resolve({ ok: false, error: { kind: 'aborted', message: 'aborted' }, output: [] })),
        ),
    );
    const env = mockEnv();
    const run = env.run(activities.btreePluginsRunPython, { tenantId: T, request });
    setTimeout(() => env.cancel(), 50);
    expect(await failureOf(run)).toBeInstanceOf(CancelledFailure);
  });

  it('hazard: a request above the worker’s limits is clamped to them, whatever the workflow sent', async () => {
    const { backend } = setup();
    const seen: ScriptRequest[] = [];
    backend.engines.python = { language: 'python', run: async (req) => (seen.push(req), { ok: true, value: null, output: [] }), dispose: async () => {} };
    const activities = createPluginActivitiesFromBackend(backend, { interpreterLimits: { python: { maxTimeoutMs: 2_000, defaultTimeoutMs: 1_000, maxOutputLines: 10 } } });
    await mockEnv().run(activities.btreePluginsRunPython, {
      tenantId: T,
      request: { ...request, timeoutMs: 3_600_000, memoryLimitBytes: 2 ** 40, maxOutputLines: 1e9 },
    });
    expect(seen[0]).toMatchObject({ timeoutMs: 2_000, memoryLimitBytes: 1024 * 1024 * 1024, maxOutputLines: 10 });
    const tooBig = await failureOf(mockEnv().run(activities.btreePluginsRunPython, { tenantId: T, request: { ...request, script: 'x'.repeat(300 * 1024) } }));
    expect((tooBig as ApplicationFailure).type).toBe('InvalidInputError');
  });

  it('a worker without the interpreter fails clearly, without retry', async () => {
    const { activities } = setup();
    const failure = await failureOf(mockEnv().run(activities.btreePluginsRunJavaScript, { tenantId: T, request }));
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message).toMatch(/no JavaScript interpreter configured.*HINT/);
  });
});

describe('usage activity', () => {
  it('records the versions a run used', async () => {
    const { activities, backend } = setup();
    await mockEnv().run(activities.btreePluginsRecordUsage, { tenantId: T, workflowId: 'wf-1', nodes: [{ name: 'Greet', version: '1.0.0' }] });
    expect(backend.usage).toEqual([{ tenantId: T, workflowId: 'wf-1', nodes: [{ name: 'Greet', version: '1.0.0' }] }]);
  });
});

/** Publishes `Block`, a node whose tick ends only when its signal aborts; `sawAbort` tells whether it did. */
function publishBlocking(backend: FakeBackend): { sawAbort: boolean } {
  const seen = { sawAbort: false };
  backend.publish(T, {
    name: 'Block',
    version: '1.0.0',
    tick: ({ signal }) =>
      new Promise((resolve) => {
        signal?.addEventListener('abort', () => {
          seen.sawAbort = true;
          resolve(outcome({ status: 'FAILURE', error: 'aborted' }));
        });
      }),
  });
  return seen;
}
