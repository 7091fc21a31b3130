/**
 * Google Cloud Storage, on `@google-cloud/storage` 7.x, an optional peer that is imported on first
 * use. Retries, key checks, listing and the recovery of lost answers are the shared ones of
 * bucket-adapter.ts; this file maps them to GCS's requests and errors.
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
import { StorageError, type PreconditionFailedError } from '../errors.js';
import { BucketAdapter, bucketHint, MISSING_BUCKET_HINT, unlessAbsent, WRITE_ID, type BucketPage, type FailureReport } from './bucket-adapter.js';
import { importOptional } from '../platform/optional-import.js';
import type { BucketAdapterOptions } from './bucket-options.js';
import type { DeleteCondition, PutResult, StoredObject, WriteCondition } from './types.js';

type GcsSdk = typeof import('@google-cloud/storage');

/** Options of {@link GcsStorage}. */
export interface GcsStorageOptions extends BucketAdapterOptions {
  /**
   * A `Storage` you own, or the options of one the adapter creates: `{ projectId, keyFilename,
   * apiEndpoint, … }` (`apiEndpoint` points it at an emulator such as fake-gcs-server). The
   * library's own retries are turned off in a `Storage` the adapter creates, so that `retry` alone
   * decides and conditional writes are never replayed behind the adapter's back. Default: `{}`
   * (project and credentials from the environment).
   */
  storage?: Storage | StorageOptions;
}

const ADAPTER = 'gcs';
const MISMATCH = 'generation mismatch';
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

const isNotFound = (error: unknown): boolean => statusOf(error) === 404;

/**
 * A {@link StorageAdapter} on a Google Cloud Storage bucket.
 *
 * @example
 * ```ts
 * import { GcsStorage } from '@wayfarer-ai/btree-plugins/storage/gcs';
 * const storage = new GcsStorage({ bucket: 'plugins', prefix: 'host-a/', storage: { projectId: 'my-project' } });
 * ```
 */
export class GcsStorage extends BucketAdapter<Storage> {
  readonly name = ADAPTER;
  protected readonly urlScheme = 'gs';
  readonly #storageOption: Storage | StorageOptions;
  /** Set once the bucket is known to exist, so a 404 on read can mean "no such key". */
  #bucketSeen = false;

  constructor(options: GcsStorageOptions) {
    super('GcsStorage', options);
    this.#storageOption = options.storage ?? {};
  }

  /** No object has a generation that is not a number: such a condition cannot hold. */
  protected override refuseImpossible(key: string, condition: WriteCondition | DeleteCondition | undefined): void {
    if (condition?.ifMatch !== undefined && !GENERATION.test(condition.ifMatch)) throw this.preconditionFailed(key, condition, undefined, MISMATCH);
  }

  // `Storage` holds no connections of its own to close (sockets belong to the shared agent), so
  // there is no `releaseClient`.
  protected async connect(): Promise<Storage> {
    const option = this.#storageOption;
    if (isStorage(option)) return option;
    const sdk = await importOptional<GcsSdk>('@google-cloud/storage', 'GcsStorage');
    return new sdk.Storage({ ...option, retryOptions: { ...option.retryOptions, autoRetry: false } });
  }

  protected async getObject(full: string, key: string): Promise<StoredObject | undefined> {
    const found = await this.call('get', key, (storage) => unlessAbsent(download(storage.bucket(this.bucket).file(full)), isNotFound));
    if (found) {
      this.#bucketSeen = true;
      return found;
    }
    // GCS answers 404 both for a missing object and a missing bucket; a missing bucket must
    // surface as an error, not as "absent".
    await this.#assertBucketExists('get', key);
    return undefined;
  }

  protected async putOnce(storage: Storage, full: string, key: string, body: Uint8Array, condition: WriteCondition | undefined, writeId: string): Promise<PutResult> {
    const ifGenerationMatch = condition?.ifNoneMatch === '*' ? 0 : condition?.ifMatch !== undefined ? Number(condition.ifMatch) : undefined;
    const file = storage.bucket(this.bucket).file(full);
    try {
      await file.save(Buffer.from(body.buffer, body.byteOffset, body.byteLength), {
        resumable: false,
        metadata: { metadata: { [WRITE_ID]: writeId } },
        ...(ifGenerationMatch !== undefined ? { preconditionOpts: { ifGenerationMatch } } : {}),
      });
    } catch (error) {
      if (statusOf(error) === 412) throw this.preconditionFailed(key, condition, error, MISMATCH);
      throw error;
    }
    const generation = String(file.metadata.generation ?? '');
    if (!generation) throw new StorageError(ADAPTER, 'put', 'the server returned no generation', { key, context: { bucket: this.bucket } });
    this.#bucketSeen = true;
    return { etag: generation };
  }

  protected async writtenBy(full: string, key: string, writeId: string): Promise<PutResult | undefined> {
    const current = await this.#metadata(full, key);
    return current?.metadata?.[WRITE_ID] === writeId && current.generation !== undefined ? { etag: String(current.generation) } : undefined;
  }

  protected async deleteObject(full: string, key: string, condition: DeleteCondition | undefined): Promise<void> {
    if (!condition) {
      const deleted = await this.call('delete', key, (storage) =>
        unlessAbsent(
          storage.bucket(this.bucket).file(full).delete().then(() => true),
          isNotFound,
        ),
      );
      // Deleting an absent key succeeds; deleting from a missing bucket must not.
      if (!deleted) await this.#assertBucketExists('delete', key);
      return;
    }
    // The delete itself carries `ifGenerationMatch`, which makes it atomic on GCS. Some emulators
    // (fake-gcs-server 1.55) ignore that precondition on DELETE, so the generation is also
    // checked first: a stale etag then fails there too (see docs/storage.md).
    const current = await this.#metadata(full, key);
    if (!current) await this.#assertBucketExists('delete', key);
    if (!current || String(current.generation) !== condition.ifMatch) throw this.preconditionFailed(key, condition, undefined, MISMATCH);
    await this.call('delete', key, async (storage) => {
      try {
        await storage.bucket(this.bucket).file(full).delete({ ifGenerationMatch: Number(condition.ifMatch) });
      } catch (error) {
        const status = statusOf(error);
        if (status === 412 || status === 404) throw this.preconditionFailed(key, condition, error, MISMATCH);
        throw error;
      }
    });
  }

  protected async listPage(storage: Storage, full: string, token: string | undefined): Promise<BucketPage> {
    const [files, next] = await storage.bucket(this.bucket).getFiles({ prefix: full, autoPaginate: false, maxResults: this.pageSize, pageToken: token });
    const pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken || undefined;
    return {
      objects: files.map((file) => ({ name: file.name, size: Number(file.metadata.size ?? 0) })),
      truncated: pageToken !== undefined,
      next: pageToken,
    };
  }

  protected transientAnswer(error: unknown): boolean | undefined {
    const status = statusOf(error);
    return status === undefined ? undefined : status === 408 || status === 429 || status >= 500;
  }

  protected mayHaveApplied(error: unknown): boolean {
    return statusOf(error) !== 429;
  }

  protected report(error: unknown): FailureReport {
    const e = error as GcsErrorShape | null;
    const status = statusOf(error);
    const reason = e?.errors?.[0]?.reason;
    const message = e?.message || String(error);
    return {
      detail: reason && !message.includes(reason) ? `${message} (${reason})` : message,
      status: status ?? (typeof e?.code === 'string' ? e.code : undefined),
      hint: bucketHint({ missingBucket: status === 404, denied: status === 401 || status === 403, status }),
    };
  }

  async #metadata(full: string, key: string): Promise<{ generation?: string | number; metadata?: Record<string, unknown> } | undefined> {
    const found = await this.call('get', key, (storage) => unlessAbsent(storage.bucket(this.bucket).file(full).getMetadata(), isNotFound));
    return found?.[0] as { generation?: string | number; metadata?: Record<string, unknown> } | undefined;
  }

  async #assertBucketExists(operation: string, key: string): Promise<void> {
    if (this.#bucketSeen) return;
    const [exists] = await this.call(operation, key, (storage) => storage.bucket(this.bucket).exists());
    if (!exists) {
      throw new StorageError(ADAPTER, operation, `the bucket ${this.bucket} does not exist`, {
        key,
        status: 404,
        context: { bucket: this.bucket },
        hint: MISSING_BUCKET_HINT,
      });
    }
    this.#bucketSeen = true;
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
