/**
 * Reading and writing the registry's JSON documents, and create-only writes that tolerate an
 * identical object already being there (the idempotent path of concurrent writers).
 *
 * @module
 */
import { IntegrityError, isBtreePluginsError, StorageError } from '../errors.js';
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
