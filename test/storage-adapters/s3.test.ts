import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isBtreePluginsError, MissingDependencyError, StorageError } from '../../src/errors.js';
import { importOptional } from '../../src/storage-adapters/optional-import.js';
import { S3Storage, type S3StorageOptions } from '../../src/storage-adapters/s3.js';
import { describeStorageConformance } from '../conformance/storage.js';
import { s3TestServer } from '../setup/servers/env.js';
import { runWithoutPeers } from './without-optional-peers.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

const server = s3TestServer();
const clientConfig = (endpoint = server.endpoint) => ({
  endpoint,
  region: server.region,
  forcePathStyle: true,
  credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
});
const admin = new S3Client(clientConfig());
const buckets = new Map<string, Promise<void>>();

/** Creates `bucket` once per run (concurrent callers share the request). */
function ensureBucket(bucket: string): Promise<void> {
  let pending = buckets.get(bucket);
  if (!pending) {
    pending = admin.send(new CreateBucketCommand({ Bucket: bucket })).then(
      () => undefined,
      (error: { name?: string }) => {
        if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
      },
    );
    buckets.set(bucket, pending);
  }
  return pending;
}

describeStorageConformance({
  name: `s3 (${process.env.BTREE_PLUGINS_S3_SERVER || 'moto'})`,
  async create({ space, prefix }) {
    await ensureBucket(space);
    return new S3Storage({ bucket: space, prefix, client: clientConfig() });
  },
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const disposables: Array<{ dispose(): Promise<void> | void }> = [];
const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

async function adapter(options: Partial<S3StorageOptions> & { bucket?: string } = {}): Promise<S3Storage> {
  const bucket = options.bucket ?? `s3-specific-${randomBytes(4).toString('hex')}`;
  if (!options.bucket) await ensureBucket(bucket);
  const s = new S3Storage({ client: clientConfig(), retry: fast, ...options, bucket });
  disposables.push(s);
  return s;
}

async function proxy(decide: Parameters<typeof startFaultProxy>[1]): Promise<FaultProxy> {
  const p = await startFaultProxy(server.endpoint, decide);
  disposables.push({ dispose: () => p.close() });
  return p;
}

afterEach(async () => {
  for (const d of disposables.splice(0).reverse()) await d.dispose();
});
afterAll(() => admin.destroy());

const slowDown = {
  kind: 'respond',
  status: 503,
  body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
} as const;

describe('S3Storage', () => {
  it('names the package to install when an optional SDK is missing', async () => {
    const error = await importOptional('@btree-plugins-test/no-such-package', 'S3Storage').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect((error as MissingDependencyError).packageName).toBe('@btree-plugins-test/no-such-package');
    expect((error as Error).message).toContain('S3Storage needs the optional package @btree-plugins-test/no-such-package');
    expect((error as Error).message).toContain('npm install @btree-plugins-test/no-such-package');
  });

  it('does not mistake a broken installed package (its own import fails) for a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optional-import-'));
    try {
      const entry = join(dir, 'broken.mjs');
      await writeFile(entry, "import 'btree-plugins-test-missing-transitive-dep';\n");
      const error = await importOptional(entry, 'S3Storage').catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(MissingDependencyError);
      expect((error as Error).message).toContain('btree-plugins-test-missing-transitive-dep');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without @aws-sdk/client-s3 installed, constructing works and the first call throws MissingDependencyError naming it', async () => {
    const out = await runWithoutPeers(
      's3',
      `const s = new adapter.S3Storage({ bucket: 'b', client: { region: 'us-east-1' } });
       const e = await s.get('k').catch((e) => e);
       console.log(JSON.stringify({ name: e.name, packageName: e.packageName, message: e.message }));`,
    );
    const e = JSON.parse(out) as { name: string; packageName: string; message: string };
    expect(e.name).toBe('MissingDependencyError');
    expect(e.packageName).toBe('@aws-sdk/client-s3');
    expect(e.message).toContain('npm install @aws-sdk/client-s3');
  });

  it('requires a bucket and a valid pageSize', () => {
    expect(() => new S3Storage({} as S3StorageOptions)).toThrow(/`bucket` option is required/);
    expect(() => new S3Storage({ bucket: 'b', pageSize: 0 })).toThrow(/pageSize must be an integer from 1 to 1000/);
  });

  it('surfaces a permanent error (missing bucket) as StorageError with the backend status and message, not as absence', async () => {
    const s = await adapter({ bucket: `missing-${randomBytes(4).toString('hex')}` });
    for (const call of [
      () => s.get('k'),
      () => s.put('k', encoder.encode('x')),
      () => s.put('k', encoder.encode('x'), { ifNoneMatch: '*' }),
      () => s.delete('k'),
      () => s.delete('k', { ifMatch: '"0123"' }),
    ]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageError);
      const e = error as StorageError;
      expect(e.status).toBe(404);
      expect(e.retryable).toBe(false);
      expect(e.message).toContain('NoSuchBucket');
      expect(e.message).toContain('adapter=s3');
      expect(e.hint).toMatch(/create the bucket/);
    }
  });

  it('surfaces a 403 AccessDenied answer at once (no retry) with a hint about credentials', async () => {
    const p = await proxy(() => ({
      kind: 'respond',
      status: 403,
      body: '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
    }));
    const s = await adapter({ client: clientConfig(p.url) });
    const error = await s.put('k', encoder.encode('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).status).toBe(403);
    expect((error as StorageError).retryable).toBe(false);
    expect((error as Error).message).toContain('AccessDenied: Access Denied');
    expect((error as StorageError).hint).toMatch(/credentials/);
    expect(p.seen).toHaveLength(1);
  });

  it('retries transient 503 SlowDown answers with backoff, then succeeds against the real server', async () => {
    const p = await proxy((_req, i) => (i < 2 ? slowDown : { kind: 'forward' }));
    const s = await adapter({ client: clientConfig(p.url) });
    const put = await s.put('retried', encoder.encode('after two 503s'), { ifNoneMatch: '*' });
    expect(p.seen.map((r) => r.fault)).toEqual(['respond', 'respond', 'forward']);
    const got = await s.get('retried');
    expect(decoder.decode(got!.body)).toBe('after two 503s');
    expect(got!.etag).toBe(put.etag);
  });

  it('gives up after the configured attempts with a retryable StorageError carrying 503 and the backend message', async () => {
    const p = await proxy(() => slowDown);
    const s = await adapter({ client: clientConfig(p.url), retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const error = await s.get('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).status).toBe(503);
    expect((error as StorageError).retryable).toBe(true);
    expect((error as Error).message).toContain('reduce your request rate');
    expect(p.seen).toHaveLength(3);
  });

  it('retries 409 ConditionalRequestConflict on a conditional put', async () => {
    const p = await proxy((_req, i) =>
      i === 0
        ? {
            kind: 'respond',
            status: 409,
            body: '<Error><Code>ConditionalRequestConflict</Code><Message>A conflicting operation occurred.</Message></Error>',
          }
        : { kind: 'forward' },
    );
    const s = await adapter({ client: clientConfig(p.url) });
    await s.put('conflicted', encoder.encode('v1'), { ifNoneMatch: '*' });
    expect(p.seen.map((r) => r.fault)).toEqual(['respond', 'forward']);
    expect(decoder.decode((await s.get('conflicted'))!.body)).toBe('v1');
  });

  it('a create-only put whose answer was lost is recognised as its own write on retry (no false PreconditionFailedError)', async () => {
    const p = await proxy((req, i) => (i === 0 && req.method === 'PUT' ? { kind: 'drop-answer' } : { kind: 'forward' }));
    const s = await adapter({ client: clientConfig(p.url) });
    const put = await s.put('lost-answer', encoder.encode('mine'), { ifNoneMatch: '*' });
    // The retry failed its condition (the first attempt had written); the write id proved it was ours.
    expect(p.seen.map((r) => `${r.method}:${r.fault}`)).toEqual(['PUT:drop-answer', 'PUT:forward', 'HEAD:forward']);
    const got = await s.get('lost-answer');
    expect(decoder.decode(got!.body)).toBe('mine');
    expect(got!.etag).toBe(put.etag);
  });

  it('a compare-and-swap put whose answer was lost is recognised as its own write on retry', async () => {
    const direct = await adapter();
    const v1 = await direct.put('cas-lost', encoder.encode('v1'));
    const p = await proxy((req, i) => (i === 0 && req.method === 'PUT' ? { kind: 'drop-answer' } : { kind: 'forward' }));
    const s = await adapter({ bucket: direct.bucket, client: clientConfig(p.url) });
    const v2 = await s.put('cas-lost', encoder.encode('v2'), { ifMatch: v1.etag });
    expect(decoder.decode((await direct.get('cas-lost'))!.body)).toBe('v2');
    expect((await direct.get('cas-lost'))!.etag).toBe(v2.etag);
  });

  it('still reports PreconditionFailedError after a transient failure when the object is somebody else\'s', async () => {
    const direct = await adapter();
    await direct.put('taken', encoder.encode('theirs'));
    const p = await proxy((req, i) => (i === 0 && req.method === 'PUT' ? slowDownAs500() : { kind: 'forward' }));
    const s = await adapter({ bucket: direct.bucket, client: clientConfig(p.url) });
    const error = await s.put('taken', encoder.encode('mine'), { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(isBtreePluginsError(error, 'PreconditionFailedError')).toBe(true);
    expect(p.seen.map((r) => r.method)).toEqual(['PUT', 'PUT', 'HEAD']);
    expect(decoder.decode((await direct.get('taken'))!.body)).toBe('theirs');
  });

  it('lists across many small pages (pageSize 2)', async () => {
    const s = await adapter({ pageSize: 2 });
    const keys = ['l/1', 'l/2', 'l/3', 'l/4', 'l/5', 'm/1'];
    for (const k of keys) await s.put(k, encoder.encode(k));
    const listed: string[] = [];
    for await (const o of s.list('l/')) listed.push(o.key);
    expect(listed.sort()).toEqual(['l/1', 'l/2', 'l/3', 'l/4', 'l/5']);
  });

  it('destroys only the client it created: a client passed in stays usable after dispose', async () => {
    const own = new S3Client(clientConfig());
    try {
      const s = new S3Storage({ bucket: (await adapter()).bucket, client: own });
      await s.put('k', encoder.encode('x'));
      await s.dispose();
      const out = await own.send(new ListBucketsCommand({}));
      expect(Array.isArray(out.Buckets)).toBe(true);
    } finally {
      own.destroy();
    }
  });
});

function slowDownAs500() {
  return {
    kind: 'respond',
    status: 500,
    body: '<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
  } as const;
}
