import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BuiltinNodeProvider } from '../../src/btree/register-nodes.js';
import { DisposedError, isBtreePluginsError } from '../../src/errors.js';
import { sha256Hex } from '../../src/loader/hash.js';
import type { NodeMetadata } from '../../src/binding-core/types.js';
import { versionKeys } from '../../src/registry/layout.js';
import type { RunnableBundle } from '../../src/sandbox/types.js';
import { PluginHost } from '../../src/plugin-host.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import * as testHost from '../../src/testing/index.js';
import { FakeRunner } from './fake-runner.js';
import { hostName, loadBtree, type SuiteBtree } from '../setup/btree-module.js';

let btree: SuiteBtree;
beforeAll(async () => {
  btree = await loadBtree();
});

const hosts: PluginHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.dispose();
});

function track(host: PluginHost): PluginHost {
  hosts.push(host);
  return host;
}

const SLACK_SOURCE = readFileSync(new URL('../fixtures/nodes/send-slack-message.ts', import.meta.url), 'utf8');

/** A FakeRunner whose `inspect` answers `metadata` and records every bundle it was shown. */
function inspectingRunner(metadata: NodeMetadata) {
  return Object.assign(new FakeRunner({}), { inspect: vi.fn(async (_bundle: RunnableBundle) => structuredClone(metadata)) });
}

async function storedKeys(storage: MemoryStorage): Promise<string[]> {
  const out: string[] = [];
  for await (const e of storage.list('')) out.push(e.key);
  return out;
}

function provider(type: string, log: string[], failDispose = false): BuiltinNodeProvider {
  return {
    type,
    create: (b) => ({
      ctor: class extends (b.ActionNode as unknown as new (c: { id: string }) => object) {
        protected async executeTick(): Promise<string> {
          return b.NodeStatus.SUCCESS;
        }
      } as never,
      metadata: { category: 'action' },
    }),
    dispose: async () => {
      log.push(type);
      if (failDispose) throw new Error(`${type} dispose failed`);
    },
  };
}

describe(`PluginHost (${hostName})`, () => {
  it('refuses a btree module that lacks the classes the binding needs, and a missing storage', () => {
    let err: unknown;
    try {
      new PluginHost({ btree: { NodeStatus: btree.NodeStatus } as never, storage: new MemoryStorage() });
    } catch (e) {
      err = e;
    }
    expect(isBtreePluginsError(err, 'InvalidInputError')).toBe(true);
    expect((err as Error).message).toContain('`btree` lacks ActionNode, ConditionNode, ConfigurationError');
    expect(() => new PluginHost({ btree, storage: undefined as never })).toThrow('`storage` is required');
  });

  it('accepts the test host module and its Registry as they are (no casts: `npm run typecheck` pins the types)', async () => {
    const host = track(new PluginHost({ btree: testHost, storage: new testHost.MemoryStorage(), runner: new FakeRunner({}) }));
    const registry = new testHost.Registry();
    expect((await host.registerNodes(registry, 'acme')).registered).toEqual([]);
  });

  it('registers the JavaScriptInterpreter when enabled, and it runs a script from YAML', async () => {
    const host = track(new PluginHost({ btree, storage: new MemoryStorage(), interpreters: { javascript: true } }));
    const registry = new btree.Registry();
    btree.registerStandardNodes(registry);
    const summary = await host.registerNodes(registry, 'acme');
    expect(summary.registered).toEqual([{ type: 'JavaScriptInterpreter', name: 'JavaScriptInterpreter', version: 'builtin', category: 'action' }]);
    const yaml = 'type: JavaScriptInterpreter\nid: sum\nprops:\n  outputKey: total\n  script: "result = items.reduce((a, b) => a + b, 0)"\n';
    const root = btree.loadTreeFromYaml(yaml, registry);
    const result = await new btree.BehaviorTree(root).toWorkflow()({ input: { items: [1, 2, 3] }, treeRegistry: registry });
    expect(result).toEqual({ status: 'SUCCESS', output: { items: [1, 2, 3], total: 6 } });
  });

  it('registers the PythonInterpreter when enabled, and it runs a script from YAML (Pyodide in an isolate)', async () => {
    const host = track(new PluginHost({ btree, storage: new MemoryStorage(), runner: new FakeRunner({}), interpreters: { python: true } }));
    const registry = new btree.Registry();
    await host.registerNodes(registry, 'acme');
    const yaml = 'type: PythonInterpreter\nid: stats\nprops:\n  outputKey: stats\n  script: |\n    import statistics\n    result = {"mean": statistics.mean(values), "count": len(values)}\n';
    const root = btree.loadTreeFromYaml(yaml, registry);
    const result = await new btree.BehaviorTree(root).toWorkflow()({ input: { values: [1, 2, 3, 6] }, treeRegistry: registry });
    expect(root.lastError).toBeUndefined();
    expect(result).toEqual({ status: 'SUCCESS', output: { values: [1, 2, 3, 6], stats: { mean: 3, count: 4 } } });
    expect(await host.interpreterEngine('python')).toBeDefined();
  }, 120_000);

  it('exposes its runner and interpreter engines to the Temporal activities', async () => {
    const runner = new FakeRunner({});
    const host = track(new PluginHost({ btree, storage: new MemoryStorage(), runner, interpreters: { javascript: true } }));
    expect(await host.nodeRunner()).toBe(runner);
    expect(await host.interpreterEngine('python')).toBeUndefined();
    const js = await host.interpreterEngine('javascript');
    expect(await js!.run({ script: 'result = a + 1', inputs: { a: 41 }, timeoutMs: 1000, memoryLimitBytes: 32 * 2 ** 20 } as never)).toMatchObject({ ok: true, value: 42 });
    expect(await host.interpreterEngine('javascript')).toBe(js);
  });

  it('does not register interpreters unless enabled', async () => {
    const host = track(new PluginHost({ btree, storage: new MemoryStorage(), runner: new FakeRunner({}) }));
    const registry = new btree.Registry();
    expect((await host.registerNodes(registry, 'acme')).registered).toEqual([]);
    expect(registry.has('JavaScriptInterpreter')).toBe(false);
  });

  it('dispose disposes the runner and every builtin, keeps going past a failure and rethrows the first', async () => {
    const runner = new FakeRunner({});
    const log: string[] = [];
    const host = new PluginHost({
      btree,
      storage: new MemoryStorage(),
      runner,
      builtins: [provider('First', log, true), provider('Second', log)],
    });
    await host.registerNodes(new btree.Registry(), 'acme');
    await expect(host.dispose()).rejects.toThrow('First dispose failed');
    expect(log).toEqual(['Second', 'First']);
    expect(runner.disposed).toBe(true);
    expect(host.alive).toBe(false);
    await host.dispose(); // idempotent
  });

  it('logs registration warnings to the host logger', async () => {
    const warnings: unknown[] = [];
    const host = track(
      new PluginHost({
        btree,
        storage: new MemoryStorage(),
        runner: new FakeRunner({}),
        logger: { info() {}, warn: (m, f) => warnings.push([m, f]) },
      }),
    );
    await host.registerNodes(new btree.Registry(), 'acme', { yaml: 'type: [' });
    expect(warnings).toHaveLength(1);
    expect((warnings[0] as [string, unknown])[1]).toEqual({ tenantId: 'acme' });
  });

  it("publishes through host.registry: the host's runner inspects the compiled bundle once, and its props schema is stored", async () => {
    const metadata: NodeMetadata = {
      category: 'action',
      ports: [{ name: 'channel', type: 'input', required: true }],
      propsSchema: { type: 'object', properties: { channel: { type: 'string' } }, required: ['channel'] },
    };
    const runner = inspectingRunner(metadata);
    const storage = new MemoryStorage();
    const host = track(new PluginHost({ btree, storage, runner, registry: { requireApproval: false } }));
    const { created, manifest } = await host.registry.publish('acme', { name: 'SendSlackMessage', version: '1.0.0', source: SLACK_SOURCE });
    expect(created).toBe(true);
    expect(runner.inspect).toHaveBeenCalledTimes(1);
    const shown = runner.inspect.mock.calls[0]![0];
    expect(shown).toMatchObject({ tenantId: 'acme', node: 'SendSlackMessage', version: '1.0.0', sha256: manifest.sha256 });
    expect(manifest).toMatchObject({ metadata, metadataSource: 'inspect' });
    const bundle = await storage.get(versionKeys('acme', 'SendSlackMessage', '1.0.0').bundle);
    expect(sha256Hex(bundle!.body)).toBe(manifest.sha256);
    expect(new TextDecoder().decode(bundle!.body)).toBe(shown.code);
    await host.registry.activate('acme', 'SendSlackMessage', '1.0.0', { by: 'ops' });
    expect((await host.registry.resolve('acme', 'SendSlackMessage')).metadata.propsSchema).toEqual(metadata.propsSchema);
  });

  it('publish-after-dispose: a registry kept past dispose refuses to publish and stores nothing', async () => {
    const runner = inspectingRunner({ category: 'action', ports: [] });
    const storage = new MemoryStorage();
    const host = new PluginHost({ btree, storage, runner });
    const registry = host.registry;
    await host.dispose();
    const error = await registry.publish('acme', { name: 'SendSlackMessage', version: '1.0.0', source: SLACK_SOURCE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DisposedError);
    expect(runner.inspect).not.toHaveBeenCalled();
    expect(await storedKeys(storage)).toEqual([]);
  });

  it('supports `await using`', async () => {
    const runner = new FakeRunner({});
    {
      await using host = new PluginHost({ btree, storage: new MemoryStorage(), runner });
      await host.registerNodes(new btree.Registry(), 'acme');
    }
    expect(runner.disposed).toBe(true);
  });
});
