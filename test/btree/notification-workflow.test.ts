/**
 * End to end, with the real parts: the seed's notification workflow (custom-nodes-architecture.md
 * "YAML Usage") with SendSlackMessage (the seed's source, unchanged) and CreateJiraTicket uploaded as
 * tenant custom nodes, published through the real TenantRegistry (esbuild compile, sandbox inspect),
 * run in real isolated-vm sandboxes (the default thread tier), from YAML through the btree module under test.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { PluginHost } from '../../src/plugin-host.js';
import type { TieredRunner } from '../../src/execution/tiered-runner.js';
import { hostName, loadBtree, type SuiteBtree } from '../setup/btree-module.js';
import { NOTIFICATION_YAML as YAML } from '../../examples/seed-workflows.js';

const fixture = (file: string) => readFileSync(new URL(`../fixtures/nodes/${file}`, import.meta.url), 'utf8');


let btree: SuiteBtree;
beforeAll(async () => {
  btree = await loadBtree();
});

const hosts: PluginHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) {
    const runner = (await h.nodeRunner()) as TieredRunner;
    await h.dispose();
    // Leak check: every isolate the test created was disposed with the host.
    const stats = await runner.stats();
    expect(stats.isolatesCreated).toBeGreaterThan(0);
    expect(stats.isolatesDisposed).toBe(stats.isolatesCreated);
  }
});

type Call = [string, Record<string, unknown>, ...unknown[]];

function newHost(calls: Call[], options: { failSlack?: boolean } = {}) {
  const host = new PluginHost({
    btree,
    storage: new MemoryStorage(),
    capabilities: {
      sendSlackMessage: async (ctx, channel, message) => {
        calls.push(['sendSlackMessage', { tenantId: ctx.tenantId, node: ctx.node, version: ctx.version }, channel, message]);
        if (options.failSlack) throw new Error('slack is down');
      },
      createJiraTicket: async (ctx, project, summary, description) => {
        calls.push(['createJiraTicket', { tenantId: ctx.tenantId, node: ctx.node, version: ctx.version }, project, summary, description]);
        return { key: `${String(project)}-${calls.length}` };
      },
    },
  });
  hosts.push(host);
  return host;
}

async function publishActive(host: PluginHost, name: string, version: string, source: string) {
  await host.registry.publish('acme', { name, version, source, author: 'ana' });
  await host.registry.approve('acme', name, version, { by: 'reviewer' });
  await host.registry.activate('acme', name, version, { by: 'ana' });
}

async function runTree(registry: InstanceType<SuiteBtree['Registry']>, yaml: string, input: Record<string, unknown>) {
  const root = btree.loadTreeFromYaml(yaml, registry);
  return { root, result: await new btree.BehaviorTree(root).toWorkflow()({ input, treeRegistry: registry }) };
}

describe(`the seed's notification workflow end to end (${hostName}, real sandboxes and TenantRegistry)`, () => {
  it('publishes both nodes, registers them and runs the YAML tree', async () => {
    const calls: Call[] = [];
    const host = newHost(calls);
    await publishActive(host, 'SendSlackMessage', '1.0.0', fixture('send-slack-message.ts'));
    await publishActive(host, 'CreateJiraTicket', '1.0.0', fixture('create-jira-ticket.ts'));
    const { manifest } = await host.registry.get('acme', 'CreateJiraTicket', '1.0.0');
    expect(manifest.metadataSource).toBe('inspect'); // publish ran the bundle in the sandbox
    expect(manifest.metadata.category).toBe('action');

    const registry = new btree.Registry();
    btree.registerStandardNodes(registry);
    const summary = await host.registerNodes(registry, 'acme', { yaml: YAML });
    expect(summary.registered.map((r) => `${r.type}@${r.version}`).sort()).toEqual(['CreateJiraTicket@1.0.0', 'SendSlackMessage@1.0.0']);

    const { root, result } = await runTree(registry, YAML, { orderId: 'A-42', customerEmail: 'ada@example.com' });
    expect(root.children?.map((c) => c.type)).toEqual(['SendSlackMessage', 'CreateJiraTicket']);
    expect(result).toEqual({
      status: btree.NodeStatus.SUCCESS,
      output: { orderId: 'A-42', customerEmail: 'ada@example.com', ticketKey: 'OPS-2' },
    });
    expect(calls).toEqual([
      ['sendSlackMessage', { tenantId: 'acme', node: 'SendSlackMessage', version: '1.0.0' }, '#alerts', 'Order A-42 received!'],
      ['createJiraTicket', { tenantId: 'acme', node: 'CreateJiraTicket', version: '1.0.0' }, 'OPS', 'New order: A-42', 'Customer: ada@example.com'],
    ]);
  });

  it('a failing capability gives FAILURE with the node’s lastError and stops the Sequence', async () => {
    const calls: Call[] = [];
    const host = newHost(calls, { failSlack: true });
    await publishActive(host, 'SendSlackMessage', '1.0.0', fixture('send-slack-message.ts'));
    await publishActive(host, 'CreateJiraTicket', '1.0.0', fixture('create-jira-ticket.ts'));
    const registry = new btree.Registry();
    btree.registerStandardNodes(registry);
    await host.registerNodes(registry, 'acme', { yaml: YAML });
    const { root, result } = await runTree(registry, YAML, { orderId: 'A-43' });
    expect(result.status).toBe(btree.NodeStatus.FAILURE);
    expect(root.children?.[0]?.lastError).toMatch(/^Slack message failed: .*slack is down/);
    expect(calls.map((c) => c[0])).toEqual(['sendSlackMessage']);
  });

  it('runs the version a YAML tree pins, next to the active one', async () => {
    const calls: Call[] = [];
    const host = newHost(calls);
    await publishActive(host, 'SendSlackMessage', '1.0.0', fixture('send-slack-message.ts'));
    const v2 = fixture('send-slack-message.ts').replace('await activities.sendSlackMessage(this.channel, resolvedMessage);', "await activities.sendSlackMessage(this.channel, 'v2: ' + resolvedMessage);");
    await host.registry.publish('acme', { name: 'SendSlackMessage', version: '2.0.0', source: v2 });
    await host.registry.approve('acme', 'SendSlackMessage', '2.0.0', { by: 'reviewer' });
    await host.registry.deprecate('acme', 'SendSlackMessage', '2.0.0', { reason: 'use 3.x' });
    const yaml = [
      'type: Sequence',
      'id: root',
      'children:',
      '  - type: SendSlackMessage',
      '    id: active',
      '    props: { channel: "#a", message: "hello" }',
      '  - type: SendSlackMessage@^2',
      '    id: pinned',
      '    props: { channel: "#b", message: "hello" }',
      '',
    ].join('\n');
    const registry = new btree.Registry();
    btree.registerStandardNodes(registry);
    const summary = await host.registerNodes(registry, 'acme', { yaml });
    expect(summary.warnings).toEqual(['SendSlackMessage@2.0.0 is deprecated: use 3.x']);
    const { result } = await runTree(registry, yaml, {});
    expect(result.status).toBe('SUCCESS');
    expect(calls.map((c) => [c[1].version, c[3]])).toEqual([
      ['1.0.0', 'hello'],
      ['2.0.0', 'v2: hello'],
    ]);
  });

  it('a hostile tenant id is refused before anything is read or registered', async () => {
    const host = newHost([]);
    await publishActive(host, 'SendSlackMessage', '1.0.0', fixture('send-slack-message.ts'));
    const registry = new btree.Registry();
    for (const tenant of ['../acme', 'acme/..', 'ACME', 'аcme' /* Cyrillic а */]) {
      await expect(host.registerNodes(registry, tenant)).rejects.toThrow(/invalid tenant id/);
    }
    expect(registry.has('SendSlackMessage')).toBe(false);
    await host.registerNodes(registry, 'other');
    expect(registry.has('SendSlackMessage')).toBe(false); // acme's node is not another tenant's
  });

  it('use after dispose throws DisposedError', async () => {
    const host = new PluginHost({ btree, storage: new MemoryStorage() });
    await host.dispose();
    expect(() => host.registry).toThrow(/PluginHost is disposed/);
    await expect(host.registerNodes(new btree.Registry(), 'acme')).rejects.toThrow(/PluginHost is disposed/);
    await host.dispose();
  });
});
