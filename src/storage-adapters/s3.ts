/**
 * S3 storage (AWS S3 and S3-compatible servers), on `@aws-sdk/client-s3`, an optional peer that is
 * imported on first use. Retries, key checks, listing and the recovery of lost answers are the
 * shared ones of bucket-adapter.ts; this file maps them to S3's requests and errors.
 *
 * Conditional writes map to S3's own: create-only is `PutObject` with `If-None-Match: *`,
 * compare-and-swap is `PutObject` with `If-Match: <etag>`, a conditional delete is `DeleteObject`
 * with `If-Match`. The server decides atomically; a 412 becomes {@link PreconditionFailedError},
 * a 409 `ConditionalRequestConflict` (a concurrent conditional write) is retried.
 *
 * @module
 */
import type { S3Client, S3ClientConfig, GetObjectCommandOutput, HeadObjectCommandOutput, ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { StorageError, type PreconditionFailedError } from '../errors.js';
import { BucketAdapter, bucketHint, unlessAbsent, WRITE_ID, type BucketPage, type FailureReport } from './bucket-adapter.js';
import { importOptional } from '../platform/optional-import.js';
import type { BucketAdapterOptions } from './bucket-options.js';
import type { DeleteCondition, PutResult, StoredObject, WriteCondition } from './types.js';

type S3Sdk = typeof import('@aws-sdk/client-s3');
/** The SDK module (requests are built from its command classes) and the client that sends them. */
type S3Connection = { sdk: S3Sdk; client: S3Client };

/** Options of {@link S3Storage}. */
export interface S3StorageOptions extends BucketAdapterOptions {
  /**
   * An `S3Client` you own (the adapter never destroys it), or the configuration of one the adapter
   * creates and destroys on `dispose()`: `{ region, endpoint, credentials, forcePathStyle, … }`.
   * The SDK's own retries are turned off in clients the adapter creates (`maxAttempts: 1`) so that
   * `retry` alone decides. Default: `{}` (region and credentials from the environment).
   */
  client?: S3Client | S3ClientConfig;
}

const ADAPTER = 's3';
const MISMATCH = 'etag mismatch';
const THROTTLING = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'InternalError',
]);

interface S3ErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function statusOf(error: unknown): number | undefined {
  return (error as S3ErrorShape | null)?.$metadata?.httpStatusCode;
}

function codeOf(error: unknown): string | undefined {
  const e = error as S3ErrorShape | null;
  return e?.Code ?? e?.name;
}

const isNoSuchKey = (error: unknown): boolean => codeOf(error) === 'NoSuchKey';
const isPreconditionFailed = (error: unknown): boolean => statusOf(error) === 412 || codeOf(error) === 'PreconditionFailed';

/**
 * A {@link StorageAdapter} on an S3 bucket.
 *
 * @example
 * ```ts
 * import { S3Storage } from '@wayfarer-ai/btree-plugins/storage/s3';
 * const storage = new S3Storage({ bucket: 'plugins', prefix: 'host-a/', client: { region: 'eu-west-1' } });
 * ```
 */
export class S3Storage extends BucketAdapter<S3Connection> {
  readonly name = ADAPTER;
  protected readonly urlScheme = 's3';
  readonly #clientOption: S3Client | S3ClientConfig;

  constructor(options: S3StorageOptions) {
    super('S3Storage', options);
    this.#clientOption = options.client ?? {};
  }

  protected async connect(): Promise<S3Connection> {
    const sdk = await importOptional<S3Sdk>('@aws-sdk/client-s3', 'S3Storage');
    const option = this.#clientOption;
    const client = isClient(option) ? option : new sdk.S3Client({ maxAttempts: 1, ...option });
    return { sdk, client };
  }

  /** Destroys only a client the adapter created: one passed in belongs to the host. */
  protected override releaseClient({ client }: S3Connection): void {
    if (!isClient(this.#clientOption)) client.destroy();
  }

  protected async getObject(full: string, key: string): Promise<StoredObject | undefined> {
    const out = await this.call('get', key, (s3) => unlessAbsent(this.#download(s3, full), isNoSuchKey));
    if (out && !out.etag) throw new StorageError(ADAPTER, 'get', 'the server returned no ETag', { key, context: { bucket: this.bucket } });
    return out;
  }

  async #download({ sdk, client }: S3Connection, full: string): Promise<StoredObject> {
    const res: GetObjectCommandOutput = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: full }));
    // Read the body inside the retried step: a reset mid-body is as transient as one before it.
    const body = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    return { body, etag: res.ETag ?? '' };
  }

  protected async putOnce({ sdk, client }: S3Connection, full: string, key: string, body: Uint8Array, condition: WriteCondition | undefined, writeId: string): Promise<PutResult> {
    try {
      const res = await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: full,
          Body: body,
          ContentLength: body.byteLength,
          Metadata: { [WRITE_ID]: writeId },
          ...(condition?.ifNoneMatch === '*' ? { IfNoneMatch: '*' } : {}),
          ...(condition?.ifMatch !== undefined ? { IfMatch: condition.ifMatch } : {}),
        }),
      );
      if (!res.ETag) throw new StorageError(ADAPTER, 'put', 'the server returned no ETag', { key });
      return { etag: res.ETag };
    } catch (error) {
      // S3 answers `If-Match` on an absent key with 404 NoSuchKey rather than 412.
      if (isPreconditionFailed(error) || (condition?.ifMatch !== undefined && isNoSuchKey(error))) {
        throw this.preconditionFailed(key, condition, error, MISMATCH);
      }
      throw error;
    }
  }

  protected async writtenBy(full: string, key: string, writeId: string): Promise<PutResult | undefined> {
    const head = await this.call('put', key, ({ sdk, client }) =>
      unlessAbsent(
        client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: full })) as Promise<HeadObjectCommandOutput>,
        (error) => statusOf(error) === 404,
      ),
    );
    return head?.Metadata?.[WRITE_ID] === writeId && head.ETag ? { etag: head.ETag } : undefined;
  }

  protected async deleteObject(full: string, key: string, condition: DeleteCondition | undefined): Promise<void> {
    await this.call('delete', key, async ({ sdk, client }) => {
      try {
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: full, ...(condition ? { IfMatch: condition.ifMatch } : {}) }));
      } catch (error) {
        if (condition && (isPreconditionFailed(error) || isNoSuchKey(error))) throw this.preconditionFailed(key, condition, error, MISMATCH);
        if (!condition && isNoSuchKey(error)) return;
        throw error;
      }
    });
  }

  protected async listPage({ sdk, client }: S3Connection, full: string, token: string | undefined): Promise<BucketPage> {
    const page: ListObjectsV2CommandOutput = await client.send(
      new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, MaxKeys: this.pageSize, ContinuationToken: token }),
    );
    return {
      objects: (page.Contents ?? []).flatMap((entry) => (entry.Key === undefined ? [] : [{ name: entry.Key, size: entry.Size ?? 0 }])),
      truncated: page.IsTruncated === true,
      next: page.NextContinuationToken,
    };
  }

  protected transientAnswer(error: unknown): boolean | undefined {
    const status = statusOf(error);
    const code = codeOf(error);
    if (code === 'ConditionalRequestConflict') return true;
    if (status !== undefined && (status === 429 || status >= 500)) return true;
    if (code !== undefined && THROTTLING.has(code)) return true;
    if ((error as S3ErrorShape | null)?.$retryable) return true;
    return undefined;
  }

  protected mayHaveApplied(error: unknown): boolean {
    const status = statusOf(error);
    const code = codeOf(error);
    return !(code === 'ConditionalRequestConflict' || status === 429 || (code !== undefined && THROTTLING.has(code) && code !== 'InternalError'));
  }

  protected report(error: unknown): FailureReport {
    const status = statusOf(error);
    const code = codeOf(error);
    const message = (error as Error | null)?.message || String(error);
    return {
      detail: code && !message.startsWith(code) ? `${code}: ${message}` : message,
      status: status ?? (error as { code?: string } | null)?.code,
      hint: bucketHint({
        missingBucket: code === 'NoSuchBucket',
        denied: code === 'AccessDenied' || code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || status === 403,
        status,
      }),
    };
  }
}

function isClient(value: unknown): value is S3Client {
  return typeof (value as { send?: unknown } | null)?.send === 'function';
}
