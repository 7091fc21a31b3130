/**
 * The storage contract every adapter implements (memory, fs, s3, gcs). The registry keeps
 * tenants' bundles and index documents here for years, so the contract is small and strict:
 * conditional writes are atomic, a write is never torn, and a listing returns every key once.
 *
 * See docs/storage.md for the key grammar and each adapter's guarantees.
 *
 * @module
 */

/** An object as stored: its bytes and an opaque version tag for compare-and-swap. */
export interface StoredObject {
  /** The object's bytes (a copy the caller owns). */
  body: Uint8Array;
  /**
   * Opaque version tag. It changes on every successful write of the key; pass it back as
   * `{ ifMatch: etag }` to write only if nobody wrote in between.
   */
  etag: string;
}

/**
 * Condition for a write:
 * - `{ ifNoneMatch: '*' }` — create only: fails if the key exists.
 * - `{ ifMatch: etag }` — compare-and-swap: fails unless the key exists with exactly this etag.
 *
 * A failed condition throws {@link PreconditionFailedError}.
 */
export type WriteCondition = { ifNoneMatch: '*'; ifMatch?: never } | { ifMatch: string; ifNoneMatch?: never };

/** Condition for a delete: only delete the key if it still has this etag. */
export interface DeleteCondition {
  ifMatch: string;
}

/** Result of a successful write. */
export interface PutResult {
  /** The etag of the object just written. */
  etag: string;
}

/** One entry of a listing. */
export interface ListedObject {
  /** The full key, relative to the adapter's own prefix (never including it). */
  key: string;
  /** Size of the object in bytes. */
  size: number;
}

/**
 * A key/value object store with conditional writes.
 *
 * @example
 * ```ts
 * const found = await storage.get('tenants/acme/index.json');
 * if (!found) await storage.put('tenants/acme/index.json', bytes, { ifNoneMatch: '*' });
 * else await storage.put('tenants/acme/index.json', next, { ifMatch: found.etag });
 * ```
 */
export interface StorageAdapter {
  /** Short adapter name used in errors and logs: `memory`, `fs`, `s3`, `gcs`. */
  readonly name: string;

  /** Read a key. Resolves `undefined` when the key does not exist. */
  get(key: string): Promise<StoredObject | undefined>;

  /**
   * Write a key, atomically: readers see the old bytes or the new ones, never a mix.
   * @throws PreconditionFailedError when `condition` does not hold.
   */
  put(key: string, body: Uint8Array, condition?: WriteCondition): Promise<PutResult>;

  /**
   * Delete a key. Deleting an absent key without a condition succeeds.
   * @throws PreconditionFailedError when `condition` is given and the key is absent or has another etag.
   */
  delete(key: string, condition?: DeleteCondition): Promise<void>;

  /**
   * Every key under `prefix`, across all pages. `prefix` is `''` (everything) or a folder that
   * ends with `/` (for example `tenants/acme/`); keys of a sibling folder (`tenants/acme2/…`)
   * never appear. Order is unspecified; each key appears exactly once.
   */
  list(prefix: string): AsyncIterable<ListedObject>;

  /**
   * A URL naming the object a key is stored as (`s3://bucket/prefix/key`, `gs://…`, `file:///…`,
   * `memory:///…`), for records outside the store — e.g. the Postgres metadata's `bundle_url`.
   * Checks the key; reads nothing.
   */
  objectUrl?(key: string): string;

  /** Release connections, file handles and timers. Further calls throw {@link DisposedError}. */
  dispose(): Promise<void>;
}

/** Options every adapter accepts. */
export interface StorageAdapterOptions {
  /**
   * A folder inside the backend that this adapter owns, e.g. `'host-a/'`, so that several hosts can
   * share one bucket or directory without seeing each other's keys. Must follow the key grammar and
   * end with `/`.
   */
  prefix?: string;
  /** How transient backend failures are retried. */
  retry?: RetryOptions;
}

/** How transient failures are retried: exponential backoff with full jitter. */
export interface RetryOptions {
  /** Attempts in total, including the first (default 5). */
  attempts?: number;
  /** Delay before the first retry in ms (default 50). Doubles each retry. */
  baseDelayMs?: number;
  /** Upper bound of one delay in ms (default 2,000). */
  maxDelayMs?: number;
}
