/**
 * Upload API benchmark (issue 11). Run:
 *   node --no-node-snapshot --import tsx bench/http-api.ts [--iterations 100] [--json]
 *
 * On the filesystem store, in one run:
 *  - upload of a ~200-line node (test/fixtures/nodes/sync-orders.ts) through the plugin on a real
 *    Fastify server over HTTP (127.0.0.1, keep-alive `fetch`), against the direct
 *    `registry.publish` of the same node in the same process: p50/p95 and the ratio
 *    (goals: p50 ≤ 60 ms and ≤ 1.5× direct). Both run the node once in the isolated-vm sandbox to
 *    read its metadata, as every publish through `PluginHost` does. Every call is a new version.
 *  - `GET /custom-nodes` of a tenant with 1,000 versions (goal ≤ 50 ms p50), in two shapes: one
 *    node with 1,000 versions and 100 nodes with 10 each; the direct `registry.list` as baseline.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { customNodesApi } from '../src/http/index.js';
import { PluginHost } from '../src/plugin-host.js';
import { TenantRegistry } from '../src/registry/tenant-registry.js';
import { FsStorage } from '../src/storage-adapters/fs.js';
import * as testHost from '../src/testing/index.js';
import { stats, type LatencyStats } from './stats.js';

const args = process.argv.slice(2);
const iterations = Number(args[args.indexOf('--iterations') + 1]) || 100;
const asJson = args.includes('--json');
const SOURCE = readFileSync(new URL('../test/fixtures/nodes/sync-orders.ts', import.meta.url), 'utf8');
const NAME = 'SyncOrders';

type Stats = LatencyStats;

/**
 * Measures a baseline and a candidate in alternation (baseline, candidate, baseline, …), so that
 * load from elsewhere on the machine, JIT warm-up and a growing store weigh on both alike.
 */
async function measurePair(label: string, n: number, baseline: () => Promise<unknown>, candidate: () => Promise<unknown>): Promise<{ direct: Stats; http: Stats }> {
  for (let i = 0; i < Math.max(5, Math.floor(n / 10)); i++) {
    await baseline();
    await candidate();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    let t0 = performance.now();
    await baseline();
    a.push(performance.now() - t0);
    t0 = performance.now();
    await candidate();
    b.push(performance.now() - t0);
  }
  if (!asJson) process.stderr.write(`  measured ${label}\n`);
  return { direct: stats(a), http: stats(b) };
}

/** A server with the API on `host`, authenticating every request as acme/bench. */
async function serve(host: PluginHost | TenantRegistry) {
  const app = Fastify({ logger: false });
  await app.register(customNodesApi, { host, uploadRateLimit: false, authenticate: () => ({ tenantId: 'acme', userId: 'bench', roles: [] }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

async function uploads(root: string): Promise<{ direct: Stats; http: Stats }> {
  const host = new PluginHost({ btree: testHost as never, storage: new FsStorage({ root }) });
  const { app, base } = await serve(host);
  try {
    let v = 0;
    const { direct, http } = await measurePair(
      'registry.publish vs POST /custom-nodes',
      iterations,
      async () => {
        const r = await host.registry.publish('acme', { name: NAME, version: `1.0.${v++}`, source: SOURCE, author: 'bench' });
        if (!r.created) throw new Error('expected a fresh publish');
      },
      async () => {
        const response = await fetch(`${base}/custom-nodes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: NAME, version: `1.0.${v++}`, sourceCode: SOURCE }),
        });
        if (response.status !== 201) throw new Error(`expected 201, got ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      },
    );
    return { direct, http };
  } finally {
    await app.close();
    await host.dispose();
  }
}

async function listing(root: string, nodes: number, versionsEach: number): Promise<{ direct: Stats; http: Stats; bytes: number }> {
  // Metadata does not matter to listing: a fixed inspector stands in for the sandbox while filling the store.
  const registry = new TenantRegistry({ storage: new FsStorage({ root }), requireApproval: false, inspector: { inspect: async () => ({ category: 'action', ports: [] }) } });
  const tiny = (name: string) => `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class ${name} extends ActionNode { async executeTick() { return NodeStatus.SUCCESS; } }\n`;
  const jobs: Array<() => Promise<unknown>> = [];
  for (let n = 0; n < nodes; n++) {
    const name = `Node${String(n).padStart(3, '0')}`;
    for (let v = 0; v < versionsEach; v++) jobs.push(() => registry.publish('acme', { name, version: `1.${v}.0`, source: tiny(name), author: 'bench' }));
  }
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => { while (next < jobs.length) await jobs[next++]!(); }));
  const { app, base } = await serve(registry);
  let bytes = 0;
  try {
    const { direct, http } = await measurePair(
      `registry.list vs GET /custom-nodes (${nodes}×${versionsEach})`,
      iterations,
      () => registry.list('acme'),
      async () => {
        const response = await fetch(`${base}/custom-nodes?limit=1000`);
        const body = (await response.json()) as { nodes: Array<{ versions: unknown[] }> };
        const count = body.nodes.reduce((sum, node) => sum + node.versions.length, 0);
        if (count !== nodes * versionsEach) throw new Error(`expected ${nodes * versionsEach} versions, got ${count}`);
        bytes = JSON.stringify(body).length;
      },
    );
    return { direct, http, bytes };
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'bench-http-api-'));
  try {
    const up = await uploads(join(root, 'uploads'));
    const one = await listing(join(root, 'one-node'), 1, 1000);
    const many = await listing(join(root, 'many-nodes'), 100, 10);
    const result = {
      node: `${NAME} (${SOURCE.split('\n').length} lines)`,
      iterations,
      cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
      upload: { direct: up.direct, http: up.http, ratioP50: up.http.p50 / up.direct.p50 },
      listOneNode: { ...one, ratioP50: one.http.p50 / one.direct.p50 },
      listManyNodes: { ...many, ratioP50: many.http.p50 / many.direct.p50 },
      goals: {
        uploadP50Ms: { goal: 60, value: up.http.p50, met: up.http.p50 <= 60 },
        uploadRatio: { goal: 1.5, value: up.http.p50 / up.direct.p50, met: up.http.p50 / up.direct.p50 <= 1.5 },
        list1000P50Ms: { goal: 50, value: Math.max(one.http.p50, many.http.p50), met: Math.max(one.http.p50, many.http.p50) <= 50 },
      },
    };
    if (asJson) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    const row = (label: string, s: Stats, ratio?: number) =>
      console.log(`${label.padEnd(44)}${s.p50.toFixed(2).padStart(9)}${s.p95.toFixed(2).padStart(9)}${ratio === undefined ? '' : ratio.toFixed(2).padStart(12)}`);
    console.log(`upload API benchmark: ${result.node}, ${iterations} iterations each, fs store, ${result.cpus}`);
    console.log(`${'measure'.padEnd(44)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'× baseline'.padStart(12)}`);
    row('baseline: registry.publish (sandbox inspect)', up.direct);
    row('POST /custom-nodes over HTTP', up.http, result.upload.ratioP50);
    row('baseline: registry.list, 1 node × 1000', one.direct);
    row(`GET /custom-nodes, 1 node × 1000 (${(one.bytes / 1024).toFixed(0)} KiB)`, one.http, result.listOneNode.ratioP50);
    row('baseline: registry.list, 100 nodes × 10', many.direct);
    row(`GET /custom-nodes, 100 nodes × 10 (${(many.bytes / 1024).toFixed(0)} KiB)`, many.http, result.listManyNodes.ratioP50);
    for (const [goal, g] of Object.entries(result.goals)) console.log(`goal ${goal}: ${g.value.toFixed(2)} vs ${g.goal} → ${g.met ? 'met' : 'NOT met'}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
