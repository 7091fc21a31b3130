/**
 * A `defineNode` node (the SDK) through the real registry and sandbox: its zod props schema reaches
 * the manifest as JSON Schema at publish time, and the binding validates YAML props against it
 * when the tree is built — with the host's ConfigurationError listing every problem.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import type { SandboxPool } from '../../src/sandbox/pool.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { hostName, loadBtree, type SuiteBtree } from '../setup/btree-module.js';

const SOURCE = `
import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';

export default defineNode({
  name: 'FormatGreeting',
  description: 'Greets someone from the blackboard',
  props: z.object({
    greeting: z.string().min(1),
    punctuation: z.enum(['.', '!']).default('!'),
    times: z.number().int().positive().optional(),
    suffix: z.string().regex(/^[a-z]*$/).optional(),
  }),
  ports: [{ name: 'who', type: 'input' }, { name: 'greetingText', type: 'output' }],
  tick(ctx) {
    const who = ctx.blackboard.get('who');
    if (typeof who !== 'string') return NodeStatus.FAILURE;
    ctx.blackboard.set('greetingText', ctx.props.greeting + ', ' + who + ctx.props.punctuation + (ctx.props.suffix ?? ''));
    return NodeStatus.SUCCESS;
  },
});
`;

let btree: SuiteBtree;
beforeAll(async () => {
  btree = await loadBtree();
});

let host: PluginHost | undefined;
afterEach(async () => {
  if (!host) return;
  const pool = (await host.nodeRunner()) as SandboxPool;
  await host.dispose();
  host = undefined;
  // Leak check: the host's dispose disposed every isolate.
  expect(pool.stats().isolatesDisposed).toBe(pool.stats().isolatesCreated);
});

async function setup() {
  host = new PluginHost({ btree, storage: new MemoryStorage(), registry: { requireApproval: false } });
  await host.registry.publish('acme', { name: 'FormatGreeting', version: '0.1.0', source: SOURCE });
  await host.registry.activate('acme', 'FormatGreeting', '0.1.0');
  const registry = new btree.Registry();
  btree.registerStandardNodes(registry);
  await host.registerNodes(registry, 'acme');
  return registry;
}

describe(`defineNode nodes (${hostName})`, () => {
  it('registers with the manifest metadata and runs', async () => {
    const registry = await setup();
    expect(registry.getMetadata('FormatGreeting')).toMatchObject({
      category: 'action',
      description: 'Greets someone from the blackboard',
      ports: [
        { name: 'who', type: 'input' },
        { name: 'greetingText', type: 'output' },
      ],
    });
    const root = btree.loadTreeFromYaml('type: FormatGreeting\nid: g\nprops: { greeting: Hello }\n', registry);
    const result = await new btree.BehaviorTree(root).toWorkflow()({ input: { who: 'Ada' }, treeRegistry: registry });
    expect(result).toEqual({ status: 'SUCCESS', output: { who: 'Ada', greetingText: 'Hello, Ada!' } });
  });

  it('bad YAML props fail the tree build with the host ConfigurationError listing every problem', async () => {
    const registry = await setup();
    const yaml = 'type: FormatGreeting\nid: g\nprops: { greeting: "", punctuation: "?", times: 1.5 }\n';
    let err: unknown;
    try {
      btree.loadTreeFromYaml(yaml, registry);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(btree.ConfigurationError);
    const lines = (err as Error).message.split('\n');
    expect(lines[0]).toBe('Invalid configuration for FormatGreeting@0.1.0:g:');
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual(['  - greeting', '  - punctuation', '  - times']);
  });

  it('regex props are not checked in the host: the node’s own schema rejects them in the sandbox, on the tick', async () => {
    const registry = await setup();
    const root = btree.loadTreeFromYaml('type: FormatGreeting\nid: g\nprops: { greeting: Hi, suffix: "NOT-LOWER" }\n', registry);
    const result = await new btree.BehaviorTree(root).toWorkflow()({ input: { who: 'Ada' }, treeRegistry: registry });
    expect(result.status).toBe('FAILURE');
    expect(root.lastError).toMatch(/suffix/);
    expect(result.output).toEqual({ who: 'Ada' });
  });
});
