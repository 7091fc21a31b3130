/**
 * What the object-store adapters (S3, GCS) share, so that each adapter file holds only what its SDK
 * needs: the options, key prefixing and checks, the lazily created client, retries with error
 * mapping, the recovery of a conditional write whose answer was lost, and listing across pages.
 *
 * The rules live here once because they guard the storage contract (docs/storage.md): a transient
 * failure is retried the same way on every backend, a lost answer never turns a successful
 * create-only write into a {@link PreconditionFailedError}, and a listing never leaks keys outside
 * the adapter's prefix.
 *
 * @module
 */
import { DisposedError, InvalidInputError, isBtreePluginsError, PreconditionFailedError, StorageError } from '../errors.js';
import { bucketAdapterSettings, type BucketAdapterOptions } from './bucket-options.js';
import { assertValidKey, assertValidPrefix } from './keys.js';
import { isNetworkError } from './network-errors.js';
import { withRetry, type RetryPolicy } from './retry.js';
import type { DeleteCondition, ListedObject, PutResult, StorageAdapter, StoredObject, WriteCondition } from './types.js';

/** Object metadata that identifies one `put` call, so an ambiguous retry can tell whether it won. */
export const WRITE_ID = 'btree-plugins-write-id';

/** The hint of a missing bucket, wherever an adapter finds out. */
export const MISSING_BUCKET_HINT = 'create the bucket or fix the `bucket` option';

/** What a bucket adapter's answer to a failure looks like, for {@link bucketHint}. */
export interface FailureKind {
  /** The backend said the bucket does not exist. */
  missingBucket?: boolean;
  /** The backend refused the credentials or their rights. */
  denied?: boolean;
  /** The HTTP status of the answer, when there was one. */
  status?: number;
}

/** The hint a {@link StorageError} of a bucket adapter carries, the same words on every backend. */
export function bucketHint({ missingBucket, denied, status }: FailureKind): string | undefined {
  if (missingBucket) return MISSING_BUCKET_HINT;
  if (denied) return 'check the credentials and that they may read and write this bucket';
  if (status !== undefined && (status === 429 || status >= 500)) return 'the backend is failing or throttling; it was retried with backoff — check its health';
  return undefined;
}

/**
 * Runs one backend request and resolves `undefined` when `isAbsent(error)` says the failure only
 * means "no such object". Other failures are rethrown for the retry loop to judge.
 */
export async function unlessAbsent<T>(request: Promise<T>, isAbsent: (error: unknown) => boolean): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
}

/** One page of a listing, as the backend returned it. */
export interface BucketPage {
  /** Full object names (prefix included) and their sizes. */
  objects: Array<{ name: string; size: number }>;
  /** Whether the backend says more pages follow. */
  truncated: boolean;
  /** The token of the next page, when there is one. */
  next?: string;
}

/** How a failed request is described in the {@link StorageError} the caller sees. */
export interface FailureReport {
  /** The backend's message, with its error code where the message lacks it. */
  detail: string;
  /** The HTTP status, or the network error code when there was no answer. */
  status?: number | string;
  hint?: string;
}

/**
 * The base of the S3 and GCS adapters. A subclass supplies its client, one request per operation
 * (without retries: the base retries), and how its SDK's errors read; the base does everything else.
 *
 * @typeParam Client what {@link connect} creates once: the SDK's client, and the SDK module where
 *   requests are built from its classes.
 */
export abstract class BucketAdapter<Client> implements StorageAdapter {
  /** Short adapter name used in errors and logs (`s3`, `gcs`). */
  abstract readonly name: string;
  /** The bucket this adapter writes to. */
  readonly bucket: string;
  /** The URL scheme of the backend's object URLs (`s3`, `gs`). */
  protected abstract readonly urlScheme: string;
  /** Keys per listing page (1–1000). */
  protected readonly pageSize: number;
  readonly #className: string;
  readonly #prefix: string;
  readonly #prefixBytes: number;
  readonly #retry: RetryPolicy;
  #ready: Promise<Client> | undefined;
  #disposed = false;

  /** @param className the public class, for option errors and {@link DisposedError} (e.g. `S3Storage`). */
  protected constructor(className: string, options: BucketAdapterOptions) {
    const settings = bucketAdapterSettings(className, options);
    this.#className = className;
    this.bucket = settings.bucket;
    this.#prefix = settings.prefix;
    this.#prefixBytes = settings.prefixBytes;
    this.#retry = settings.retry;
    this.pageSize = settings.pageSize;
  }

  /**
   * Throws {@link preconditionFailed} at once, before any request, for a condition that no object
   * on this backend can meet (GCS: an etag that is not a generation number). Absent: none such.
   */
  protected refuseImpossible?(key: string, condition: WriteCondition | DeleteCondition | undefined): void;
  /** Loads the SDK and creates (or adopts) the client; called once, again only after a failure. */
  protected abstract connect(): Promise<Client>;
  /** Releases a client the adapter created, on `dispose()`. Absent: nothing to release. */
  protected releaseClient?(client: Client): void;

  /**
   * Whether an answer of the backend is worth another attempt: `true`/`false` when `error` is an
   * answer the backend gave, `undefined` when it is not one (then network failures are retried).
   */
  protected abstract transientAnswer(error: unknown): boolean | undefined;
  /**
   * Whether a failed write may nevertheless have been applied (its answer was lost, or the server
   * failed after committing). Throttling and conflicts are refusals: nothing was written.
   */
  protected abstract mayHaveApplied(error: unknown): boolean;
  /** How an SDK failure reads in a {@link StorageError}. */
  protected abstract report(error: unknown): FailureReport;

  /** One read: the object, or `undefined` when the key is absent. */
  protected abstract getObject(full: string, key: string): Promise<StoredObject | undefined>;
  /**
   * One write attempt, tagged with `writeId` in the object's metadata. A failed `condition` throws
   * {@link preconditionFailed}; other failures are rethrown unchanged for the retry loop.
   */
  protected abstract putOnce(client: Client, full: string, key: string, body: Uint8Array, condition: WriteCondition | undefined, writeId: string): Promise<PutResult>;
  /** The object's current version when its metadata carries `writeId`, else `undefined`. */
  protected abstract writtenBy(full: string, key: string, writeId: string): Promise<PutResult | undefined>;
  /** One delete, with the adapter's own handling of absent keys and conditions. */
  protected abstract deleteObject(full: string, key: string, condition: DeleteCondition | undefined): Promise<void>;
  /** One page of the objects whose names start with `full`. */
  protected abstract listPage(client: Client, full: string, token: string | undefined): Promise<BucketPage>;

  async get(key: string): Promise<StoredObject | undefined> {
    return this.getObject(this.#key(key), key);
  }

  async put(key: string, body: Uint8Array, condition?: WriteCondition): Promise<PutResult> {
    const full = this.#key(key);
    if (!(body instanceof Uint8Array)) throw new InvalidInputError('put rejected', 'body must be a Uint8Array', { context: { key }, hint: 'encode text with new TextEncoder().encode(text)' });
    this.refuseImpossible?.(key, condition);
    const writeId = crypto.randomUUID();
    let ambiguous = false;
    try {
      return await this.call('put', key, async (client) => {
        try {
          return await this.putOnce(client, full, key, body, condition, writeId);
        } catch (error) {
          if (this.#isTransient(error) && this.mayHaveApplied(error)) ambiguous = true;
          throw error;
        }
      });
    } catch (error) {
      // An earlier attempt may have been applied with its answer lost; the retry then fails its
      // own condition. The write id in the object's metadata tells whether that write was ours.
      if (ambiguous && condition && isBtreePluginsError(error, 'PreconditionFailedError')) {
        const mine = await this.writtenBy(full, key, writeId);
        if (mine) return mine;
      }
      throw error;
    }
  }

  async delete(key: string, condition?: DeleteCondition): Promise<void> {
    const full = this.#key(key);
    this.refuseImpossible?.(key, condition);
    await this.deleteObject(full, key, condition);
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    this.#alive();
    assertValidPrefix(prefix, this.#prefixBytes);
    const full = this.#prefix + prefix;
    let token: string | undefined;
    do {
      const page = await this.call('list', undefined, (client) => this.listPage(client, full, token));
      for (const object of page.objects) {
        if (!object.name.startsWith(full)) continue;
        const key = object.name.slice(this.#prefix.length);
        // File-system backed servers may list folder markers (`a/`); they are not keys.
        if (key === '' || key.endsWith('/')) continue;
        yield { key, size: object.size };
      }
      if (page.truncated && !page.next) {
        throw new StorageError(this.name, 'list', 'the server said the listing is truncated but gave no continuation token', {
          context: { bucket: this.bucket, prefix },
        });
      }
      token = page.truncated ? page.next : undefined;
    } while (token);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const ready = this.#ready;
    if (ready && this.releaseClient) {
      const client = await ready.then(
        (c) => ({ c }),
        () => undefined,
      );
      if (client) this.releaseClient(client.c);
    }
  }

  /** Runs one backend call with retries, mapping failures to this library's errors. */
  protected async call<T>(operation: string, key: string | undefined, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.#client();
    try {
      return await withRetry(this.#retry, (error) => this.#isTransient(error), () => {
        this.#alive();
        return fn(client);
      });
    } catch (error) {
      if (isBtreePluginsError(error)) throw error;
      throw this.#storageError(operation, key, error);
    }
  }

  /**
   * The error of a condition that does not hold.
   * @param mismatch what a stale version is called on this backend (`etag mismatch`).
   */
  protected preconditionFailed(key: string, condition: WriteCondition | DeleteCondition | undefined, cause: unknown, mismatch: string): PreconditionFailedError {
    const detail =
      condition && 'ifNoneMatch' in condition && condition.ifNoneMatch === '*'
        ? 'the key already exists (ifNoneMatch: *)'
        : `the key was changed or deleted since it was read (${mismatch})`;
    return new PreconditionFailedError(this.name, key, detail, { cause, context: { bucket: this.bucket } });
  }

  /** Loads the SDK and creates the client once. */
  #client(): Promise<Client> {
    this.#ready ??= this.connect();
    // A failed import must not stick: the host may install the package and try again.
    this.#ready.catch(() => (this.#ready = undefined));
    return this.#ready;
  }

  /** Whether a failure may succeed when tried again. */
  #isTransient(error: unknown): boolean {
    if (isBtreePluginsError(error)) return false;
    return this.transientAnswer(error) ?? isNetworkError(error);
  }

  #storageError(operation: string, key: string | undefined, error: unknown): StorageError {
    const { detail, status, hint } = this.report(error);
    return new StorageError(this.name, operation, detail, {
      key,
      status,
      retryable: this.#isTransient(error),
      cause: error,
      context: { bucket: this.bucket },
      hint,
    });
  }

  /** `<scheme>://<bucket>/<prefix><key>`, e.g. `s3://nodes/tenants/acme/…/bundle.js`. */
  objectUrl(key: string): string {
    assertValidKey(key, this.#prefixBytes);
    return `${this.urlScheme}://${this.bucket}/${this.#prefix}${key}`;
  }

  #alive(): void {
    if (this.#disposed) throw new DisposedError(this.#className);
  }

  #key(key: string): string {
    this.#alive();
    assertValidKey(key, this.#prefixBytes);
    return this.#prefix + key;
  }
}
