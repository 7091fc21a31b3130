/**
 * Google Cloud Storage, on `@google-cloud/storage` 7.x, an optional peer that is imported on first
 * use.
 *
 * Conditional writes map to GCS generation preconditions: create-only is an upload with
 * `ifGenerationMatch: 0`, compare-and-swap an upload with `ifGenerationMatch: <generation>`, and
 * the etag this adapter hands out is the object's generation. Uploads are single-request
 * (`resumable: false`), so each write is one atomic step on the server; a 412 becomes
 * {@link PreconditionFailedError}.
 *
 * @module
 */
import type { File, Storage, StorageOptions } from '@google-cloud/storage';
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

type GcsSdk = typeof import('@google-cloud/storage');

/** Options of {@link GcsStorage}. */
export interface GcsStorageOptions extends StorageAdapterOptions {
  /** The bucket. It must exist; the adapter never creates buckets. */
  bucket: string;
  /**
   * A `Storage` you own, or the options of one the adapter creates: `{ projectId, keyFilename,
   * apiEndpoint, … }` (`apiEndpoint` points it at an emulator such as fake-gcs-server). The
   * library's own retries are turned off in a `Storage` the adapter creates, so that `retry` alone
   * decides and conditional writes are never replayed behind the adapter's back. Default: `{}`
   * (project and credentials from the environment).
   */
  storage?: Storage | StorageOptions;
  /** Objects per listing page, 1–1000 (default 1000). */
  pageSize?: number;
}

const ADAPTER = 'gcs';
/** Custom metadata that identifies one `put` call, so an ambiguous retry can tell whether it won. */
const WRITE_ID = 'btree-plugins-write-id';
const GENERATION = /^[0-9]{1,19}$/;

interface GcsErrorShape {
  code?: number | string;
  message?: string;
  errors?: Array<{ reason?: string; message?: string }>;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as GcsErrorShape | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Whether a failure may succeed when tried again. */
function isTransient(error: unknown): boolean {
  if (isBtreePluginsError(error)) return false;
  const status = statusOf(error);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  return isNetworkError(error);
}

/** Whether a failed attempt may nevertheless have been applied (its answer was lost, or the server failed late). */
function mayHaveApplied(error: unknown): boolean {
  return statusOf(error) !== 429;
}

/**
 * A {@link StorageAdapter} on a Google Cloud Storage bucket.
 *
 * @example
 * ```ts
 * import { GcsStorage } from '@wayfarer-ai/btree-plugins/storage/gcs';
 * const storage = new GcsStorage({ bucket: 'plugins', prefix: 'host-a/', storage: { projectId: 'my-project' } });
 * ```
 */
export class GcsStorage implements StorageAdapter {
  readonly name = ADAPTER;
  /** The bucket this adapter writes to. */
  readonly bucket: string;
  readonly #prefix: string;
  readonly #prefixBytes: number;
  readonly #retry: RetryPolicy;
  readonly #pageSize: number;
  readonly #storageOption: Storage | StorageOptions;
  #ready: Promise<Storage> | undefined;
  /** Set once the bucket is known to exist, so a 404 on read can mean "no such key". */
  #bucketSeen = false;
  #disposed = false;

  constructor(options: GcsStorageOptions) {
    const settings = bucketAdapterSettings('GcsStorage', options);
    this.bucket = settings.bucket;
    this.#prefix = settings.prefix;
    this.#prefixBytes = settings.prefixBytes;
    this.#retry = settings.retry;
    this.#pageSize = settings.pageSize;
    this.#storageOption = options.storage ?? {};
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const full = this.#key(key);
    const found = await this.#call('get', key, async (storage) => {
      try {
        return await download(storage.bucket(this.bucket).file(full));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
    if (found) {
      this.#bucketSeen = true;
      return found;
    }
    // GCS answers 404 both for a missing object and a missing bucket; a missing bucket must
    // surface as an error, not as "absent".
    await this.#assertBucketExists('get', key);
    return undefined;
  }

  async put(key: string, body: Uint8Array, condition?: WriteCondition): Promise<PutResult> {
    const full = this.#key(key);
    if (!(body instanceof Uint8Array)) throw new TypeError('put(key, body): body must be a Uint8Array');
    let ifGenerationMatch: number | undefined;
    if (condition?.ifNoneMatch === '*') ifGenerationMatch = 0;
    else if (condition?.ifMatch !== undefined) {
      // No object has a generation that is not a number: the condition cannot hold.
      if (!GENERATION.test(condition.ifMatch)) throw this.#preconditionFailed(key, condition, undefined);
      ifGenerationMatch = Number(condition.ifMatch);
    }
    const writeId = crypto.randomUUID();
    const data = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    let ambiguous = false;
    try {
      const generation = await this.#call('put', key, async (storage) => {
        const file = storage.bucket(this.bucket).file(full);
        try {
          await file.save(data, {
            resumable: false,
            metadata: { metadata: { [WRITE_ID]: writeId } },
            ...(ifGenerationMatch !== undefined ? { preconditionOpts: { ifGenerationMatch } } : {}),
          });
        } catch (error) {
          if (statusOf(error) === 412) throw this.#preconditionFailed(key, condition, error);
          if (isTransient(error) && mayHaveApplied(error)) ambiguous = true;
          throw error;
        }
        return String(file.metadata.generation ?? '');
      });
      if (!generation) throw new StorageError(ADAPTER, 'put', 'the server returned no generation', { key, context: { bucket: this.bucket } });
      this.#bucketSeen = true;
      return { etag: generation };
    } catch (error) {
      // An earlier attempt may have been applied with its answer lost; the retry then fails its
      // own condition. The write id in the object's metadata tells whether that write was ours.
      if (ambiguous && condition && isBtreePluginsError(error, 'PreconditionFailedError')) {
        const current = await this.#metadata(full, key);
        if (current?.metadata?.[WRITE_ID] === writeId && current.generation !== undefined) return { etag: String(current.generation) };
      }
      throw error;
    }
  }

  async delete(key: string, condition?: DeleteCondition): Promise<void> {
    const full = this.#key(key);
    if (!condition) {
      const deleted = await this.#call('delete', key, async (storage) => {
        try {
          await storage.bucket(this.bucket).file(full).delete();
          return true;
        } catch (error) {
          if (statusOf(error) === 404) return false;
          throw error;
        }
      });
      // Deleting an absent key succeeds; deleting from a missing bucket must not.
      if (!deleted) await this.#assertBucketExists('delete', key);
      return;
    }
    if (!GENERATION.test(condition.ifMatch)) throw this.#preconditionFailed(key, condition, undefined);
    // The delete itself carries `ifGenerationMatch`, which makes it atomic on GCS. Some emulators
    // (fake-gcs-server 1.55) ignore that precondition on DELETE, so the generation is also
    // checked first: a stale etag then fails there too (see docs/storage.md).
    const current = await this.#metadata(full, key);
    if (!current) await this.#assertBucketExists('delete', key);
    if (!current || String(current.generation) !== condition.ifMatch) throw this.#preconditionFailed(key, condition, undefined);
    await this.#call('delete', key, async (storage) => {
      try {
        await storage.bucket(this.bucket).file(full).delete({ ifGenerationMatch: Number(condition.ifMatch) });
      } catch (error) {
        const status = statusOf(error);
        if (status === 412 || status === 404) throw this.#preconditionFailed(key, condition, error);
        throw error;
      }
    });
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    this.#alive();
    assertValidPrefix(prefix, this.#prefixBytes);
    const full = this.#prefix + prefix;
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.#call('list', undefined, (storage) =>
        storage.bucket(this.bucket).getFiles({ prefix: full, autoPaginate: false, maxResults: this.#pageSize, pageToken }),
      );
      for (const file of files) {
        if (!file.name.startsWith(full)) continue;
        const key = file.name.slice(this.#prefix.length);
        if (key === '' || key.endsWith('/')) continue;
        yield { key, size: Number(file.metadata.size ?? 0) };
      }
      pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken || undefined;
    } while (pageToken);
  }

  async dispose(): Promise<void> {
    // `Storage` holds no connections of its own to close; sockets belong to the shared agent.
    this.#disposed = true;
  }

  /** Loads the SDK and creates the client once. */
  #storage(): Promise<Storage> {
    this.#ready ??= (async () => {
      const option = this.#storageOption;
      if (isStorage(option)) return option;
      const sdk = await importOptional<GcsSdk>('@google-cloud/storage', 'GcsStorage');
      return new sdk.Storage({ ...option, retryOptions: { ...option.retryOptions, autoRetry: false } });
    })();
    // A failed import must not stick: the host may install the package and try again.
    this.#ready.catch(() => (this.#ready = undefined));
    return this.#ready;
  }

  /** Runs one backend call with retries, mapping failures to this library's errors. */
  async #call<T>(operation: string, key: string | undefined, fn: (storage: Storage) => Promise<T>): Promise<T> {
    const storage = await this.#storage();
    try {
      return await withRetry(this.#retry, isTransient, () => {
        this.#alive();
        return fn(storage);
      });
    } catch (error) {
      if (isBtreePluginsError(error)) throw error;
      throw this.#storageError(operation, key, error);
    }
  }

  async #metadata(full: string, key: string): Promise<{ generation?: string | number; metadata?: Record<string, unknown> } | undefined> {
    return this.#call('get', key, async (storage) => {
      try {
        const [metadata] = await storage.bucket(this.bucket).file(full).getMetadata();
        return metadata as { generation?: string | number; metadata?: Record<string, unknown> };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  async #assertBucketExists(operation: string, key: string): Promise<void> {
    if (this.#bucketSeen) return;
    const [exists] = await this.#call(operation, key, (storage) => storage.bucket(this.bucket).exists());
    if (!exists) {
      throw new StorageError(ADAPTER, operation, `the bucket ${this.bucket} does not exist`, {
        key,
        status: 404,
        context: { bucket: this.bucket },
        hint: 'create the bucket or fix the `bucket` option',
      });
    }
    this.#bucketSeen = true;
  }

  #preconditionFailed(key: string, condition: WriteCondition | DeleteCondition | undefined, cause: unknown): PreconditionFailedError {
    const detail =
      condition && 'ifNoneMatch' in condition && condition.ifNoneMatch === '*'
        ? 'the key already exists (ifNoneMatch: *)'
        : 'the key was changed or deleted since it was read (generation mismatch)';
    return new PreconditionFailedError(ADAPTER, key, detail, { cause, context: { bucket: this.bucket } });
  }

  #storageError(operation: string, key: string | undefined, error: unknown): StorageError {
    const e = error as GcsErrorShape | null;
    const status = statusOf(error);
    const reason = e?.errors?.[0]?.reason;
    const message = e?.message || String(error);
    return new StorageError(ADAPTER, operation, reason && !message.includes(reason) ? `${message} (${reason})` : message, {
      key,
      status: status ?? (typeof e?.code === 'string' ? e.code : undefined),
      retryable: isTransient(error),
      cause: error,
      context: { bucket: this.bucket },
      hint: hintFor(status),
    });
  }

  #alive(): void {
    if (this.#disposed) throw new DisposedError('GcsStorage');
  }

  #key(key: string): string {
    this.#alive();
    assertValidKey(key, this.#prefixBytes);
    return this.#prefix + key;
  }
}

/** Downloads an object's bytes and the generation they belong to, in one request. */
function download(file: File): Promise<StoredObject> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let generation: string | undefined;
    file
      .createReadStream()
      .on('response', (response: { headers?: Record<string, string | string[] | undefined> }) => {
        const header = response.headers?.['x-goog-generation'];
        generation = Array.isArray(header) ? header[0] : header;
      })
      .on('data', (chunk: Buffer) => chunks.push(chunk))
      .on('error', reject)
      .on('end', () => {
        if (!generation) {
          reject(new StorageError(ADAPTER, 'get', 'the server sent no x-goog-generation header', { key: file.name }));
          return;
        }
        const body = Buffer.concat(chunks);
        resolve({ body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), etag: generation });
      });
  });
}

function isStorage(value: unknown): value is Storage {
  return typeof (value as { bucket?: unknown } | null)?.bucket === 'function';
}

function hintFor(status: number | undefined): string | undefined {
  if (status === 404) return 'create the bucket or fix the `bucket` option';
  if (status === 401 || status === 403) return 'check the credentials and that they may read and write this bucket';
  if (status !== undefined && (status === 429 || status >= 500)) return 'the backend is failing or throttling; it was retried with backoff — check its health';
  return undefined;
}
