/**
 * What every bucket adapter (S3, GCS) must do beyond the storage conformance suite, pinned with
 * faults injected between the adapter and the real test server: option checks, a missing SDK, a
 * missing bucket, retries, and the recovery of a conditional write whose answer was lost. The
 * adapter's own test file adds what only its backend has.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isBtreePluginsError, StorageError } from '../../src/errors.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import type { BucketAdapterKit } from './bucket-kit.js';
import type { Fault } from './fault-proxy.js';
import { runWithoutPeers } from './without-optional-peers.js';

/** One bucket adapter, as {@link describeBucketAdapter} drives it. */
export interface BucketAdapterSpec<Options extends { bucket: string }, Adapter extends StorageAdapter & { readonly bucket: string }> {
  /** `s3` or `gcs`: the adapter's `name` and its file in src/storage-adapters. */
  name: 's3' | 'gcs';
  /** The public class, e.g. `S3Storage`. */
  className: string;
  /** The optional peer it imports. */
  sdkPackage: string;
  /** Constructor options that need no SDK call, for the run without the SDK installed. */
  offlineOptions: string;
  /** Constructs the adapter without the kit's defaults, for the option checks. */
  construct(options: Options): Adapter;
  kit: BucketAdapterKit<Options, Adapter>;
  /** The options that send the adapter's requests to `url` (a fault proxy). */
  through(url: string): Partial<Options>;
  /** A well-formed etag of this backend. */
  someEtag: string;
  /** What the backend says of a missing bucket, when its message says it. */
  missingBucketCode?: string;
  /** A transient answer (503) and the message it carries. */
  transient: { fault: Fault; message: string };
  /** A failed answer to a write the server may nevertheless have applied. */
  failedLate: Fault;
  /** Which requests are writes, and the methods of a write and of the check that recovers one. */
  isWrite(req: { method?: string; url?: string }): boolean;
  writeMethod: string;
  checkMethod: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Declares the shared bucket adapter tests in a `describe` named after the class. */
export function describeBucketAdapter<Options extends { bucket: string }, Adapter extends StorageAdapter & { readonly bucket: string }>(
  spec: BucketAdapterSpec<Options, Adapter>,
): void {
  const { adapter, proxy } = spec.kit;

  describe(`${spec.className} (bucket adapter)`, () => {
    it(`without ${spec.sdkPackage} installed, constructing works and the first call throws MissingDependencyError naming it`, async () => {
      const out = await runWithoutPeers(
        spec.name,
        `const s = new adapter.${spec.className}(${spec.offlineOptions});
         const e = await s.get('k').catch((e) => e);
         console.log(JSON.stringify({ name: e.name, packageName: e.packageName, message: e.message }));`,
      );
      const e = JSON.parse(out) as { name: string; packageName: string; message: string };
      expect(e.name).toBe('MissingDependencyError');
      expect(e.packageName).toBe(spec.sdkPackage);
      expect(e.message).toContain(`npm install ${spec.sdkPackage}`);
    });

    it('requires a bucket and a valid pageSize', () => {
      expect(() => spec.construct({} as Options)).toThrow(/`bucket` option is required/);
      for (const pageSize of [0, 1001]) {
        expect(() => spec.construct({ bucket: 'b', pageSize } as unknown as Options)).toThrow(/pageSize must be an integer from 1 to 1000/);
      }
    });

    it('surfaces a missing bucket as StorageError 404 on read, write and delete, never as an absent key', async () => {
      const s = await adapter({ bucket: `missing-${randomBytes(4).toString('hex')}` } as Partial<Options>);
      for (const call of [
        () => s.get('k'),
        () => s.put('k', encoder.encode('x')),
        () => s.put('k', encoder.encode('x'), { ifNoneMatch: '*' }),
        () => s.delete('k'),
        () => s.delete('k', { ifMatch: spec.someEtag }),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StorageError);
        const e = error as StorageError;
        expect(e.status).toBe(404);
        expect(e.retryable).toBe(false);
        if (spec.missingBucketCode) expect(e.message).toContain(spec.missingBucketCode);
        expect(e.message).toContain(`adapter=${spec.name}`);
        expect(e.hint).toMatch(/create the bucket/);
      }
    });

    it('retries transient 503 answers with backoff, then succeeds against the real server', async () => {
      const p = await proxy((_req, i) => (i < 2 ? spec.transient.fault : { kind: 'forward' }));
      const s = await adapter(spec.through(p.url));
      const put = await s.put('retried', encoder.encode('after two 503s'), { ifNoneMatch: '*' });
      expect(p.seen.map((r) => r.fault)).toEqual(['respond', 'respond', 'forward']);
      const got = await s.get('retried');
      expect(decoder.decode(got!.body)).toBe('after two 503s');
      expect(got!.etag).toBe(put.etag);
    });

    it('gives up after the configured attempts with a retryable StorageError carrying 503 and the backend message', async () => {
      const p = await proxy(() => spec.transient.fault);
      const s = await adapter({ ...spec.through(p.url), retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
      for (const call of [() => s.get('k'), () => s.put('k', encoder.encode('x'))]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageError);
        expect((error as StorageError).status).toBe(503);
        expect((error as StorageError).retryable).toBe(true);
        expect((error as Error).message).toContain(spec.transient.message);
      }
      expect(p.seen).toHaveLength(6);
    });

    it('a create-only put whose answer was lost is recognised as its own write on retry (no false PreconditionFailedError)', async () => {
      const p = await proxy((req, i) => (i === 0 && spec.isWrite(req) ? { kind: 'drop-answer' } : { kind: 'forward' }));
      const s = await adapter(spec.through(p.url));
      const put = await s.put('lost-answer', encoder.encode('mine'), { ifNoneMatch: '*' });
      // The retry failed its condition (the first attempt had written); the write id proved it was ours.
      expect(p.seen.map((r) => `${r.method}:${r.fault}`)).toEqual([
        `${spec.writeMethod}:drop-answer`,
        `${spec.writeMethod}:forward`,
        `${spec.checkMethod}:forward`,
      ]);
      const got = await s.get('lost-answer');
      expect(decoder.decode(got!.body)).toBe('mine');
      expect(got!.etag).toBe(put.etag);
    });

    it("still reports PreconditionFailedError after a transient failure when the object is somebody else's", async () => {
      const direct = await adapter();
      await direct.put('taken', encoder.encode('theirs'));
      const p = await proxy((req, i) => (i === 0 && spec.isWrite(req) ? spec.failedLate : { kind: 'forward' }));
      const s = await adapter({ ...spec.through(p.url), bucket: direct.bucket });
      const error = await s.put('taken', encoder.encode('mine'), { ifNoneMatch: '*' }).catch((e: unknown) => e);
      expect(isBtreePluginsError(error, 'PreconditionFailedError')).toBe(true);
      // The failed write, its retry (412), the check of whose write the object is.
      expect(p.seen.map((r) => r.method)).toEqual([spec.writeMethod, spec.writeMethod, spec.checkMethod]);
      expect(decoder.decode((await direct.get('taken'))!.body)).toBe('theirs');
    });

    it('lists across many small pages (pageSize 2)', async () => {
      const s = await adapter({ pageSize: 2 } as unknown as Partial<Options>);
      for (const k of ['l/1', 'l/2', 'l/3', 'l/4', 'l/5', 'm/1']) await s.put(k, encoder.encode(k));
      const listed: string[] = [];
      for await (const o of s.list('l/')) listed.push(o.key);
      expect(listed.sort()).toEqual(['l/1', 'l/2', 'l/3', 'l/4', 'l/5']);
    });
  });
}
