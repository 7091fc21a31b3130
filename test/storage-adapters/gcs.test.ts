import { Storage } from '@google-cloud/storage';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isBtreePluginsError, MissingDependencyError, StorageError } from '../../src/errors.js';
import { GcsStorage, type GcsStorageOptions } from '../../src/storage-adapters/gcs.js';
import { importOptional } from '../../src/storage-adapters/optional-import.js';
import { describeStorageConformance } from '../conformance/storage.js';
import { gcsTestServer } from '../setup/servers/env.js';
import { runWithoutPeers } from './without-optional-peers.js';
import { startFaultProxy, type Fault, type FaultProxy } from './fault-proxy.js';

const server = gcsTestServer();
const storageConfig = (apiEndpoint = server.endpoint) => ({ apiEndpoint, projectId: 'btree-plugins-test' });
const admin = new Storage({ ...storageConfig(), retryOptions: { autoRetry: false } });
const buckets = new Map<string, Promise<void>>();

/** Creates `bucket` once per run (concurrent callers share the request). */
function ensureBucket(bucket: string): Promise<void> {
  let pending = buckets.get(bucket);
  if (!pending) {
    pending = admin.createBucket(bucket).then(
      () => undefined,
      (error: { code?: number }) => {
        if (error.code !== 409) throw error;
      },
    );
    buckets.set(bucket, pending);
  }
  return pending;
}

describeStorageConformance({
  name: 'gcs (fake-gcs-server)',
  async create({ space, prefix }) {
    await ensureBucket(space);
    return new GcsStorage({ bucket: space, prefix, storage: storageConfig() });
  },
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const disposables: Array<{ dispose(): Promise<void> | void }> = [];
const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

async function adapter(options: Partial<GcsStorageOptions> & { bucket?: string } = {}): Promise<GcsStorage> {
  const bucket = options.bucket ?? `gcs-specific-${randomBytes(4).toString('hex')}`;
  if (!options.bucket) await ensureBucket(bucket);
  const s = new GcsStorage({ storage: storageConfig(), retry: fast, ...options, bucket });
  disposables.push(s);
  return s;
}

async function proxy(decide: (req: { method?: string; url?: string }, index: number) => Fault): Promise<FaultProxy> {
  const p = await startFaultProxy(server.endpoint, decide);
  disposables.push({ dispose: () => p.close() });
  return p;
}

afterEach(async () => {
  for (const d of disposables.splice(0).reverse()) await d.dispose();
});

const backendError: Fault = {
  kind: 'respond',
  status: 503,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error: { code: 503, message: 'Backend Error', errors: [{ reason: 'backendError', message: 'Backend Error' }] } }),
};
const isUpload = (req: { method?: string; url?: string }) => req.method === 'POST' && (req.url ?? '').startsWith('/upload/');

describe('GcsStorage', () => {
  it('names the package to install when an optional SDK is missing', async () => {
    const error = await importOptional('@btree-plugins-test/no-such-gcs-sdk', 'GcsStorage').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect((error as Error).message).toContain('GcsStorage needs the optional package @btree-plugins-test/no-such-gcs-sdk');
  });

  it('without @google-cloud/storage installed, constructing works and the first call throws MissingDependencyError naming it', async () => {
    const out = await runWithoutPeers(
      'gcs',
      `const s = new adapter.GcsStorage({ bucket: 'b' });
       const e = await s.get('k').catch((e) => e);
       console.log(JSON.stringify({ name: e.name, packageName: e.packageName, message: e.message }));`,
    );
    const e = JSON.parse(out) as { name: string; packageName: string; message: string };
    expect(e.name).toBe('MissingDependencyError');
    expect(e.packageName).toBe('@google-cloud/storage');
    expect(e.message).toContain('npm install @google-cloud/storage');
  });

  it('requires a bucket and a valid pageSize', () => {
    expect(() => new GcsStorage({} as GcsStorageOptions)).toThrow(/`bucket` option is required/);
    expect(() => new GcsStorage({ bucket: 'b', pageSize: 1001 })).toThrow(/pageSize must be an integer from 1 to 1000/);
  });

  it('uses the object generation as etag', async () => {
    const s = await adapter();
    const put = await s.put('gen', encoder.encode('x'));
    expect(put.etag).toMatch(/^[0-9]+$/);
    const [metadata] = await admin.bucket(s.bucket).file('gen').getMetadata();
    expect(put.etag).toBe(String(metadata.generation));
    expect((await s.get('gen'))!.etag).toBe(put.etag);
  });

  it('surfaces a missing bucket as StorageError 404 on read, write and delete, never as an absent key', async () => {
    const s = await adapter({ bucket: `missing-${randomBytes(4).toString('hex')}` });
    for (const call of [
      () => s.get('k'),
      () => s.put('k', encoder.encode('x')),
      () => s.put('k', encoder.encode('x'), { ifNoneMatch: '*' }),
      () => s.delete('k'),
      () => s.delete('k', { ifMatch: '1' }),
    ]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).status).toBe(404);
      expect((error as StorageError).retryable).toBe(false);
      expect((error as Error).message).toContain('adapter=gcs');
      expect((error as StorageError).hint).toMatch(/create the bucket/);
    }
  });

  it('retries transient 503 answers with backoff, then succeeds against the real server', async () => {
    const p = await proxy((req, i) => (i < 2 ? backendError : { kind: 'forward' }));
    const s = await adapter({ storage: storageConfig(p.url) });
    const put = await s.put('retried', encoder.encode('after two 503s'), { ifNoneMatch: '*' });
    expect(p.seen.map((r) => r.fault)).toEqual(['respond', 'respond', 'forward']);
    const got = await s.get('retried');
    expect(decoder.decode(got!.body)).toBe('after two 503s');
    expect(got!.etag).toBe(put.etag);
  });

  it('gives up after the configured attempts with a retryable StorageError carrying 503 and the backend message', async () => {
    const p = await proxy(() => backendError);
    const s = await adapter({ storage: storageConfig(p.url), retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const error = await s.put('k', encoder.encode('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).status).toBe(503);
    expect((error as StorageError).retryable).toBe(true);
    expect((error as Error).message).toContain('Backend Error');
    expect(p.seen).toHaveLength(3);
  });

  it('a create-only upload whose answer was lost is recognised as its own write on retry (no false PreconditionFailedError)', async () => {
    const p = await proxy((req, i) => (i === 0 && isUpload(req) ? { kind: 'drop-answer' } : { kind: 'forward' }));
    const s = await adapter({ storage: storageConfig(p.url) });
    const put = await s.put('lost-answer', encoder.encode('mine'), { ifNoneMatch: '*' });
    expect(p.seen.map((r) => r.fault)).toEqual(['drop-answer', 'forward', 'forward']);
    const got = await s.get('lost-answer');
    expect(decoder.decode(got!.body)).toBe('mine');
    expect(got!.etag).toBe(put.etag);
  });

  it('still reports PreconditionFailedError after a transient failure when the object is somebody else\'s', async () => {
    const direct = await adapter();
    await direct.put('taken', encoder.encode('theirs'));
    const p = await proxy((req, i) => (i === 0 && isUpload(req) ? backendError : { kind: 'forward' }));
    const s = await adapter({ bucket: direct.bucket, storage: storageConfig(p.url) });
    const error = await s.put('taken', encoder.encode('mine'), { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(isBtreePluginsError(error, 'PreconditionFailedError')).toBe(true);
    expect(p.seen).toHaveLength(3); // 503, the retried upload (412), the metadata check
    expect(decoder.decode((await direct.get('taken'))!.body)).toBe('theirs');
  });

  it('a conditional delete carries ifGenerationMatch to the server (atomic on GCS), after checking the generation', async () => {
    const direct = await adapter();
    const put = await direct.put('del', encoder.encode('x'));
    const p = await proxy(() => ({ kind: 'forward' }));
    const s = await adapter({ bucket: direct.bucket, storage: storageConfig(p.url) });
    await s.delete('del', { ifMatch: put.etag });
    const del = p.seen.find((r) => r.method === 'DELETE');
    expect(del?.url).toContain(`ifGenerationMatch=${put.etag}`);
    expect(await direct.get('del')).toBeUndefined();
  });

  it('rejects a non-numeric etag as a failed precondition without any request', async () => {
    const p = await proxy(() => ({ kind: 'forward' }));
    const s = await adapter({ storage: storageConfig(p.url) });
    for (const call of [() => s.put('k', encoder.encode('x'), { ifMatch: '"abc"' }), () => s.delete('k', { ifMatch: '12a' })]) {
      const error = await call().catch((e: unknown) => e);
      expect(isBtreePluginsError(error, 'PreconditionFailedError')).toBe(true);
    }
    expect(p.seen).toHaveLength(0);
  });

  it('lists across many small pages (pageSize 2)', async () => {
    const s = await adapter({ pageSize: 2 });
    for (const k of ['l/1', 'l/2', 'l/3', 'l/4', 'l/5', 'm/1']) await s.put(k, encoder.encode(k));
    const listed: string[] = [];
    for await (const o of s.list('l/')) listed.push(o.key);
    expect(listed.sort()).toEqual(['l/1', 'l/2', 'l/3', 'l/4', 'l/5']);
  });

  it('works with a Storage instance the host passes in', async () => {
    const s = await adapter({ storage: new Storage(storageConfig()) });
    await s.put('k', encoder.encode('via host client'), { ifNoneMatch: '*' });
    expect(decoder.decode((await s.get('k'))!.body)).toBe('via host client');
  });
});
