/**
 * File-system storage: objects are files under one root directory. Writes are atomic and durable
 * (temp file in the same directory, fsync, rename or link, fsync of the directory), and
 * create-only and compare-and-swap hold across OS processes sharing the root, not only inside one.
 *
 * - Create-only (`ifNoneMatch: '*'`): `link()` of the fully written temp file to the object's name;
 *   the kernel fails it with EEXIST atomically when the key exists.
 * - Compare-and-swap, plain overwrite and delete: under a per-key lock file (see fs-lock.ts), the
 *   current etag is read and the temp file renamed over the object.
 * - A crash leaves the old object or the new one, never a torn one; leftover temp files are
 *   ignored by get/list and swept by `list` once older than `scratchStaleMs`.
 * - The adapter never follows a symbolic link below `root`, so nothing is read or written outside it.
 *
 * Key → file name encoding: see fs-names.ts. File format and etags: see fs-object.ts.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DisposedError, InvalidInputError, PreconditionFailedError, StorageError, isBtreePluginsError } from '../errors.js';
import { acquireLock } from './fs-lock.js';
import type { LockOptions } from './fs-lock.js';
import { classifyName, decodeSegment, encodeSegment, isHashedName, objectName, scratchName } from './fs-names.js';
import { FIXED_HEADER_BYTES, encodeHeader, headerBytes, parseFixedHeader, parseHeaderKey, parseObject } from './fs-object.js';
import { assertValidKey, assertValidPrefix, MAX_KEY_BYTES, normalizeAdapterPrefix, utf8Length } from './keys.js';
import { retryPolicy, withRetry } from './retry.js';
import type { RetryPolicy } from './retry.js';
import type {
  DeleteCondition,
  ListedObject,
  PutResult,
  StorageAdapter,
  StorageAdapterOptions,
  StoredObject,
  WriteCondition,
} from './types.js';

/** Options of {@link FsStorage}. */
export interface FsStorageOptions extends StorageAdapterOptions {
  /** The directory that holds the objects. Created when missing. Nothing outside it is touched. */
  root: string;
  /**
   * A per-key lock older than this (ms) whose owner process is dead is broken (default 10,000).
   * Locks are held for milliseconds; a lock written by another host is broken on age alone.
   */
  lockStaleMs?: number;
  /** How long a write waits for a busy per-key lock before failing with a retryable StorageError (ms, default 30,000). */
  lockTimeoutMs?: number;
  /** Temp files a crashed writer left behind are removed by `list` once older than this (ms, default 600,000). */
  scratchStaleMs?: number;
}

/** Errno codes worth retrying: resource exhaustion and interruptions, not logic errors. */
const TRANSIENT_CODES = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'EINTR', 'ETIMEDOUT', 'ENOBUFS']);
const LIST_BATCH = 64;

function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isTransient(e: unknown): boolean {
  return TRANSIENT_CODES.has(errnoCode(e) ?? '');
}

/** Where a key lives: encoded directory names below the root and the encoded last segment. */
interface Location {
  key: string;
  fullKey: string;
  dirNames: string[];
  segmentName: string;
}

type ConditionKind = 'none' | 'create' | 'match';

function conditionKind(condition: WriteCondition | undefined): ConditionKind {
  if (condition === undefined) return 'none';
  const c = condition as { ifNoneMatch?: unknown; ifMatch?: unknown };
  if (c.ifNoneMatch !== undefined && c.ifMatch !== undefined) {
    throw new InvalidInputError('invalid write condition', 'ifNoneMatch and ifMatch cannot be combined', {
      hint: "pass { ifNoneMatch: '*' } to create only, or { ifMatch: etag } to compare-and-swap",
    });
  }
  if (c.ifNoneMatch === '*') return 'create';
  if (typeof c.ifMatch === 'string') return 'match';
  throw new InvalidInputError('invalid write condition', `got ${JSON.stringify(condition)}`, {
    hint: "pass { ifNoneMatch: '*' } to create only, or { ifMatch: etag } to compare-and-swap",
  });
}

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidInputError('invalid FsStorage option', `${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/**
 * A {@link StorageAdapter} over a local (or NFSv3+) directory, safe for several processes.
 *
 * @example
 * ```ts
 * import { FsStorage } from '@wayfarer-ai/btree-plugins/storage/fs';
 * const storage = new FsStorage({ root: '/var/lib/btree-plugins', prefix: 'host-a/' });
 * ```
 */
export class FsStorage implements StorageAdapter {
  readonly name = 'fs';
  /** The root directory, as an absolute path. */
  readonly root: string;
  readonly #prefix: string;
  readonly #prefixBytes: number;
  readonly #policy: RetryPolicy;
  readonly #lock: LockOptions;
  readonly #scratchStaleMs: number;
  #realRoot: Promise<string> | undefined;
  #disposed = false;

  constructor(options: FsStorageOptions) {
    if (typeof options?.root !== 'string' || options.root === '' || options.root.includes('\0')) {
      throw new InvalidInputError('FsStorage needs a root directory', `got root=${JSON.stringify(options?.root)}`, {
        hint: "pass { root: '/path/to/store' }",
      });
    }
    this.root = resolve(options.root);
    this.#prefix = normalizeAdapterPrefix(options.prefix);
    this.#prefixBytes = utf8Length(this.#prefix);
    this.#policy = retryPolicy(options.retry);
    this.#lock = {
      staleMs: positiveOption('lockStaleMs', options.lockStaleMs, 10_000),
      timeoutMs: positiveOption('lockTimeoutMs', options.lockTimeoutMs, 30_000),
    };
    this.#scratchStaleMs = positiveOption('scratchStaleMs', options.scratchStaleMs, 600_000);
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const loc = this.#locate(key);
    try {
      return await withRetry(this.#policy, isTransient, async () => {
        const dir = await this.#dir(loc.dirNames, false, key);
        if (dir === undefined) return undefined;
        const path = join(dir, objectName(loc.segmentName));
        const file = await readNoFollow(path, key);
        if (file === undefined) return undefined;
        const parsed = parseObject(file);
        if (typeof parsed === 'string') throw corrupt(path, key, parsed);
        if (parsed.fullKey !== loc.fullKey) {
          throw corrupt(path, key, `the file holds key ${JSON.stringify(parsed.fullKey)} (a name collision or a moved file)`);
        }
        return { body: new Uint8Array(parsed.body), etag: parsed.writeId };
      });
    } catch (e) {
      throw this.#wrap('get', key, e);
    }
  }

  async put(key: string, body: Uint8Array, condition?: WriteCondition): Promise<PutResult> {
    const loc = this.#locate(key);
    if (!(body instanceof Uint8Array)) throw new InvalidInputError('put rejected', 'body must be a Uint8Array', { context: { key }, hint: 'encode text with new TextEncoder().encode(text)' });
    const kind = conditionKind(condition);
    const ifMatch = kind === 'match' ? (condition as { ifMatch: string }).ifMatch : undefined;
    let scratch: string | undefined;
    try {
      const dir = (await withRetry(this.#policy, isTransient, () => this.#dir(loc.dirNames, true, key)))!;
      const path = join(dir, objectName(loc.segmentName));
      // Cheap early answer for a stale etag: no temp file, no lock. Re-checked under the lock.
      if (ifMatch !== undefined) this.#checkEtag(key, await readWriteId(path, key), ifMatch);

      const writeId = randomBytes(16).toString('hex');
      const header = encodeHeader(loc.fullKey, body, writeId);
      const writeTemp = (): Promise<string> => withRetry(this.#policy, isTransient, () => writeScratch(dir, loc.segmentName, header, body));

      if (kind === 'create') {
        scratch = await writeTemp();
        try {
          await fsp.link(scratch, path);
        } catch (e) {
          if (errnoCode(e) === 'EEXIST') throw new PreconditionFailedError(this.name, key, 'the key already exists (ifNoneMatch: *)');
          if (errnoCode(e) === 'EPERM' || errnoCode(e) === 'ENOTSUP' || errnoCode(e) === 'EOPNOTSUPP') {
            throw new StorageError(this.name, 'put', `the file system refused link(): ${(e as Error).message}`, {
              key,
              status: errnoCode(e),
              cause: e,
              hint: 'FsStorage needs a file system with hard links (ext4, xfs, btrfs, APFS, NFSv3+)',
            });
          }
          throw e;
        }
        await fsp.unlink(scratch);
        scratch = undefined;
        await syncDir(dir);
        return { etag: writeId };
      }

      // The temp file is written under the lock: when many clients race on one key, the losers
      // fail on the etag check without having paid for writing and fsyncing their bytes.
      // An etag mismatch is final (write ids never repeat), so checking before the lock file is
      // taken is a sound early failure; the check under the lock is the one that decides success.
      const checkEtag = async (): Promise<void> => {
        if (ifMatch !== undefined) this.#checkEtag(key, await readWriteId(path, key), ifMatch);
      };
      const lock = await acquireLock(dir, loc.segmentName, key, this.#lock, checkEtag);
      try {
        await checkEtag();
        scratch = await writeTemp();
        await fsp.rename(scratch, path);
        scratch = undefined;
        // Durable before the lock is released, so a later writer never builds on a rename a crash could undo.
        await syncDir(dir);
      } finally {
        await lock.release();
      }
      return { etag: writeId };
    } catch (e) {
      throw this.#wrap('put', key, e);
    } finally {
      if (scratch !== undefined) await fsp.unlink(scratch).catch(() => {});
    }
  }

  async delete(key: string, condition?: DeleteCondition): Promise<void> {
    const loc = this.#locate(key);
    if (condition !== undefined && typeof condition?.ifMatch !== 'string') {
      throw new InvalidInputError('invalid delete condition', `got ${JSON.stringify(condition)}`, {
        hint: 'pass { ifMatch: etag } or no condition',
      });
    }
    const ifMatch = condition?.ifMatch;
    try {
      const dir = await withRetry(this.#policy, isTransient, () => this.#dir(loc.dirNames, false, key));
      if (dir === undefined) {
        if (ifMatch !== undefined) this.#checkEtag(key, undefined, ifMatch);
        return;
      }
      const path = join(dir, objectName(loc.segmentName));
      if (ifMatch !== undefined) this.#checkEtag(key, await readWriteId(path, key), ifMatch);
      const checkEtag = async (): Promise<void> => {
        if (ifMatch !== undefined) this.#checkEtag(key, await readWriteId(path, key), ifMatch);
      };
      const lock = await acquireLock(dir, loc.segmentName, key, this.#lock, checkEtag);
      try {
        await checkEtag();
        try {
          await fsp.unlink(path);
        } catch (e) {
          if (errnoCode(e) !== 'ENOENT') throw e;
          return;
        }
        await syncDir(dir);
      } finally {
        await lock.release();
      }
    } catch (e) {
      throw this.#wrap('delete', key, e);
    }
  }

  /** `file://` URL of the key under the root (the logical key; segments are stored encoded). */
  objectUrl(key: string): string {
    assertValidKey(key, this.#prefixBytes);
    return pathToFileURL(join(this.root, ...(this.#prefix + key).split('/'))).href;
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    this.#alive();
    assertValidPrefix(prefix, this.#prefixBytes);
    const full = this.#prefix + prefix;
    const segments = full === '' ? [] : full.slice(0, -1).split('/');
    let dir: string | undefined;
    try {
      dir = await withRetry(this.#policy, isTransient, () => this.#dir(segments.map(encodeSegment), false, prefix));
    } catch (e) {
      throw this.#wrap('list', prefix, e);
    }
    if (dir === undefined) return;
    yield* this.#walk(dir, segments, full, prefix);
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
  }

  /**
   * Depth-first walk. `keySegments` is the decoded key of `dir`, or undefined below a hashed
   * directory name (then each object's key is read from its header).
   */
  async *#walk(dir: string, keySegments: string[] | undefined, fullPrefix: string, prefix: string): AsyncGenerator<ListedObject> {
    this.#alive();
    let entries: Dirent[];
    try {
      entries = await withRetry(this.#policy, isTransient, () => fsp.readdir(dir, { withFileTypes: true }));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      throw this.#wrap('list', prefix, e);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const objects: string[] = [];
    const dirs: string[] = [];
    const scratch: string[] = [];
    for (const entry of entries) {
      if (entry.isSymbolicLink()) continue; // never followed, never listed
      const { kind, segmentName } = classifyName(entry.name);
      if (kind === 'object' && entry.isFile()) objects.push(segmentName);
      else if (kind === 'dir' && entry.isDirectory()) dirs.push(segmentName);
      else if (kind === 'scratch' && entry.isFile()) scratch.push(entry.name);
    }
    for (let i = 0; i < objects.length; i += LIST_BATCH) {
      const batch = objects.slice(i, i + LIST_BATCH);
      let found: Array<ListedObject | undefined>;
      try {
        found = await Promise.all(batch.map((name) => this.#describe(dir, name, keySegments, fullPrefix)));
      } catch (e) {
        throw this.#wrap('list', prefix, e);
      }
      for (const item of found) if (item) yield item;
    }
    await this.#sweep(dir, scratch);
    for (const name of dirs) {
      const hashed = isHashedName(name);
      const segment = hashed ? undefined : decodeSegment(name);
      if (!hashed && segment === undefined) continue; // not ours
      const child = keySegments && segment !== undefined ? [...keySegments, segment] : undefined;
      yield* this.#walk(join(dir, name), child, fullPrefix, prefix);
    }
  }

  /** The listing entry of one object file, or undefined when it vanished or is not ours. */
  async #describe(dir: string, segmentName: string, keySegments: string[] | undefined, fullPrefix: string): Promise<ListedObject | undefined> {
    const path = join(dir, objectName(segmentName));
    const segment = isHashedName(segmentName) ? undefined : decodeSegment(segmentName);
    if (!isHashedName(segmentName) && segment === undefined) return undefined;
    let fullKey: string;
    let size: number;
    if (keySegments && segment !== undefined) {
      fullKey = [...keySegments, segment].join('/');
      const st = await withRetry(this.#policy, isTransient, () => fsp.lstat(path)).catch((e: unknown) => {
        if (errnoCode(e) === 'ENOENT') return undefined;
        throw e;
      });
      if (!st) return undefined;
      size = st.size;
    } else {
      const head = await readHead(path, FIXED_HEADER_BYTES + MAX_KEY_BYTES + 1);
      if (!head) return undefined;
      const recorded = parseHeaderKey(head.bytes);
      if (recorded === undefined) throw corrupt(path, undefined, 'the object header cannot be read');
      fullKey = recorded;
      size = head.size;
    }
    if (!fullKey.startsWith(fullPrefix) || !fullKey.startsWith(this.#prefix)) {
      throw corrupt(path, undefined, `the file holds key ${JSON.stringify(fullKey)}, which does not belong here`);
    }
    const bodySize = size - headerBytes(utf8Length(fullKey));
    if (bodySize < 0) throw corrupt(path, undefined, 'the file is shorter than its header');
    return { key: fullKey.slice(this.#prefix.length), size: bodySize };
  }

  /** Removes temp files a crashed writer left behind, once they are older than scratchStaleMs. */
  async #sweep(dir: string, names: string[]): Promise<void> {
    const cutoff = Date.now() - this.#scratchStaleMs;
    await Promise.all(
      names.map(async (name) => {
        const path = join(dir, name);
        const st = await fsp.lstat(path).catch(() => undefined);
        if (st && st.isFile() && st.mtimeMs < cutoff) await fsp.unlink(path).catch(() => {});
      }),
    );
  }

  #checkEtag(key: string, current: string | undefined, expected: string): void {
    if (current === expected) return;
    throw new PreconditionFailedError(
      this.name,
      key,
      current === undefined ? 'the key does not exist (ifMatch)' : 'the key was changed since it was read (etag mismatch)',
    );
  }

  #alive(): void {
    if (this.#disposed) throw new DisposedError('FsStorage');
  }

  /** Validates the key (before any I/O) and computes where it lives. */
  #locate(key: string): Location {
    this.#alive();
    assertValidKey(key, this.#prefixBytes);
    const fullKey = this.#prefix + key;
    const dirNames = fullKey.split('/').map(encodeSegment);
    const segmentName = dirNames.pop()!;
    return { key, fullKey, dirNames, segmentName };
  }

  /** The root's real path, created on first use. */
  #root(): Promise<string> {
    this.#realRoot ??= (async () => {
      await fsp.mkdir(this.root, { recursive: true });
      return fsp.realpath(this.root);
    })().catch((e: unknown) => {
      this.#realRoot = undefined;
      throw e;
    });
    return this.#realRoot;
  }

  /**
   * The directory at `names` below the root, checked to contain no symbolic link; created when
   * `create`, else undefined when missing.
   */
  async #dir(names: string[], create: boolean, key: string): Promise<string | undefined> {
    const root = await this.#root();
    const dir = join(root, ...names);
    let real: string;
    try {
      real = await fsp.realpath(dir);
    } catch (e) {
      const code = errnoCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      if (!create) return undefined;
      for (let i = 1; i <= names.length; i++) {
        const part = join(root, ...names.slice(0, i));
        await fsp.mkdir(part).catch((err: unknown) => {
          if (errnoCode(err) !== 'EEXIST') throw err;
        });
        const st = await fsp.lstat(part);
        if (st.isSymbolicLink()) throw symlinkRefused(part, key);
        if (!st.isDirectory()) {
          throw new StorageError(this.name, 'put', `${part} is in the way: it is not a directory`, {
            key,
            status: 'ENOTDIR',
            hint: 'remove foreign files from the storage root',
          });
        }
      }
      real = await fsp.realpath(dir);
    }
    // realpath resolves every symlink; anything but the path we built means one is planted below root.
    if (real !== dir) throw symlinkRefused(dir, key, real);
    return dir;
  }

  #wrap(operation: string, key: string, e: unknown): unknown {
    if (isBtreePluginsError(e) || e instanceof TypeError) return e;
    const code = errnoCode(e);
    return new StorageError(this.name, operation, (e as Error)?.message ?? String(e), {
      key,
      status: code,
      retryable: isTransient(e),
      cause: e,
    });
  }
}

function symlinkRefused(path: string, key: string, real?: string): StorageError {
  return new StorageError('fs', 'access', `refusing to follow a symbolic link below the root (${path}${real ? ` resolves to ${real}` : ''})`, {
    key,
    status: 'ESYMLINK',
    hint: 'remove symbolic links from the storage root; FsStorage never follows them, so that nothing outside root is read or written',
  });
}

function corrupt(path: string, key: string | undefined, why: string): StorageError {
  return new StorageError('fs', 'read', `the object file ${path} is damaged: ${why}`, {
    key,
    status: 'ECORRUPT',
    hint: 'restore the file from a backup or delete the key; it was not written by this adapter or was damaged on disk',
  });
}

/** Reads a whole file without following a symlink; undefined when absent. */
async function readNoFollow(path: string, key: string): Promise<Uint8Array | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
    if (errnoCode(e) === 'ELOOP') throw symlinkRefused(path, key);
    throw e;
  }
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Reads the first `length` bytes and the size of a file without following a symlink. */
async function readHead(path: string, length: number): Promise<{ bytes: Uint8Array; size: number } | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    if (errnoCode(e) === 'ELOOP') return undefined; // a planted symlink is not an object
    throw e;
  }
  try {
    const st = await handle.stat();
    const buffer = Buffer.alloc(Math.min(length, st.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, 0);
    return { bytes: buffer.subarray(0, bytesRead), size: st.size };
  } finally {
    await handle.close();
  }
}

/** The etag (write id) of the object at `path`, or undefined when absent. */
async function readWriteId(path: string, key: string): Promise<string | undefined> {
  const head = await readHeadOrRefuse(path, key);
  if (!head) return undefined;
  const fixed = parseFixedHeader(head);
  if (!fixed) throw corrupt(path, key, 'the file does not start with a valid object header');
  return fixed.writeId;
}

async function readHeadOrRefuse(path: string, key: string): Promise<Uint8Array | undefined> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    if (errnoCode(e) === 'ELOOP') throw symlinkRefused(path, key);
    throw e;
  }
  try {
    const buffer = Buffer.alloc(FIXED_HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, FIXED_HEADER_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Writes header + body to a new temp file next to the object and fsyncs it. Returns its path. */
async function writeScratch(dir: string, segmentName: string, header: Uint8Array, body: Uint8Array): Promise<string> {
  const path = join(dir, scratchName(segmentName));
  // 'wx' = O_CREAT|O_EXCL: never follows a planted symlink, never reuses a file.
  const handle = await fsp.open(path, 'wx');
  try {
    await writeAll(handle, header);
    await writeAll(handle, body);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => {});
    await fsp.unlink(path).catch(() => {});
    throw e;
  }
  await handle.close();
  return path;
}

async function writeAll(handle: fsp.FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

/** fsync a directory so that a rename, link or unlink in it survives a power loss. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (e) {
    // Some platforms (and some network file systems) cannot fsync a directory; the data itself was synced.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP'].includes(errnoCode(e) ?? '')) throw e;
  } finally {
    await handle.close();
  }
}
