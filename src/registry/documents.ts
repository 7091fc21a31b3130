/**
 * Reading and writing the registry's JSON documents, and create-only writes that tolerate an
 * identical object already being there (the idempotent path of concurrent writers).
 *
 * @module
 */
import { ConflictError, IntegrityError, isBtreePluginsError, StorageError } from '../errors.js';
import { sha256Hex } from '../loader/hash.js';
import type { StorageAdapter } from '../storage-adapters/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 JSON bytes of a document. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses a stored document; a corrupt one is a {@link StorageError} naming the key. */
export function decodeJson<T>(storage: StorageAdapter, key: string, body: Uint8Array): T {
  try {
    return JSON.parse(decoder.decode(body)) as T;
  } catch (e) {
    throw new StorageError(storage.name, 'read', 'the stored document is not valid UTF-8 JSON', {
      key,
      cause: e,
      hint: 'the object was corrupted or written by something else; restore it from a backup',
    });
  }
}

/** Reads and parses a JSON document, or `undefined` when absent. */
export async function readJson<T>(storage: StorageAdapter, key: string): Promise<{ value: T; etag: string } | undefined> {
  const found = await storage.get(key);
  return found && { value: decodeJson<T>(storage, key, found.body), etag: found.etag };
}

/** True for a failed `ifNoneMatch` / `ifMatch` condition, from any copy of the library. */
export function isPreconditionFailed(e: unknown): boolean {
  return isBtreePluginsError(e, 'PreconditionFailedError');
}

/**
 * Writes `body` create-only. When the key already exists, succeeds only if the stored bytes have
 * the same sha256 (someone wrote the same object first) and throws {@link IntegrityError} otherwise.
 * @returns true when this call created the object.
 */
export async function putImmutable(
  storage: StorageAdapter,
  key: string,
  body: Uint8Array,
  context: Record<string, string>,
): Promise<boolean> {
  try {
    await storage.put(key, body, { ifNoneMatch: '*' });
    return true;
  } catch (e) {
    if (!isPreconditionFailed(e)) throw e;
  }
  const existing = await storage.get(key);
  const expected = sha256Hex(body);
  const actual = existing ? sha256Hex(existing.body) : 'absent';
  if (actual !== expected) {
    throw new IntegrityError('immutable object differs', expected, actual, {
      context: { ...context, key },
      hint:
        'the storage already holds other bytes under this key, so the metadata and the storage disagree ' +
        '(one of them was reset or restored from another backup, or is shared with another registry); ' +
        'move the stale object away and publish again, or publish under a new version',
    });
  }
  return false;
}

/** Retry policy of {@link casUpdate}. */
export interface CasRetry {
  /** Attempts in total (default 100). */
  attempts?: number;
  /** Upper bound of the first pause in ms (default 2); doubles per attempt, at most 100 ms. */
  baseDelayMs?: number;
}

/**
 * Changes one JSON document by compare-and-swap: reads it and its etag, applies `change` (a pure
 * function of the current value; `null` = nothing to do), and writes with `ifMatch` (or
 * create-only when absent). When another writer got there first it reads again after a jittered
 * pause, so concurrent changes from any number of processes are serialised and none is lost.
 * @returns the document as written, or as found for a no-op (`undefined`: absent and unchanged).
 * @throws ConflictError when the attempts are used up; whatever `change` throws, unchanged.
 */
export async function casUpdate<T>(
  storage: StorageAdapter,
  key: string,
  change: (current: T | undefined) => T | null,
  what: { summary: string; context: Record<string, string> },
  retry: CasRetry = {},
): Promise<T | undefined> {
  const attempts = retry.attempts ?? 100;
  const base = retry.baseDelayMs ?? 2;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await readJson<T>(storage, key);
    const next = change(current?.value);
    if (next === null) return current?.value;
    try {
      await storage.put(key, encodeJson(next), current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
      return next;
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      lastError = e;
      const cap = Math.min(100, base * 2 ** Math.min(attempt - 1, 16));
      await new Promise((r) => setTimeout(r, Math.random() * cap));
    }
  }
  throw new ConflictError(what.summary, `gave up after ${attempts} attempts: other writers kept changing the same document`, {
    context: what.context,
    hint: 'retry the operation',
    cause: lastError,
  });
}
