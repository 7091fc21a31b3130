/**
 * Metadata store benchmark (issue 12). Run, with a PostgreSQL server the bench may create schemas in:
 *   BTREE_PLUGINS_POSTGRES_URL=postgres://… node --no-node-snapshot --import tsx bench/metadata.ts [--iterations 100]
 * (`npx tsx scripts/test-servers.ts start` prints one). Without it, only PGlite is measured.
 *
 * For each store — the object-store index on fs (the baseline), PostgreSQL, PGlite — in one run:
 *  - publish p50 of a small node (fixed inspector; bytes on fs) — goal ≤ 30 ms on PostgreSQL;
 *  - `registerNodes` for a tenant with 50 active nodes, warm (second call) — goal ≤ 20 ms;
 *  - `resolve('Name')` warm — goal ≤ 0.1 ms from cache (the index cache follows PostgreSQL's change
 *    feed; the object-store baseline has no cache by default) — and the same with `indexCache: false`;
 * with each figure's ratio to the baseline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PgliteSessionPool, PostgresMetadataStore } from '../src/metadata-stores/postgres/index.js';
import { PluginHost } from '../src/plugin-host.js';
import type { MetadataStore } from '../src/registry/metadata-store.js';
import { ObjectStoreMetadata } from '../src/registry/object-store-metadata.js';
import { TenantRegistry } from '../src/registry/tenant-registry.js';
import { FsStorage } from '../src/storage-adapters/fs.js';
import * as testHost from '../src/testing/index.js';
import type { NodeRunner } from '../src/sandbox/types.js';
import { stats, type LatencyStats } from './stats.js';

const args = process.argv.slice(2);
const iterations = Number(args[args.indexOf('--iterations') + 1]) || 100;
const source = (name: string, v = 0) => `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class ${name} extends ActionNode { async executeTick() { return ${v} >= 0 ? NodeStatus.SUCCESS : NodeStatus.FAILURE; } }\n`;

/** Answers `inspect` without a sandbox: the bench measures metadata, not isolates. */
const runner = { inspect: async () => ({ category: 'action', ports: [] }), dispose: async () => {} } as unknown as NodeRunner;

async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<LatencyStats> {
  for (let i = 0; i < Math.max(3, n / 10); i++) await fn(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

async function measure(label: string, root: string, metadata?: MetadataStore) {
  const storage = new FsStorage({ root });
  const host = new PluginHost({ btree: testHost as never, storage, runner, registry: { requireApproval: false, ...(metadata ? { metadata } : {}) } });
  try {
    let v = 0;
    const publish = await time(iterations, () => host.registry.publish('bench', { name: 'Publisher', version: `1.0.${v++}`, source: source('Publisher', v) }));
    for (let i = 0; i < 50; i++) {
      const name = `Node${String(i).padStart(2, '0')}`;
      await host.registry.publish('fifty', { name, version: '1.0.0', source: source(name) });
      await host.registry.activate('fifty', name, '1.0.0');
    }
    const registerNodes = await time(Math.min(iterations, 50), () => host.registerNodes(new testHost.Registry(), 'fifty'));
    await host.registry.resolve('fifty', 'Node07');
    await new Promise((r) => setTimeout(r, 200)); // a change feed, if any, is live by now
    const resolve = await time(iterations * 10, () => host.registry.resolve('fifty', 'Node07'));
    const uncached = new TenantRegistry({ storage, metadata: metadata ?? new ObjectStoreMetadata(storage), requireApproval: false, indexCache: false });
    const resolveUncached = await time(iterations * 10, () => uncached.resolve('fifty', 'Node07'));
    process.stderr.write(`  measured ${label}\n`);
    return { label, publish, registerNodes, resolve, resolveUncached };
  } finally {
    await host.dispose();
    await storage.dispose();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-metadata-'));
  const rows = [];
  try {
    rows.push(await measure('object-store index on fs (baseline)', join(dir, 'fs')));
    const url = process.env.BTREE_PLUGINS_POSTGRES_URL;
    if (url) {
      const pool = new pg.Pool({ connectionString: url, max: 8 });
      const store = new PostgresMetadataStore({ pool, schema: `bench_${process.pid}` });
      await store.migrate();
      rows.push(await measure('PostgreSQL', join(dir, 'pg'), store));
      await pool.query(`DROP SCHEMA bench_${process.pid} CASCADE`);
      await pool.end();
    }
    const lite = new PGlite();
    const liteStore = new PostgresMetadataStore({ pool: new PgliteSessionPool(lite) });
    await liteStore.migrate();
    rows.push(await measure('PGlite (embedded)', join(dir, 'pglite'), liteStore));
    await lite.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const base = rows[0]!;
  console.log(`metadata store benchmark: ${iterations} iterations, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
  console.log(`${'store'.padEnd(38)}${'publish p50'.padStart(13)}${'50 nodes warm'.padStart(15)}${'resolve p50'.padStart(15)}${'uncached'.padStart(15)}  (ms, ratio to baseline)`);
  const cell = (s: LatencyStats, b: LatencyStats, digits = 2) => `${s.p50.toFixed(digits)} (${(s.p50 / b.p50).toPrecision(2)}×)`;
  for (const r of rows) console.log(`${r.label.padEnd(38)}${cell(r.publish, base.publish).padStart(13)}${cell(r.registerNodes, base.registerNodes).padStart(15)}${cell(r.resolve, base.resolve, 4).padStart(15)}${cell(r.resolveUncached, base.resolveUncached, 3).padStart(15)}`);
  console.log('goals on PostgreSQL: publish ≤ 30 ms, registerNodes (50 active) ≤ 20 ms warm, resolve ≤ 0.1 ms from cache');
}

await main();
