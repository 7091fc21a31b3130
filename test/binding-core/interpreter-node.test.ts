import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BtreeModule } from '../../src/binding-core/host-btree.js';
import { collectScriptInputs, createInterpreterNodeClass, interpreterNodeMetadata } from '../../src/binding-core/interpreter-node.js';
import { createJavaScriptInterpreterClass, QuickJsEngine } from '../../src/interpreters/javascript.js';
import { JAVASCRIPT_LIMITS } from '../../src/binding-core/interpreter-props.js';
import type { InterpreterEngine, InterpreterLogFields, InterpreterLogger, ScriptOutcome, ScriptRequest } from '../../src/binding-core/interpreter-types.js';
import { loadBtree } from '../setup/btree-module.js';

const testHost = await loadBtree();
const btree = testHost as unknown as BtreeModule;

/** A scripted engine, to pin what the node does with each outcome independently of QuickJS. */
class FakeEngine implements InterpreterEngine {
  readonly language = 'javascript' as const;
  readonly requests: ScriptRequest[] = [];
  constructor(private readonly answer: (req: ScriptRequest) => ScriptOutcome | Promise<ScriptOutcome>) {}
  async run(req: ScriptRequest): Promise<ScriptOutcome> {
    this.requests.push(req);
    return this.answer(req);
  }
  async dispose(): Promise<void> {}
}

class RecordingLogger implements InterpreterLogger {
  readonly lines: Array<{ level: string; message: string; fields?: InterpreterLogFields }> = [];
  info(message: string, fields?: InterpreterLogFields): void {
    this.lines.push({ level: 'info', message, ...(fields ? { fields } : {}) });
  }
  warn(message: string, fields?: InterpreterLogFields): void {
    this.lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) });
  }
}

function ctx(data: Record<string, unknown> = {}, signal?: AbortSignal) {
  const blackboard = new testHost.ScopedBlackboard();
  for (const [k, v] of Object.entries(data)) blackboard.set(k, v);
  return { blackboard, treeRegistry: new testHost.Registry(), timestamp: Date.now(), ...(signal ? { signal } : {}) };
}

function fakeClass(engine: InterpreterEngine, logger = new RecordingLogger(), extra: { tenantId?: string } = {}) {
  return createInterpreterNodeClass(btree, engine, { logger, ...extra });
}

let engine: QuickJsEngine;
beforeAll(async () => {
  testHost.setTestHostLogging(false);
  engine = new QuickJsEngine();
  await engine.warmUp();
});
afterAll(async () => {
  await engine.dispose();
});

describe('createInterpreterNodeClass', () => {
  it('returns a host ActionNode subclass named after the type', () => {
    const Cls = fakeClass(new FakeEngine(() => ({ ok: true, value: 1, output: [] })));
    const node = new Cls({ id: 'n1', script: 'result = 1' });
    expect(Cls.name).toBe('JavaScriptInterpreter');
    expect(node).toBeInstanceOf(testHost.ActionNode);
    expect(node.type).toBe('JavaScriptInterpreter');
    expect(interpreterNodeMetadata('javascript')).toMatchObject({ category: 'action', ports: [{ name: 'outputKey', defaultValue: 'jsResult' }] });
  });

  it("throws the host's ConfigurationError listing every problem", () => {
    const Cls = fakeClass(new FakeEngine(() => ({ ok: true, value: 1, output: [] })));
    let thrown: unknown;
    try {
      new Cls({ id: 'bad', script: '', timeout: '5 s', outputKey: '__proto__' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(testHost.ConfigurationError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^Invalid configuration for JavaScriptInterpreter:bad:/);
    expect(message).toContain('  - script: must not be empty');
    expect(message).toContain('  - outputKey: "__proto__" is an Object.prototype member name');
    expect(message).toContain(`  - timeout: "5 s" is not a duration; write an integer and a unit: '500ms', '30s' or '5m'`);
  });

  it('rejects a bad timeout when the tree is loaded from YAML, not when it ticks', () => {
    const registry = new testHost.Registry();
    testHost.registerStandardNodes(registry);
    registry.register('JavaScriptInterpreter', fakeClass(new FakeEngine(() => ({ ok: true, value: 1, output: [] }))) as never);
    const yaml = `
type: Sequence
id: root
children:
  - type: JavaScriptInterpreter
    id: js
    props: { script: "result = 1", timeout: "thirty seconds" }
`;
    expect(() => testHost.loadTreeFromYaml(yaml, registry)).toThrow(testHost.ConfigurationError);
  });

  it('passes the script, limits, tenant and signal to the engine and writes the result', async () => {
    const fake = new FakeEngine(() => ({ ok: true, value: { n: 1 }, output: [] }));
    const Cls = fakeClass(fake, new RecordingLogger(), { tenantId: 'acme' });
    const node = new Cls({ id: 'n', script: 'result = 1', timeout: '750ms', memoryLimit: '8MB', outputKey: 'out' });
    const controller = new AbortController();
    const c = ctx({ a: 1 }, controller.signal);
    expect(await node.tick(c as never)).toBe('SUCCESS');
    expect(c.blackboard.get('out')).toEqual({ n: 1 });
    expect(fake.requests[0]).toMatchObject({
      script: 'result = 1',
      inputs: { a: 1 },
      timeoutMs: 750,
      memoryLimitBytes: 8 << 20,
      tenantId: 'acme',
      signal: controller.signal,
      maxResultBytes: JAVASCRIPT_LIMITS.maxResultBytes,
      maxOutputLines: JAVASCRIPT_LIMITS.maxOutputLines,
    });
  });

  it('turns a failed outcome into FAILURE with _lastError carrying the line, and writes nothing', async () => {
    const Cls = fakeClass(new FakeEngine(() => ({ ok: false, error: { kind: 'runtime', message: 'TypeError: boom', line: 3 }, output: [] })));
    const node = new Cls({ id: 'n', script: 'x' });
    const c = ctx();
    expect(await node.tick(c as never)).toBe('FAILURE');
    expect(node.lastError).toBe('JavaScriptInterpreter failed: TypeError: boom (line 3)');
    expect(c.blackboard.has('jsResult')).toBe(false);
  });

  it('turns an engine that throws into FAILURE instead of rejecting the tree', async () => {
    const Cls = fakeClass(new FakeEngine(() => Promise.reject(new Error('engine is disposed'))));
    const node = new Cls({ id: 'n', script: 'x' });
    expect(await node.tick(ctx() as never)).toBe('FAILURE');
    expect(node.lastError).toBe('JavaScriptInterpreter failed: engine is disposed');
  });

  it('re-checks the value an engine returns: a non-JSON-safe value never reaches the blackboard', async () => {
    const Cls = fakeClass(new FakeEngine(() => ({ ok: true, value: { x: Number.NaN } as never, output: [] })));
    const node = new Cls({ id: 'n', script: 'x' });
    const c = ctx();
    expect(await node.tick(c as never)).toBe('FAILURE');
    expect(node.lastError).toBe('JavaScriptInterpreter failed: result.x is NaN, which JSON cannot represent. HINT: use null for missing numbers');
    expect(c.blackboard.has('jsResult')).toBe(false);
  });

  it('sends captured output to the host logger, tagged, and warns on truncation', async () => {
    const logger = new RecordingLogger();
    const Cls = fakeClass(new FakeEngine(() => ({ ok: true, value: null, output: ['one', 'two'], truncatedOutput: true })), logger, { tenantId: 'acme' });
    const node = new Cls({ id: 'n7', name: 'Stats', script: 'x' });
    await node.tick(ctx() as never);
    expect(logger.lines).toEqual([
      { level: 'info', message: '[JavaScriptInterpreter:Stats] one', fields: { node: 'JavaScriptInterpreter', nodeId: 'n7', tenantId: 'acme', source: 'guest' } },
      { level: 'info', message: '[JavaScriptInterpreter:Stats] two', fields: { node: 'JavaScriptInterpreter', nodeId: 'n7', tenantId: 'acme', source: 'guest' } },
      { level: 'warn', message: expect.stringMatching(/output truncated/), fields: { node: 'JavaScriptInterpreter', nodeId: 'n7', tenantId: 'acme' } },
    ]);
  });

  it('clone() rebuilds the node from its config', async () => {
    const Cls = fakeClass(new FakeEngine(() => ({ ok: true, value: 2, output: [] })));
    const node = new Cls({ id: 'n', script: 'x' }) as unknown as { clone(): { tick(c: unknown): Promise<string>; type: string } };
    const copy = node.clone();
    expect(copy.type).toBe('JavaScriptInterpreter');
    expect(await copy.tick(ctx())).toBe('SUCCESS');
  });
});

describe('collectScriptInputs', () => {
  it('by default exposes every key that can be a variable and holds a JSON-safe value', () => {
    const c = ctx({ user: { name: 'a' }, n: 1, fn: () => 1, 'has space': 1, when: new Date(0), result: 'old', list: [1] });
    expect(collectScriptInputs(c.blackboard, undefined, JAVASCRIPT_LIMITS)).toEqual({ ok: true, inputs: { user: { name: 'a' }, n: 1, list: [1] }, bytes: expect.any(Number) });
  });

  it('reads inherited scopes like btree get()', () => {
    const c = ctx({ outer: 1 });
    const child = c.blackboard.createScope('child');
    child.set('inner', 2);
    expect(collectScriptInputs(child as never, undefined, JAVASCRIPT_LIMITS)).toMatchObject({ ok: true, inputs: { outer: 1, inner: 2 } });
  });

  it('with an inputs list: exactly those keys, missing ones as null, unsafe ones as an error naming the path', () => {
    const c = ctx({ a: 1, b: 2, bad: { deep: [Number.POSITIVE_INFINITY] } });
    expect(collectScriptInputs(c.blackboard, ['a', 'missing'], JAVASCRIPT_LIMITS)).toMatchObject({ ok: true, inputs: { a: 1, missing: null } });
    expect(collectScriptInputs(c.blackboard, ['bad'], JAVASCRIPT_LIMITS)).toEqual({ ok: false, message: 'input bad.deep[0] is Infinity, which JSON cannot represent. HINT: use null or a large finite number' });
  });

  it('huge blackboard: inputs over the size cap fail with a hint to list the keys', () => {
    const c = ctx({ big: 'x'.repeat(2000) });
    const r = collectScriptInputs(c.blackboard, undefined, { ...JAVASCRIPT_LIMITS, maxInputBytes: 1000 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/over the 1000-character input limit. HINT: list only the keys/);
  });
});

describe('JavaScriptInterpreter in the test host', () => {
  it('runs a YAML tree end to end and writes results into the blackboard', async () => {
    const registry = new testHost.Registry();
    testHost.registerStandardNodes(registry);
    const logger = new RecordingLogger();
    const { JavaScriptInterpreter, metadata } = createJavaScriptInterpreterClass(btree, { engine, logger, tenantId: 'acme' });
    registry.register('JavaScriptInterpreter', JavaScriptInterpreter as never, metadata as never);
    const yaml = `
type: Sequence
id: root
children:
  - type: JavaScriptInterpreter
    id: stats
    props:
      outputKey: stats
      timeout: 500ms
      inputs: [values]
      script: |
        const n = values.length;
        const mean = values.reduce((a, b) => a + b, 0) / n;
        console.log('n =', n);
        result = { count: n, mean };
  - type: JavaScriptInterpreter
    id: label
    props:
      script: |
        result = stats.mean > 2 ? 'high' : 'low';
`;
    const root = testHost.loadTreeFromYaml(yaml, registry);
    const { status, output } = await new testHost.BehaviorTree(root).toWorkflow()({ input: { values: [1, 2, 3, 4] }, treeRegistry: registry });
    expect(status).toBe('SUCCESS');
    expect(output).toMatchObject({ stats: { count: 4, mean: 2.5 }, jsResult: 'high' });
    expect(logger.lines.map((l) => l.message)).toEqual(['[JavaScriptInterpreter:stats] n = 4']);
  });

  it('a failing script fails the Sequence with lastError naming the line', async () => {
    const registry = new testHost.Registry();
    testHost.registerStandardNodes(registry);
    const { JavaScriptInterpreter } = createJavaScriptInterpreterClass(btree, { engine, logger: new RecordingLogger() });
    registry.register('JavaScriptInterpreter', JavaScriptInterpreter as never);
    const root = testHost.loadTreeFromYaml(
      `
type: JavaScriptInterpreter
id: broken
props:
  script: |
    const a = 1;
    a.b.c = 2;
`,
      registry,
    );
    const status = await root.tick({ blackboard: new testHost.ScopedBlackboard(), treeRegistry: registry, timestamp: Date.now() } as never);
    expect(status).toBe('FAILURE');
    expect(root.lastError).toBe("JavaScriptInterpreter failed: TypeError: cannot set property 'c' of undefined (line 2)");
  });
});
