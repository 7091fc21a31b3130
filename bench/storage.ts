/**
 * Storage latency per adapter: put / get / conditional writes / list, p50 and p95, with the
 * in-memory adapter measured in the same run as the baseline (ratios are p50 / memory p50).
 *
 * Run:   node --no-node-snapshot --import tsx bench/storage.ts [--iterations 300] [--json]
 *
 * memory and fs always run. S3 and GCS run when their servers are named in the environment
 * (the same variables the test setup uses):
 *   BTREE_PLUGINS_S3_ENDPOINT, BTREE_PLUGINS_S3_ACCESS_KEY, BTREE_PLUGINS_S3_SECRET_KEY, [BTREE_PLUGINS_S3_REGION]
 *   BTREE_PLUGINS_GCS_ENDPOINT
 * Each gets a fresh bucket `bench-<random>`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage } from '../src/storage-adapters/memory.js';
import { FsStorage } from '../src/storage-adapters/fs.js';
import type { StorageAdapter } from '../src/storage-adapters/types.js';

interface Target {
  name: string;
  /** Iterations are scaled down for network backends. */
  scale: number;
  open(): Promise<{ adapter: StorageAdapter; cleanup(): Promise<void> }>;
}

interface Operation {
  name: string;
  /** Runs once before timing; returns the timed call for iteration `i`. */
  prepare(s: StorageAdapter, iterations: number): Promise<(i: number) => Promise<unknown>>;
}

const args = process.argv.slice(2);
const ITERATIONS = Number(args[args.indexOf('--iterations') + 1]) || 300;
const AS_JSON = args.includes('--json');
/** `--only s3,fs` limits the adapters (memory, the baseline, always runs); `--op 'get|list'` (a regular expression) limits the operations. */
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
const OP_FILTER = args.includes('--op') ? args[args.indexOf('--op') + 1]! : '';
const KB = new Uint8Array(randomBytes(1024));
const KB64 = new Uint8Array(randomBytes(64 * 1024));
const MB1 = new Uint8Array(randomBytes(1024 * 1024));

const operations: Operation[] = [
  { name: 'put 1 KiB', prepare: async (s) => (i) => s.put(`put1k/k${i % 50}`, KB) },
  { name: 'put 64 KiB', prepare: async (s) => (i) => s.put(`put64k/k${i % 50}`, KB64) },
  { name: 'put 1 MiB', prepare: async (s) => (i) => s.put(`put1m/k${i % 10}`, MB1) },
  { name: 'put create-only 1 KiB', prepare: async (s) => (i) => s.put(`create/${randomBytes(6).toString('hex')}-${i}`, KB, { ifNoneMatch: '*' }) },
  {
    name: 'put compare-and-swap 1 KiB',
    prepare: async (s) => {
      let etag = (await s.put('cas/doc', KB)).etag;
      return async () => {
        etag = (await s.put('cas/doc', KB, { ifMatch: etag })).etag;
      };
    },
  },
  {
    name: 'get 1 KiB',
    prepare: async (s) => {
      await s.put('get1k/doc', KB);
      return () => s.get('get1k/doc');
    },
  },
  {
    name: 'get 64 KiB',
    prepare: async (s) => {
      await s.put('get64k/doc', KB64);
      return () => s.get('get64k/doc');
    },
  },
  {
    name: 'get 1 MiB',
    prepare: async (s) => {
      await s.put('get1m/doc', MB1);
      return () => s.get('get1m/doc');
    },
  },
  { name: 'get absent', prepare: async (s) => () => s.get('absent/nothing-here') },
  {
    name: 'list 100 keys',
    prepare: async (s) => {
      for (let i = 0; i < 100; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => s.put(`list/k${i + j}`, KB)));
      return async () => {
        let n = 0;
        for await (const _ of s.list('list/')) n++;
        if (n !== 100) throw new Error(`listed ${n} keys, expected 100`);
      };
    },
  },
];

const selectedOps = operations.filter((op) => new RegExp(OP_FILTER).test(op.name));

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function measure(s: StorageAdapter, op: Operation, iterations: number): Promise<{ p50: number; p95: number }> {
  const run = await op.prepare(s, iterations);
  const warmup = Math.max(5, Math.floor(iterations / 10));
  for (let i = 0; i < warmup; i++) await run(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await run(i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

function bucketName(): string {
  return `bench-${randomBytes(6).toString('hex')}`;
}

const targets: Target[] = [
  {
    name: 'memory',
    scale: 1,
    async open() {
      const adapter = new MemoryStorage();
      return { adapter, cleanup: async () => {} };
    },
  },
  {
    name: 'fs',
    scale: 1,
    async open() {
      const root = await mkdtemp(join(tmpdir(), 'btree-plugins-bench-'));
      const adapter = new FsStorage({ root });
      return { adapter, cleanup: () => rm(root, { recursive: true, force: true }) };
    },
  },
];

const s3Endpoint = process.env.BTREE_PLUGINS_S3_ENDPOINT;
if (s3Endpoint) {
  targets.push({
    name: 's3',
    scale: 0.34,
    async open() {
      const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
      const { S3Storage } = await import('../src/storage-adapters/s3.js');
      const client = {
        endpoint: s3Endpoint,
        region: process.env.BTREE_PLUGINS_S3_REGION || 'us-east-1',
        forcePathStyle: true,
        credentials: {
          accessKeyId: process.env.BTREE_PLUGINS_S3_ACCESS_KEY ?? '',
          secretAccessKey: process.env.BTREE_PLUGINS_S3_SECRET_KEY ?? '',
        },
      };
      const bucket = bucketName();
      const admin = new S3Client(client);
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      admin.destroy();
      const adapter = new S3Storage({ bucket, client });
      return { adapter, cleanup: async () => {} };
    },
  });
}

const gcsEndpoint = process.env.BTREE_PLUGINS_GCS_ENDPOINT;
if (gcsEndpoint) {
  targets.push({
    name: 'gcs',
    scale: 0.34,
    async open() {
      const { Storage } = await import('@google-cloud/storage');
      const { GcsStorage } = await import('../src/storage-adapters/gcs.js');
      const options = { apiEndpoint: gcsEndpoint, projectId: 'btree-plugins-bench' };
      const bucket = bucketName();
      await new Storage(options).createBucket(bucket);
      const adapter = new GcsStorage({ bucket, storage: options });
      return { adapter, cleanup: async () => {} };
    },
  });
}

function fmt(ms: number): string {
  if (ms < 0.1) return `${(ms * 1000).toFixed(1)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const cpu = cpus();
  const machine = {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
    tmpdir: tmpdir(),
    iterations: ITERATIONS,
  };
  const results: Record<string, Record<string, { p50: number; p95: number }>> = {};
  const chosen = targets.filter((t) => t.name === 'memory' || !ONLY || ONLY.includes(t.name));
  for (const target of chosen) {
    const { adapter, cleanup } = await target.open();
    results[target.name] = {};
    try {
      for (const op of selectedOps) {
        const started = performance.now();
        results[target.name]![op.name] = await measure(adapter, op, Math.max(20, Math.round(ITERATIONS * target.scale)));
        process.stderr.write(`  ${target.name}: ${op.name} (${Math.round(performance.now() - started)} ms)\n`);
      }
    } finally {
      await adapter.dispose();
      await cleanup();
    }
  }

  if (AS_JSON) {
    console.log(JSON.stringify({ machine, results }, null, 2));
    return;
  }
  console.log(`# storage latency (sequential, one client)`);
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}`);
  console.log(`iterations per operation: ${ITERATIONS} (network adapters: ${Math.round(ITERATIONS * 0.34)}); fs root under ${machine.tmpdir}`);
  console.log(`ratio = p50 / memory p50 measured in this run\n`);
  const names = Object.keys(results);
  console.log(`| operation | ${names.map((n) => `${n} p50 | ${n} p95${n === 'memory' ? '' : ` | ${n} ×mem`}`).join(' | ')} |`);
  console.log(`|---|${names.map((n) => (n === 'memory' ? '---|---' : '---|---|---')).join('|')}|`);
  for (const op of selectedOps) {
    const cells = names.map((n) => {
      const r = results[n]![op.name]!;
      const base = results.memory![op.name]!;
      const cols = [fmt(r.p50), fmt(r.p95)];
      if (n !== 'memory') cols.push(`${Math.round(r.p50 / base.p50)}×`);
      return cols.join(' | ');
    });
    console.log(`| ${op.name} | ${cells.join(' | ')} |`);
  }
}

await main();
