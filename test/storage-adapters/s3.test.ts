import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { S3Storage, type S3StorageOptions } from '../../src/storage-adapters/s3.js';
import { describeStorageConformance } from '../conformance/storage.js';
import { s3Buckets } from '../setup/buckets.js';
import { describeBucketAdapter } from './bucket-adapter-suite.js';
import { bucketAdapterKit, FAST_RETRY } from './bucket-kit.js';

const s3 = s3Buckets();
const clientConfig = s3.config;

describeStorageConformance({
  name: `s3 (${process.env.BTREE_PLUGINS_S3_SERVER || 'moto'})`,
  async create({ space, prefix }) {
    return new S3Storage({ bucket: await s3.ensure(space), prefix, client: clientConfig() });
  },
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const kit = bucketAdapterKit<S3StorageOptions, S3Storage>(s3, 's3-specific', (options) => new S3Storage({ client: clientConfig(), retry: FAST_RETRY, ...options }));
const { adapter, proxy } = kit;

describeBucketAdapter({
  name: 's3',
  className: 'S3Storage',
  sdkPackage: '@aws-sdk/client-s3',
  offlineOptions: "{ bucket: 'b', client: { region: 'us-east-1' } }",
  construct: (options) => new S3Storage(options),
  kit,
  through: (url) => ({ client: clientConfig(url) }),
  someEtag: '"0123"',
  missingBucketCode: 'NoSuchBucket',
  transient: {
    fault: {
      kind: 'respond',
      status: 503,
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
    },
    message: 'reduce your request rate',
  },
  failedLate: {
    kind: 'respond',
    status: 500,
    body: '<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
  },
  isWrite: (req) => req.method === 'PUT',
  writeMethod: 'PUT',
  checkMethod: 'HEAD',
});

describe('S3Storage', () => {
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

  it('a compare-and-swap put whose answer was lost is recognised as its own write on retry', async () => {
    const direct = await adapter();
    const v1 = await direct.put('cas-lost', encoder.encode('v1'));
    const p = await proxy((req, i) => (i === 0 && req.method === 'PUT' ? { kind: 'drop-answer' } : { kind: 'forward' }));
    const s = await adapter({ bucket: direct.bucket, client: clientConfig(p.url) });
    const v2 = await s.put('cas-lost', encoder.encode('v2'), { ifMatch: v1.etag });
    expect(decoder.decode((await direct.get('cas-lost'))!.body)).toBe('v2');
    expect((await direct.get('cas-lost'))!.etag).toBe(v2.etag);
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

