/**
 * Rate limits in a tree, in process: a real PluginHost (registry over memory storage, the
 * isolated-vm sandbox, QuickJS) runs a tenant node and a JavaScriptInterpreter past their limits.
 * A refused tick is a FAILURE whose lastError is the RateLimitedError's message; nothing ran.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { loadBtree, type SuiteBtree } from '../setup/btree-module.js';

const COUNT_RUNS = readFileSync(new URL('../fixtures/nodes/count-runs.ts', import.meta.url), 'utf8');

let btree: SuiteBtree;
beforeAll(async () => {
  btree = await loadBtree();
});

let host: PluginHost | undefined;
afterEach(async () => {
  await host?.dispose();
  host = undefined;
});

async function run(yaml: string) {
  const registry = new btree.Registry();
  btree.registerStandardNodes(registry);
  await host!.registerNodes(registry, 'acme');
  const root = btree.loadTreeFromYaml(yaml, registry) as unknown as { children?: Array<{ lastError?: string }> };
  const result = await new btree.BehaviorTree(root as never).toWorkflow()({ input: {}, treeRegistry: registry });
  return { result, children: root.children ?? [] };
}

const sequence = (type: string, n: number, props = '{}') =>
  `type: Sequence\nid: seq\nchildren:\n${Array.from({ length: n }, (_, i) => `  - type: ${type}\n    id: n${i}\n    props: ${props}\n`).join('')}`;

describe('rate limits in a tree', () => {
  it('a tenant node over its rate: the third tick fails with lastError naming the limit, tenant, node and wait; the first two ran', async () => {
    host = new PluginHost({ btree, storage: new MemoryStorage(), registry: { requireApproval: false }, tenants: { acme: { rateLimits: { runsPerSecond: 0.01, burst: 2 } } } });
    await host.registry.publish('acme', { name: 'CountRuns', version: '1.0.0', source: COUNT_RUNS });
    await host.registry.activate('acme', 'CountRuns', '1.0.0');
    const { result, children } = await run(sequence('CountRuns', 3));
    expect(result).toEqual({ status: 'FAILURE', output: { runs: 2 } });
    expect(children[2]!.lastError).toMatch(
      /^RateLimitedError: run refused by a rate limit \[tenant=acme, node=CountRuns, limit=runsPerSecond, scope=tenant\]: over 0\.01 runs per second \(burst 2\); retry after \d+ ms\. HINT: /,
    );
  });

  it('setRateLimits at run time: the next tree of the tenant runs under the new limits', async () => {
    host = new PluginHost({ btree, storage: new MemoryStorage(), registry: { requireApproval: false }, rateLimits: { dailyQuota: 1 } });
    await host.registry.publish('acme', { name: 'CountRuns', version: '1.0.0', source: COUNT_RUNS });
    await host.registry.activate('acme', 'CountRuns', '1.0.0');
    const first = await run(sequence('CountRuns', 2));
    expect(first.result.status).toBe('FAILURE');
    expect(first.children[1]!.lastError).toContain('limit=dailyQuota');
    host.setRateLimits('acme', { nodes: { CountRuns: { dailyQuota: 5 } } });
    expect((await run(sequence('CountRuns', 2))).result).toEqual({ status: 'SUCCESS', output: { runs: 2 } });
    expect(() => host!.setRateLimits('acme', { dailyQuota: -1 })).toThrow('[at=setRateLimits("acme").dailyQuota]');
  });

  it('a JavaScriptInterpreter over its interpreter entry fails with the RateLimitedError in lastError; a custom node of the same tenant still runs', async () => {
    host = new PluginHost({
      btree,
      storage: new MemoryStorage(),
      interpreters: { javascript: true },
      tenants: { acme: { rateLimits: { interpreters: { javascript: { runsPerSecond: 0.01, burst: 1 } } } } },
    });
    const { result, children } = await run(sequence('JavaScriptInterpreter', 2, '{ outputKey: out, script: "result = 1" }'));
    expect(result).toEqual({ status: 'FAILURE', output: { out: 1 } });
    expect(children[1]!.lastError).toMatch(
      /^JavaScriptInterpreter failed: run refused by a rate limit \[tenant=acme, node=JavaScriptInterpreter, limit=runsPerSecond, scope=interpreter\/javascript\]/,
    );
  });

  it('bad rate limits in the PluginHost options fail the constructor, naming the field', () => {
    expect(() => new PluginHost({ btree, storage: new MemoryStorage(), rateLimits: { concurrent: 2, queue: 1, queueTimeoutMs: 0 } })).toThrow(
      'invalid rate limits [at=rateLimits.queueTimeoutMs]: must be a number above 0, got 0',
    );
  });
});
