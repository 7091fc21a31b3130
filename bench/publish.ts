/**
 * Publish benchmark (issue 3). Run:
 *   node --no-node-snapshot --import tsx bench/publish.ts [--iterations 200] [--json]
 *
 * For a realistic ~200-line node (test/fixtures/nodes/sync-orders.ts) it reports p50/p95 of:
 *  - baseline: a bare `esbuild.transform` of the same source (TS → JS, no bundling),
 *  - compile:  `compileNode` (virtual-file bundle, import policy, source map, scan, sha256),
 *  - publish:  `TenantRegistry.publish` on the fs store (compile + scan + create-only writes of
 *              manifest, bundle, map, source + index CAS + audit event; the inspector is a
 *              fixed answer, not the sandbox), and on memory,
 * each with its ratio to the baseline measured in the same run. Goal: publish ≤ 50 ms p50 on fs.
 * Every publish uses a new version, so none takes the idempotent shortcut.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { compileNode } from '../src/loader/compile.js';
import { TenantRegistry } from '../src/registry/tenant-registry.js';
import { FsStorage } from '../src/storage-adapters/fs.js';
import { MemoryStorage } from '../src/storage-adapters/memory.js';
import type { StorageAdapter } from '../src/storage-adapters/types.js';
import { stats, type LatencyStats } from './stats.js';

const args = process.argv.slice(2);
const iterations = Number(args[args.indexOf('--iterations') + 1]) || 200;
const asJson = args.includes('--json');
const SOURCE = readFileSync(new URL('../test/fixtures/nodes/sync-orders.ts', import.meta.url), 'utf8');
const NAME = 'SyncOrders';

type Stats = LatencyStats;

async function measure(label: string, n: number, fn: (i: number) => Promise<unknown>): Promise<Stats> {
  const warmup = Math.max(5, Math.floor(n / 10));
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  const st = stats(samples);
  if (!asJson) process.stderr.write(`  measured ${label}\n`);
  return st;
}

async function publishBench(storage: StorageAdapter, label: string): Promise<Stats> {
  // The sandbox's inspect is not part of this measure (its cost is an isolate's): a fixed answer stands in.
  const registry = new TenantRegistry({ storage, inspector: { inspect: async () => ({ category: 'action', ports: [] }) } });
  let counter = 0;
  return measure(label, iterations, async () => {
    // A new version each time (warm-up included), so every call does the full publish.
    const version = `1.0.${counter++}`;
    const r = await registry.publish('bench', { name: NAME, version, source: SOURCE, author: 'bench' });
    if (!r.created) throw new Error('expected a fresh publish');
  });
}

async function main(): Promise<void> {
  const lines = SOURCE.split('\n').length;
  const baseline = await measure('esbuild.transform', iterations, () => esbuild.transform(SOURCE, { loader: 'ts', target: 'es2022', format: 'esm' }));
  const compile = await measure('compileNode', iterations, () => compileNode({ name: NAME, version: '1.0.0', source: SOURCE }));

  const root = await mkdtemp(join(tmpdir(), 'bench-publish-'));
  const fs = new FsStorage({ root });
  const memory = new MemoryStorage();
  let fsStats: Stats;
  let memStats: Stats;
  try {
    fsStats = await publishBench(fs, 'publish (fs)');
    memStats = await publishBench(memory, 'publish (memory)');
  } finally {
    await fs.dispose();
    await memory.dispose();
    await rm(root, { recursive: true, force: true });
  }
  const rows = [
    ['baseline: esbuild.transform', baseline],
    ['compileNode (bundle+scan+hash)', compile],
    ['publish on fs', fsStats],
    ['publish on memory', memStats],
  ] as const;
  const result = {
    node: `${NAME} (${lines} lines, ${Buffer.byteLength(SOURCE)} bytes)`,
    iterations,
    esbuild: esbuild.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    rows: rows.map(([label, s]) => ({ label, p50: s.p50, p95: s.p95, ratioP50: s.p50 / baseline.p50 })),
    goal: { publishFsP50Ms: 50, met: fsStats.p50 <= 50 },
  };
  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`publish benchmark: ${result.node}, ${iterations} iterations each, esbuild ${esbuild.version}, ${result.cpus}`);
  console.log(`${'step'.padEnd(34)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'× baseline p50'.padStart(16)}`);
  for (const r of result.rows) {
    console.log(`${r.label.padEnd(34)}${r.p50.toFixed(2).padStart(9)}${r.p95.toFixed(2).padStart(9)}${r.ratioP50.toFixed(1).padStart(16)}`);
  }
  console.log(`goal: publish on fs p50 ≤ 50 ms → ${result.goal.met ? 'met' : 'NOT met'} (${fsStats.p50.toFixed(2)} ms)`);
}

await main();
