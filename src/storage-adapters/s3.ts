/**
 * S3 storage (AWS S3 and S3-compatible servers), on `@aws-sdk/client-s3`, an optional peer that is
 * imported on first use.
 *
 * Conditional writes map to S3's own: create-only is `PutObject` with `If-None-Match: *`,
 * compare-and-swap is `PutObject` with `If-Match: <etag>`, a conditional delete is `DeleteObject`
 * with `If-Match`. The server decides atomically; a 412 becomes {@link PreconditionFailedError},
 * a 409 `ConditionalRequestConflict` (a concurrent conditional write) is retried.
 *
 * @module
 */
import type {
  S3Client,
  S3ClientConfig,
  GetObjectCommandOutput,
  HeadObjectCommandOutput,
  ListObjectsV2CommandOutput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { DisposedError, isBtreePluginsError, PreconditionFailedError, StorageError } from '../errors.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { bucketAdapterSettings } from './bucket-options.js';
import { isNetworkError } from './network-errors.js';
import { importOptional } from './optional-import.js';
import { withRetry, type RetryPolicy } from './retry.js';
import type {
  DeleteCondition,
  ListedObject,
  PutResult,
  StorageAdapter,
  StorageAdapterOptions,
  StoredObject,
  WriteCondition,
} from './types.js';

type S3Sdk = typeof import('@aws-sdk/client-s3');

/** Options of {@link S3Storage}. */
export interface S3StorageOptions extends StorageAdapterOptions {
  /** The bucket. It must exist; the adapter never creates buckets. */
  bucket: string;
  /**
   * An `S3Client` you own (the adapter never destroys it), or the configuration of one the adapter
   * creates and destroys on `dispose()`: `{ region, endpoint, credentials, forcePathStyle, … }`.
   * The SDK's own retries are turned off in clients the adapter creates (`maxAttempts: 1`) so that
   * `retry` alone decides. Default: `{}` (region and credentials from the environment).
   */
  client?: S3Client | S3ClientConfig;
  /** Keys per `ListObjectsV2` page, 1–1000 (default 1000). */
  pageSize?: number;
}

const ADAPTER = 's3';
/** Object metadata that identifies one `put` call, so an ambiguous retry can tell whether it won. */
const WRITE_ID = 'btree-plugins-write-id';
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

/** Whether a failure may succeed when tried again. */
function isTransient(error: unknown): boolean {
  if (isBtreePluginsError(error)) return false;
  const status = statusOf(error);
  const code = codeOf(error);
  if (code === 'ConditionalRequestConflict') return true;
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  if (code !== undefined && THROTTLING.has(code)) return true;
  if ((error as S3ErrorShape | null)?.$retryable) return true;
  return isNetworkError(error);
}

/**
 * Whether a failed attempt may nevertheless have been applied by the server (the answer was lost,
 * or the server failed after committing). Throttling and conflicts are refusals: nothing was written.
 */
function mayHaveApplied(error: unknown): boolean {
  const status = statusOf(error);
  const code = codeOf(error);
  if (code === 'ConditionalRequestConflict' || status === 429 || (code !== undefined && THROTTLING.has(code) && code !== 'InternalError')) {
    return false;
  }
  return true;
}

/**
 * A {@link StorageAdapter} on an S3 bucket.
 *
 * @example
 * ```ts
 * import { S3Storage } from '@wayfarer-ai/btree-plugins/storage/s3';
 * const storage = new S3Storage({ bucket: 'plugins', prefix: 'host-a/', client: { region: 'eu-west-1' } });
 * ```
 */
export class S3Storage implements StorageAdapter {
  readonly name = ADAPTER;
  /** The bucket this adapter writes to. */
  readonly bucket: string;
  readonly #prefix: string;
  readonly #prefixBytes: number;
  readonly #retry: RetryPolicy;
  readonly #pageSize: number;
  readonly #clientOption: S3Client | S3ClientConfig;
  readonly #ownsClient: boolean;
  #ready: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
  #disposed = false;

  constructor(options: S3StorageOptions) {
    const settings = bucketAdapterSettings('S3Storage', options);
    this.bucket = settings.bucket;
    this.#prefix = settings.prefix;
    this.#prefixBytes = settings.prefixBytes;
    this.#retry = settings.retry;
    this.#pageSize = settings.pageSize;
    this.#clientOption = options.client ?? {};
    this.#ownsClient = !isClient(this.#clientOption);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const full = this.#key(key);
    const out = await this.#call('get', key, async ({ sdk, client }) => {
      try {
        const res: GetObjectCommandOutput = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: full }));
        // Read the body inside the retried step: a reset mid-body is as transient as one before it.
        const body = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
        return { body, etag: res.ETag ?? '' };
      } catch (error) {
        if (codeOf(error) === 'NoSuchKey') return undefined;
        throw error;
      }
    });
    if (out && !out.etag) throw new StorageError(ADAPTER, 'get', 'the server returned no ETag', { key, context: { bucket: this.bucket } });
    return out;
  }

  async put(key: string, body: Uint8Array, condition?: WriteCondition): Promise<PutResult> {
    const full = this.#key(key);
    if (!(body instanceof Uint8Array)) throw new TypeError('put(key, body): body must be a Uint8Array');
    const writeId = crypto.randomUUID();
    let ambiguous = false;
    try {
      return await this.#call('put', key, async ({ sdk, client }) => {
        try {
          const res: PutObjectCommandOutput = await client.send(
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
          if (statusOf(error) === 412 || codeOf(error) === 'PreconditionFailed' || (condition?.ifMatch !== undefined && codeOf(error) === 'NoSuchKey')) {
            throw this.#preconditionFailed(key, condition, error);
          }
          if (isTransient(error) && mayHaveApplied(error)) ambiguous = true;
          throw error;
        }
      });
    } catch (error) {
      // An earlier attempt may have been applied with its answer lost; the retry then fails its
      // own condition. The write id in the object's metadata tells whether that write was ours.
      if (ambiguous && condition && isBtreePluginsError(error, 'PreconditionFailedError')) {
        const mine = await this.#headIfWrittenBy(full, key, writeId);
        if (mine) return mine;
      }
      throw error;
    }
  }

  async delete(key: string, condition?: DeleteCondition): Promise<void> {
    const full = this.#key(key);
    await this.#call('delete', key, async ({ sdk, client }) => {
      try {
        await client.send(
          new sdk.DeleteObjectCommand({
            Bucket: this.bucket,
            Key: full,
            ...(condition ? { IfMatch: condition.ifMatch } : {}),
          }),
        );
      } catch (error) {
        const status = statusOf(error);
        if (condition && (status === 412 || codeOf(error) === 'PreconditionFailed' || codeOf(error) === 'NoSuchKey')) {
          throw this.#preconditionFailed(key, condition, error);
        }
        if (!condition && codeOf(error) === 'NoSuchKey') return;
        throw error;
      }
    });
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    this.#alive();
    assertValidPrefix(prefix, this.#prefixBytes);
    const full = this.#prefix + prefix;
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.#call('list', undefined, ({ sdk, client }) =>
        client.send(
          new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, MaxKeys: this.#pageSize, ContinuationToken: token }),
        ),
      );
      for (const entry of page.Contents ?? []) {
        if (!entry.Key?.startsWith(full)) continue;
        const key = entry.Key.slice(this.#prefix.length);
        // File-system backed servers may list folder markers (`a/`); they are not keys.
        if (key === '' || key.endsWith('/')) continue;
        yield { key, size: entry.Size ?? 0 };
      }
      if (page.IsTruncated && !page.NextContinuationToken) {
        throw new StorageError(ADAPTER, 'list', 'the server said the listing is truncated but gave no continuation token', {
          context: { bucket: this.bucket, prefix },
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const ready = this.#ready;
    if (ready && this.#ownsClient) {
      const { client } = await ready.catch(() => ({ client: undefined }));
      client?.destroy();
    }
  }

  /** Loads the SDK and creates the client once. */
  #sdk(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    this.#ready ??= (async () => {
      const sdk = await importOptional<S3Sdk>('@aws-sdk/client-s3', 'S3Storage');
      const option = this.#clientOption;
      const client = isClient(option) ? option : new sdk.S3Client({ maxAttempts: 1, ...option });
      return { sdk, client };
    })();
    // A failed import must not stick: the host may install the package and try again.
    this.#ready.catch(() => (this.#ready = undefined));
    return this.#ready;
  }

  /** Runs one backend call with retries, mapping failures to this library's errors. */
  async #call<T>(operation: string, key: string | undefined, fn: (s3: { sdk: S3Sdk; client: S3Client }) => Promise<T>): Promise<T> {
    const s3 = await this.#sdk();
    try {
      return await withRetry(this.#retry, isTransient, () => {
        this.#alive();
        return fn(s3);
      });
    } catch (error) {
      if (isBtreePluginsError(error)) throw error;
      throw this.#storageError(operation, key, error);
    }
  }

  async #headIfWrittenBy(full: string, key: string, writeId: string): Promise<PutResult | undefined> {
    const head = await this.#call('put', key, async ({ sdk, client }) => {
      try {
        return (await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: full }))) as HeadObjectCommandOutput;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
    return head?.Metadata?.[WRITE_ID] === writeId && head.ETag ? { etag: head.ETag } : undefined;
  }

  #preconditionFailed(key: string, condition: WriteCondition | DeleteCondition | undefined, cause: unknown): PreconditionFailedError {
    const detail =
      condition && 'ifNoneMatch' in condition && condition.ifNoneMatch === '*'
        ? 'the key already exists (ifNoneMatch: *)'
        : 'the key was changed or deleted since it was read (etag mismatch)';
    return new PreconditionFailedError(ADAPTER, key, detail, { cause, context: { bucket: this.bucket } });
  }

  #storageError(operation: string, key: string | undefined, error: unknown): StorageError {
    const status = statusOf(error);
    const code = codeOf(error);
    const message = (error as Error | null)?.message || String(error);
    const detail = code && !message.startsWith(code) ? `${code}: ${message}` : message;
    return new StorageError(ADAPTER, operation, detail, {
      key,
      status: status ?? (error as { code?: string } | null)?.code,
      retryable: isTransient(error),
      cause: error,
      context: { bucket: this.bucket },
      hint: hintFor(code, status),
    });
  }

  #alive(): void {
    if (this.#disposed) throw new DisposedError('S3Storage');
  }

  #key(key: string): string {
    this.#alive();
    assertValidKey(key, this.#prefixBytes);
    return this.#prefix + key;
  }
}

function isClient(value: unknown): value is S3Client {
  return typeof (value as { send?: unknown } | null)?.send === 'function';
}

function hintFor(code: string | undefined, status: number | undefined): string | undefined {
  if (code === 'NoSuchBucket') return 'create the bucket or fix the `bucket` option';
  if (code === 'AccessDenied' || code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || status === 403) {
    return 'check the credentials and that they may read and write this bucket';
  }
  if (status !== undefined && (status === 429 || status >= 500)) return 'the backend is failing or throttling; it was retried with backoff — check its health';
  return undefined;
}
