/**
 * Buckets on the test servers, for every test that needs one (the adapter suites, the
 * conformance suite, the registry's cloud concurrency test): the client options that reach the
 * server, directly or through a fault proxy in front of it, and bucket creation. Buckets are never
 * deleted; the servers are throwaway (docs/testing.md).
 */
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import { randomBytes } from 'node:crypto';
import { gcsTestServer, s3TestServer, type S3TestServer } from './servers/env.js';

/** Buckets of one kind of test server. */
export interface TestBuckets<Config> {
  /** Where the server answers (what a fault proxy forwards to). */
  readonly endpoint: string;
  /** Client options that reach the server, or `endpoint` instead (a fault proxy in front of it). */
  config(endpoint?: string): Config;
  /** Creates `name` once per test process (concurrent callers share the request); an existing bucket is fine. */
  ensure(name: string): Promise<string>;
  /** Creates a new bucket named `<label>-<random hex>` and returns its name. */
  create(label: string): Promise<string>;
  /** Releases the admin client. */
  close(): Promise<void>;
}

/**
 * The shared part: one creation per name, random names. `createBucket` resolves when the bucket
 * exists, including when it existed already.
 */
function testBuckets<Config>(endpoint: string, config: (endpoint: string) => Config, createBucket: (name: string) => Promise<void>, close: () => void): TestBuckets<Config> {
  const created = new Map<string, Promise<string>>();
  const ensure = (name: string): Promise<string> => {
    let pending = created.get(name);
    if (!pending) {
      pending = createBucket(name).then(() => name);
      created.set(name, pending);
    }
    return pending;
  };
  return {
    endpoint,
    config: (at = endpoint) => config(at),
    ensure,
    create: (label) => ensure(`${label}-${randomBytes(4).toString('hex')}`),
    close: async () => close(),
  };
}

/**
 * Buckets on the S3 test server the global setup started, or on `server` (one a test file started
 * itself: `s3TestServer(moto.env)`).
 *
 * @example
 * ```ts
 * const s3 = s3Buckets();
 * afterAll(() => s3.close());
 * const storage = new S3Storage({ bucket: await s3.create('registry-race'), client: s3.config() });
 * ```
 */
export function s3Buckets(server: S3TestServer = s3TestServer()): TestBuckets<S3ClientConfig> {
  const config = (endpoint: string): S3ClientConfig => ({
    endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  let admin: S3Client | undefined;
  return testBuckets(
    server.endpoint,
    config,
    async (name) => {
      admin ??= new S3Client(config(server.endpoint));
      await admin.send(new CreateBucketCommand({ Bucket: name })).catch((error: { name?: string }) => {
        if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
      });
    },
    () => admin?.destroy(),
  );
}

/** Buckets on the GCS test server (fake-gcs-server) the global setup started. */
export function gcsBuckets(): TestBuckets<StorageOptions> {
  const endpoint = gcsTestServer().endpoint;
  const config = (apiEndpoint: string): StorageOptions => ({ apiEndpoint, projectId: 'btree-plugins-test' });
  let admin: Storage | undefined;
  return testBuckets(
    endpoint,
    config,
    async (name) => {
      admin ??= new Storage({ ...config(endpoint), retryOptions: { autoRetry: false } });
      await admin.createBucket(name).catch((error: { code?: number }) => {
        if (error.code !== 409) throw error;
      });
    },
    // A `Storage` holds no connections of its own.
    () => {},
  );
}
