/**
 * In-memory storage: for hosts' unit tests and the test host. Same contract and the same
 * conditional-write semantics as the durable adapters; nothing survives the process.
 *
 * @module
 */
import { DisposedError, InvalidInputError, PreconditionFailedError } from '../errors.js';
import { assertValidKey, assertValidPrefix, normalizeAdapterPrefix, utf8Length } from './keys.js';
import type {
  DeleteCondition,
  ListedObject,
  PutResult,
  StorageAdapter,
  StorageAdapterOptions,
  StoredObject,
  WriteCondition,
} from './types.js';

/**
 * The shared object map behind one or more {@link MemoryStorage} instances, standing in for a
 * bucket: two adapters with different prefixes on one backend never see each other's keys.
 */
export class MemoryBackend {
  /** @internal */ readonly objects = new Map<string, { body: Uint8Array; etag: string }>();
  /** @internal */ generation = 0;
}

/** Options of {@link MemoryStorage}. */
export interface MemoryStorageOptions extends Pick<StorageAdapterOptions, 'prefix'> {
  /** Share a backend between adapters (default: a private one). */
  backend?: MemoryBackend;
}

/**
 * A {@link StorageAdapter} that keeps objects in process memory.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from '@wayfarer-ai/btree-plugins/storage/memory';
 * const storage = new MemoryStorage();
 * ```
 */
export class MemoryStorage implements StorageAdapter {
  readonly name = 'memory';
  readonly #backend: MemoryBackend;
  readonly #prefix: string;
  readonly #prefixBytes: number;
  #disposed = false;

  constructor(options: MemoryStorageOptions = {}) {
    this.#prefix = normalizeAdapterPrefix(options.prefix);
    this.#prefixBytes = utf8Length(this.#prefix);
    this.#backend = options.backend ?? new MemoryBackend();
  }

  /** `memory:///<prefix><key>`. */
  objectUrl(key: string): string {
    return `memory:///${this.#key(key)}`;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const full = this.#key(key);
    const found = this.#backend.objects.get(full);
    return found && { body: found.body.slice(), etag: found.etag };
  }

  async put(key: string, body: Uint8Array, condition?: WriteCondition): Promise<PutResult> {
    const full = this.#key(key);
    if (!(body instanceof Uint8Array)) throw new InvalidInputError('put rejected', 'body must be a Uint8Array', { context: { key }, hint: 'encode text with new TextEncoder().encode(text)' });
    const current = this.#backend.objects.get(full);
    if (condition?.ifNoneMatch === '*' && current) {
      throw new PreconditionFailedError(this.name, key, 'the key already exists (ifNoneMatch: *)');
    }
    if (condition?.ifMatch !== undefined && current?.etag !== condition.ifMatch) {
      throw new PreconditionFailedError(
        this.name,
        key,
        current ? 'the key was changed since it was read (etag mismatch)' : 'the key does not exist (ifMatch)',
      );
    }
    const etag = `m${++this.#backend.generation}`;
    this.#backend.objects.set(full, { body: body.slice(), etag });
    return { etag };
  }

  async delete(key: string, condition?: DeleteCondition): Promise<void> {
    const full = this.#key(key);
    const current = this.#backend.objects.get(full);
    if (condition && current?.etag !== condition.ifMatch) {
      throw new PreconditionFailedError(
        this.name,
        key,
        current ? 'the key was changed since it was read (etag mismatch)' : 'the key does not exist (ifMatch)',
      );
    }
    this.#backend.objects.delete(full);
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    this.#alive();
    assertValidPrefix(prefix, this.#prefixBytes);
    const full = this.#prefix + prefix;
    // Snapshot the keys first so that writes during iteration cannot skip or repeat a key.
    const hits = [...this.#backend.objects].filter(([k]) => k.startsWith(full));
    for (const [k, v] of hits) yield { key: k.slice(this.#prefix.length), size: v.body.byteLength };
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
  }

  #alive(): void {
    if (this.#disposed) throw new DisposedError('MemoryStorage');
  }

  #key(key: string): string {
    this.#alive();
    assertValidKey(key, this.#prefixBytes);
    return this.#prefix + key;
  }
}
