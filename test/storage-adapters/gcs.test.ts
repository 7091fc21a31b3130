import { Storage } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import { GcsStorage, type GcsStorageOptions } from '../../src/storage-adapters/gcs.js';
import { describeStorageConformance } from '../conformance/storage.js';
import { gcsBuckets } from '../setup/buckets.js';
import { describeBucketAdapter } from './bucket-adapter-suite.js';
import { bucketAdapterKit, FAST_RETRY } from './bucket-kit.js';
import type { Fault } from './fault-proxy.js';

const gcs = gcsBuckets();
const storageConfig = gcs.config;
const admin = new Storage(storageConfig());

describeStorageConformance({
  name: 'gcs (fake-gcs-server)',
  async create({ space, prefix }) {
    return new GcsStorage({ bucket: await gcs.ensure(space), prefix, storage: storageConfig() });
  },
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const kit = bucketAdapterKit<GcsStorageOptions, GcsStorage>(gcs, 'gcs-specific', (options) => new GcsStorage({ storage: storageConfig(), retry: FAST_RETRY, ...options }));
const { adapter, proxy } = kit;

const backendError: Fault = {
  kind: 'respond',
  status: 503,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ error: { code: 503, message: 'Backend Error', errors: [{ reason: 'backendError', message: 'Backend Error' }] } }),
};

describeBucketAdapter({
  name: 'gcs',
  className: 'GcsStorage',
  sdkPackage: '@google-cloud/storage',
  offlineOptions: "{ bucket: 'b' }",
  construct: (options) => new GcsStorage(options),
  kit,
  through: (url) => ({ storage: storageConfig(url) }),
  someEtag: '1',
  transient: { fault: backendError, message: 'Backend Error' },
  failedLate: backendError,
  isWrite: (req) => req.method === 'POST' && (req.url ?? '').startsWith('/upload/'),
  writeMethod: 'POST',
  checkMethod: 'GET',
});

describe('GcsStorage', () => {
  it('uses the object generation as etag', async () => {
    const s = await adapter();
    const put = await s.put('gen', encoder.encode('x'));
    expect(put.etag).toMatch(/^[0-9]+$/);
    const [metadata] = await admin.bucket(s.bucket).file('gen').getMetadata();
    expect(put.etag).toBe(String(metadata.generation));
    expect((await s.get('gen'))!.etag).toBe(put.etag);
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

  it('works with a Storage instance the host passes in', async () => {
    const s = await adapter({ storage: new Storage(storageConfig()) });
    await s.put('k', encoder.encode('via host client'), { ifNoneMatch: '*' });
    expect(decoder.decode((await s.get('k'))!.body)).toBe('via host client');
  });
});
