/**
 * The harness of the S3 and GCS adapter suites: adapters on fresh buckets with fast retries, and
 * fault proxies in front of the test server, all disposed after each test.
 */
import { afterAll, afterEach } from 'vitest';
import type { TestBuckets } from '../setup/buckets.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

/** Retries that keep fault tests quick: four attempts, a few milliseconds apart. */
export const FAST_RETRY = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

/** Something a test made that must be released after it. */
interface Disposable {
  dispose(): Promise<void> | void;
}

/** The helpers {@link bucketAdapterKit} returns. */
export interface BucketAdapterKit<Options, Adapter> {
  /** An adapter on a new bucket, or on `options.bucket` (which is not created: it may be meant to be missing). */
  adapter(options?: Partial<Options>): Promise<Adapter>;
  /** A fault proxy in front of the test server; `decide` picks each request's fault. */
  proxy(decide: Parameters<typeof startFaultProxy>[1]): Promise<FaultProxy>;
}

/**
 * Registers the cleanup hooks in the calling test file and returns its helpers.
 *
 * @param label the name prefix of the buckets {@link adapter} creates (e.g. `s3-specific`).
 * @param make an adapter from options that always name the bucket; the file's defaults go here.
 * @example
 * ```ts
 * const s3 = s3Buckets();
 * const { adapter, proxy } = bucketAdapterKit(s3, 's3-specific', (o) => new S3Storage({ client: s3.config(), retry: FAST_RETRY, ...o }));
 * const p = await proxy(() => ({ kind: 'forward' }));
 * const storage = await adapter({ client: s3.config(p.url) });
 * ```
 */
export function bucketAdapterKit<Options extends { bucket: string }, Adapter extends Disposable>(
  buckets: TestBuckets<unknown>,
  label: string,
  make: (options: Partial<Options> & { bucket: string }) => Adapter,
): BucketAdapterKit<Options, Adapter> {
  const disposables: Disposable[] = [];
  afterEach(async () => {
    for (const d of disposables.splice(0).reverse()) await d.dispose();
  });
  afterAll(() => buckets.close());

  return {
    async adapter(options: Partial<Options> = {}): Promise<Adapter> {
      const adapter = make({ ...options, bucket: options.bucket ?? (await buckets.create(label)) });
      disposables.push(adapter);
      return adapter;
    },
    async proxy(decide: Parameters<typeof startFaultProxy>[1]): Promise<FaultProxy> {
      const p = await startFaultProxy(buckets.endpoint, decide);
      disposables.push({ dispose: () => p.close() });
      return p;
    },
  };
}
