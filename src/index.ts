/**
 * `@wayfarer-ai/btree-plugins`: tenant-authored nodes for `@wayfarer-ai/btree`.
 *
 * This entry stays light: it imports no cloud SDK, no Pyodide and no Temporal package.
 * Storage adapters live under `./storage/*`, Temporal under `./temporal` and `./workflow`.
 *
 * @module
 */
export * from './errors.js';
export type {
  StorageAdapter,
  StorageAdapterOptions,
  StoredObject,
  WriteCondition,
  DeleteCondition,
  PutResult,
  ListedObject,
  RetryOptions,
} from './storage-adapters/types.js';
export { assertValidKey, assertValidPrefix, MAX_KEY_BYTES, MAX_SEGMENT_BYTES } from './storage-adapters/keys.js';
