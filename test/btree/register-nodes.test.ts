import { beforeAll, describe, expect, it } from 'vitest';
import { registerTenantNodes, type BindingContext, type BuiltinNodeProvider } from '../../src/btree/register-nodes.js';
import { BundleMemo } from '../../src/btree/bundle-memo.js';
import { isBtreePluginsError } from '../../src/errors.js';
import { FakeCatalog } from './fake-catalog.js';
import { FakeRunner } from './fake-runner.js';
import { hostName, loadBtree, type SuiteBtree } from '../setup/btree-module.js';

let btree: SuiteBtree;
beforeAll(async () => {
  btree = await loadBtree();
});

const schema = { type: 'object', properties: { channel: { type: 'string' } }, required: ['channel'] };

function setup() {
  const catalog = new FakeCatalog({
    acme: [
      { name: 'SendSlackMessage', version: '1.0.0', behaviour: 'v1', metadata: { propsSchema: schema } },
      { name: 'SendSlackMessage', version: '1.2.0', behaviour: 'v12', metadata: { propsSchema: schema }, deprecated: 'use 2.x' },
      { name: 'SendSlackMessage', version: '1.2.5', behaviour: 'v125', metadata: { propsSchema: schema } },
      {
        name: 'SendSlackMessage',
        version: '2.0.0',
        behaviour: 'v2',
        active: true,
        metadata: { propsSchema: schema, description: 'Posts to Slack', ports: [{ name: 'channel', type: 'input' }] },
      },
      { name: 'IsBusinessHours', version: '0.1.0', behaviour: 'cond', active: true, metadata: { category: 'condition' } },
      { name: 'Sneaky', version: '1.0.0', behaviour: 'v1', metadata: { category: 'decorator' as never } },
    ],
    other: [{ name: 'SendSlackMessage', version: '9.9.9', behaviour: 'other', active: true }],
  });
  const runner = new FakeRunner({
    v1: () => ({ writes: { via: '1.0.0' } }),
    v12: () => ({ writes: { via: '1.2.0' } }),
    v125: () => ({ writes: { via: '1.2.5' } }),
    v2: () => ({ writes: { via: '2.0.0' } }),
    cond: () => ({ status: 'FAILURE', error: 'closed' }),
    other: () => ({ writes: { via: 'other tenant' } }),
  });
  const ctx: BindingContext = { btree, catalog, runner };
  const registry = new btree.Registry();
  btree.registerStandardNodes(registry);
  return { ctx, registry, runner };
}

async function runTreeOnce(registry: InstanceType<SuiteBtree['Registry']>, yaml: string) {
  return new btree.BehaviorTree(btree.loadTreeFromYaml(yaml, registry)).toWorkflow()({ input: {}, treeRegistry: registry });
}

async function run(registry: InstanceType<SuiteBtree['Registry']>, yaml: string) {
  const root = btree.loadTreeFromYaml(yaml, registry);
  return new btree.BehaviorTree(root).toWorkflow()({ input: {}, treeRegistry: registry });
}

describe(`registerNodes (${hostName})`, () => {
  it('registers every active node under its bare name with category, description and ports', async () => {
    const { ctx, registry } = setup();
    const result = await registerTenantNodes(ctx, registry, 'acme');
    expect(result.registered).toEqual([
      { type: 'SendSlackMessage', name: 'SendSlackMessage', version: '2.0.0', category: 'action' },
      { type: 'IsBusinessHours', name: 'IsBusinessHours', version: '0.1.0', category: 'condition' },
    ]);
    expect(registry.getMetadata('SendSlackMessage')).toEqual({
      type: 'SendSlackMessage',
      category: 'action',
      description: 'Posts to Slack',
      ports: [{ name: 'channel', type: 'input' }],
    });
    expect(registry.getMetadata('IsBusinessHours')?.category).toBe('condition');
    expect((await run(registry, 'type: SendSlackMessage\nid: s\nprops: { channel: "#a" }\n')).output).toEqual({ via: '2.0.0' });
  });

  it('registers the exact versions a YAML tree pins, under the exact type string', async () => {
    const { ctx, registry } = setup();
    const yaml = [
      'type: Sequence',
      'id: root',
      'children:',
      '  - type: SendSlackMessage@1.0.0',
      '    id: exact',
      '    props: { channel: "#a" }',
      '  - type: CounterAction',
      '    id: c',
      '  - type: SendSlackMessage@^1.2',
      '    id: range',
      '    props: { channel: "#b" }',
      '',
    ].join('\n');
    const result = await registerTenantNodes(ctx, registry, 'acme', { yaml });
    expect(result.registered.map((r) => `${r.type}=${r.version}`)).toEqual([
      'SendSlackMessage=2.0.0',
      'IsBusinessHours=0.1.0',
      'SendSlackMessage@1.0.0=1.0.0',
      'SendSlackMessage@^1.2=1.2.5',
    ]);
    expect(registry.has('SendSlackMessage@^1.2')).toBe(true);
    const root = btree.loadTreeFromYaml(yaml, registry);
    expect(root.children?.[0]?.type).toBe('SendSlackMessage'); // the class name, not the registry key
    const seen: string[] = [];
    const bb = new btree.ScopedBlackboard();
    for (const child of root.children ?? []) {
      await child.tick({ blackboard: bb, treeRegistry: registry, timestamp: 0 } as never);
      seen.push(String(bb.get('via')));
    }
    expect(seen).toEqual(['1.0.0', '1.0.0', '1.2.5']);
  });

  it('registers tenant nodes as leaves whatever category their manifest claims', async () => {
    const { ctx, registry } = setup();
    await registerTenantNodes(ctx, registry, 'acme', { yaml: 'type: Sneaky@1.0.0\n' });
    expect(registry.getMetadata('Sneaky@1.0.0')?.category).toBe('action');
  });

  it('reports deprecated versions as warnings', async () => {
    const { ctx, registry } = setup();
    const result = await registerTenantNodes(ctx, registry, 'acme', { yaml: 'type: SendSlackMessage@1.2.0\nprops: { channel: "#a" }\n' });
    expect(result.warnings).toEqual(['SendSlackMessage@1.2.0 is deprecated: use 2.x']);
  });

  it('is idempotent for the same versions and refuses a different version under a taken type', async () => {
    const { ctx, registry } = setup();
    await registerTenantNodes(ctx, registry, 'acme');
    const again = await registerTenantNodes(ctx, registry, 'acme');
    expect(again.registered).toEqual([]);
    expect(again.skipped.map((s) => s.type)).toEqual(['SendSlackMessage', 'IsBusinessHours']);
    const err = await registerTenantNodes(ctx, registry, 'other').catch((e: unknown) => e);
    expect(isBtreePluginsError(err, 'ConflictError')).toBe(true);
    expect((err as Error).message).toContain('the host Registry already has "SendSlackMessage", registered as SendSlackMessage@2.0.0 of tenant acme');
    expect((err as Error).message).toContain('HINT:');
  });

  it('refuses to take over a type the host registered itself', async () => {
    const { ctx, registry } = setup();
    registry.register('IsBusinessHours', btree.ActionNode as never);
    const err = await registerTenantNodes(ctx, registry, 'acme').catch((e: unknown) => e);
    expect(isBtreePluginsError(err, 'ConflictError')).toBe(true);
  });

  it('a failing resolve registers nothing', async () => {
    const { ctx, registry } = setup();
    await expect(registerTenantNodes(ctx, registry, 'acme', { yaml: 'type: SendSlackMessage@^7\n' })).rejects.toThrow(/no version/);
    expect(registry.has('SendSlackMessage')).toBe(false);
  });

  it('unreadable YAML is a warning; btree reports the syntax error when the tree is loaded', async () => {
    const { ctx, registry } = setup();
    const result = await registerTenantNodes(ctx, registry, 'acme', { yaml: 'type: [unclosed' });
    expect(result.warnings[0]).toMatch(/^the YAML tree could not be read for pinned node versions/);
    expect(result.registered).toHaveLength(2);
  });

  it('registers builtin node providers once per Registry', async () => {
    const { ctx, registry } = setup();
    let created = 0;
    const provider: BuiltinNodeProvider = {
      type: 'JavaScriptInterpreter',
      create: (b) => {
        created++;
        const cls = class JavaScriptInterpreter extends (b.ActionNode as unknown as new (c: { id: string }) => object) {
          protected async executeTick(): Promise<string> {
            return b.NodeStatus.SUCCESS;
          }
        };
        return { ctor: cls as never, metadata: { category: 'action', description: 'js' } };
      },
    };
    ctx.builtins = [provider];
    const first = await registerTenantNodes(ctx, registry, 'acme');
    expect(first.registered[0]).toEqual({ type: 'JavaScriptInterpreter', name: 'JavaScriptInterpreter', version: 'builtin', category: 'action' });
    await registerTenantNodes(ctx, registry, 'acme');
    expect(created).toBe(1);
    expect(registry.getMetadata('JavaScriptInterpreter')?.description).toBe('js');
  });

  it('with a BundleMemo, ticks load each bundle once; concurrent loads share one read; failures are not kept', async () => {
    const { ctx, registry } = setup();
    const catalog = ctx.catalog as FakeCatalog;
    ctx.bundles = new BundleMemo();
    await registerTenantNodes(ctx, registry, 'acme');
    const run = async () => (await runTreeOnce(registry, 'type: Parallel\nid: p\nchildren:\n  - { type: SendSlackMessage, props: { channel: "#a" } }\n  - { type: SendSlackMessage, props: { channel: "#b" } }\n')).status;
    catalog.failNextLoad = true;
    expect(await run()).toBe('FAILURE');
    expect(await run()).toBe('SUCCESS');
    expect(await run()).toBe('SUCCESS');
    expect(catalog.loads).toBe(2);
    expect(ctx.bundles.stats().entries).toBe(1);
  });

  it('reuses classes through a class cache', async () => {
    const { ctx } = setup();
    ctx.classCache = new Map();
    const r1 = new btree.Registry();
    const r2 = new btree.Registry();
    await registerTenantNodes(ctx, r1, 'acme');
    await registerTenantNodes(ctx, r2, 'acme');
    const a = r1.create('SendSlackMessage', { id: 'a', channel: '#x' });
    const b = r2.create('SendSlackMessage', { id: 'b', channel: '#x' });
    expect(a.constructor).toBe(b.constructor);
  });
});
