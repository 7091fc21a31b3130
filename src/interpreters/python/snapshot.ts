/**
 * Memory snapshots of a freshly booted Pyodide (with common modules imported), so that new
 * isolates start in ≈0.3 s instead of ≈3 s.
 *
 * A snapshot is only ever made by us, in a clean isolate that never ran tenant code, and cached in
 * memory (once per process and runtime) and on disk (`cacheDir`: by default a per-user cache
 * directory, see `cache-dir.ts`), keyed by the Pyodide version and the runtime hash (our sources,
 * the distribution, the memory cap). Snapshots are never accepted from tenants.
 *
 * The disk cache is shared by every process of the user, so:
 * - a file is written to a temp file in the same directory, flushed, then renamed over the final
 *   name: a reader sees the old file or the whole new one, never a partial one. Two processes that
 *   start together both make a snapshot and both rename; either file is whole and valid;
 * - a file carries a sha256 over its key and payload: a truncated, corrupt or foreign file (another
 *   version under this name) does not verify and is made again, never loaded;
 * - the V8 code cache of the isolate bundle is kept beside the snapshot, the same way, so that a
 *   restarted worker's first isolate does not compile the Pyodide glue again;
 * - after a write, snapshot and code-cache files of other runtimes (older Pyodide or library versions) are removed;
 *   temp files are removed only when stale (a writer that crashed), never one being written now;
 * - a directory that cannot be read or written costs speed only: one warning per directory, then
 *   memory only.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type ivm from 'isolated-vm';
import { isolatedVm } from '../../platform/isolated-vm.js';
import type { PyodideRuntime } from './pyodide-runtime.js';
import { PyodideIsolate } from './pyodide-isolate.js';
import { packSnapshot } from './snapshot-packing.js';

const MAGIC = Buffer.from('BTPYSNP3'); // 3: files hold a table of parts (a snapshot: its layout and its packed bytes)
const HEADER_BYTES = MAGIC.length + 32;
const FILE_PREFIX = 'pyodide-';
const FILE_SUFFIX = '.snapshot';
const CODE_CACHE_SUFFIX = '.codecache';
/** What this module writes into a cache directory, besides temp files. */
const OUR_SUFFIXES = [FILE_SUFFIX, CODE_CACHE_SUFFIX];
/** A temp file older than this belongs to a writer that died; younger ones may be in flight. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** How snapshots are made and cached. */
export interface SnapshotOptions {
  /** Directory for the on-disk cache; absent: memory only. */
  cacheDir?: string | undefined;
  jsHeapLimitMb: number;
  wasmBudgetPages: number;
  bootTimeoutMs: number;
}

/** A snapshot ready to be copied into isolates. */
export interface PyodideSnapshot {
  /** The snapshot packed without its zero pages (`snapshot-packing.ts`), or as Pyodide made it when `layout` is absent. */
  image: ivm.ExternalCopy<ArrayBuffer>;
  /** Where the packed image's zero pages go (a `Uint32Array`'s buffer); `undefined`: the image is not packed. */
  layout: ivm.ExternalCopy<ArrayBuffer> | undefined;
}

const inMemory = new Map<string, Promise<PyodideSnapshot>>();
const warned = new Set<string>();

/** The part of a snapshot file name shared by every memory cap of one runtime (version + hash). */
function runtimeStem(runtime: PyodideRuntime): string {
  return `${FILE_PREFIX}${runtime.dist.version}-${runtime.dist.runtimeHash.slice(0, 24)}-`;
}

/** File name of the on-disk snapshot of `runtime`. */
export function snapshotFileName(runtime: PyodideRuntime): string {
  return `${runtimeStem(runtime)}${runtime.wasmMaxPages}${FILE_SUFFIX}`;
}

/**
 * File name of the V8 code cache of the isolate bundle (the Pyodide glue): valid for one runtime and
 * one V8 version (V8 also refuses a cache made by another build or with other flags).
 */
export function codeCacheFileName(runtime: PyodideRuntime): string {
  return `${runtimeStem(runtime)}v8-${process.versions.v8}${CODE_CACHE_SUFFIX}`;
}

function codeCacheKey(runtime: PyodideRuntime): string {
  return `${runtime.dist.runtimeHash}:v8-${process.versions.v8}:code-cache`;
}

/**
 * Loads the bundle's V8 code cache from `dir` into `runtime.codeCache` when it is absent there and
 * the file verifies: a restarted worker's first isolate then skips compiling the glue. Fails soft.
 */
export async function loadCodeCache(runtime: PyodideRuntime, dir: string | undefined): Promise<void> {
  if (!dir || runtime.codeCache) return;
  const [bytes] = (await readSnapshotFile(join(dir, codeCacheFileName(runtime)), codeCacheKey(runtime), (e) => warnOnce(dir, 'read', e))) ?? [];
  if (bytes && !runtime.codeCache) {
    runtime.codeCache = externalCopyOf(bytes);
    runtime.codeCacheFromDisk = true;
  }
}

/** Writes `runtime.codeCache` to `dir` when it was made in this process (not loaded). Fails soft. */
export async function saveCodeCache(runtime: PyodideRuntime, dir: string | undefined): Promise<void> {
  if (!dir || !runtime.codeCache || runtime.codeCacheFromDisk) return;
  try {
    const bytes = new Uint8Array(runtime.codeCache.copy() as ArrayBuffer);
    await writeSnapshotFile(join(dir, codeCacheFileName(runtime)), [bytes], codeCacheKey(runtime));
    runtime.codeCacheFromDisk = true; // on disk now: written once per process
  } catch (e) {
    warnOnce(dir, 'write', e);
  }
}

/** The snapshot of `runtime`: from memory, else from the disk cache, else made now (and cached). */
export function getSnapshot(runtime: PyodideRuntime, options: SnapshotOptions): Promise<PyodideSnapshot> {
  let snapshot = inMemory.get(runtime.key);
  if (!snapshot) {
    snapshot = loadOrMake(runtime, options).catch((e: unknown) => {
      inMemory.delete(runtime.key);
      throw e;
    });
    inMemory.set(runtime.key, snapshot);
  }
  return snapshot;
}

async function loadOrMake(runtime: PyodideRuntime, options: SnapshotOptions): Promise<PyodideSnapshot> {
  const dir = options.cacheDir;
  const file = dir ? join(dir, snapshotFileName(runtime)) : undefined;
  // Kept packed without its zero pages (snapshot-packing.ts), on disk as in memory: half of 30 MB to
  // read, verify and copy into each isolate. The file holds two parts: the layout, the packed bytes.
  const parts = file ? await readSnapshotFile(file, runtime.key, (e) => warnOnce(dir!, 'read', e)) : undefined;
  const layout = parts?.length === 2 && parts[0]!.byteLength % 4 === 0 ? new Uint32Array(parts[0]!.buffer) : undefined;
  if (parts && layout) return { image: externalCopyOf(parts[1]!), layout: externalCopyOf(layout) };
  const image = await makeSnapshot(runtime, options);
  const packed = packSnapshot(image);
  if (!packed) return { image: externalCopyOf(image), layout: undefined }; // not Pyodide's header: whole, memory only
  if (dir && file) {
    try {
      await writeSnapshotFile(file, [new Uint8Array(packed.layout.buffer), packed.packed], runtime.key);
      await pruneSnapshotFiles(dir, runtimeStem(runtime));
    } catch (e) {
      warnOnce(dir, 'write', e);
    }
  }
  return { image: externalCopyOf(packed.packed), layout: externalCopyOf(packed.layout) };
}

/**
 * An `ExternalCopy` of the bytes. A view over a whole buffer of its own (what this module reads or
 * makes) is moved into it, not copied (a packed snapshot is ≈15 MB, ≈10 ms to copy), and must not be used after.
 */
function externalCopyOf(bytes: Uint8Array | Uint32Array): ivm.ExternalCopy<ArrayBuffer> {
  const ExternalCopy = isolatedVm().ExternalCopy;
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return new ExternalCopy(bytes.buffer as ArrayBuffer, { transferOut: true });
  return new ExternalCopy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

function warnOnce(dir: string, what: 'read' | 'write', e: unknown): void {
  if (warned.has(dir)) return;
  warned.add(dir);
  const reason = (e as { code?: string } | undefined)?.code ?? (e instanceof Error ? e.message : String(e));
  process.emitWarning(
    `Python snapshot cache [dir=${dir}]: cannot ${what} (${reason}); running without the disk cache, so each new process boots Pyodide cold (≈2 s). HINT: make the directory writable, set cacheDir to one that is, or cacheDir: false to silence this`,
    { code: 'BTREE_PLUGINS_SNAPSHOT_CACHE' },
  );
}

/** Boots a clean isolate in snapshot-maker mode and takes its memory snapshot. */
export async function makeSnapshot(runtime: PyodideRuntime, options: SnapshotOptions): Promise<Uint8Array> {
  const maker = await PyodideIsolate.create({
    runtime,
    makeSnapshot: true,
    jsHeapLimitMb: options.jsHeapLimitMb,
    wasmBudgetPages: options.wasmBudgetPages,
    bootTimeoutMs: options.bootTimeoutMs,
  });
  try {
    return await maker.makeSnapshot();
  } finally {
    maker.dispose();
  }
}

/** sha256 over the key and everything the file holds after the digest. */
function digestOf(key: string, parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256').update(key).update('\0');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The part table of a file: the number of parts, then each part's length (u32 little-endian). */
function partTable(parts: readonly Uint8Array[]): Buffer {
  const table = Buffer.alloc(4 * (parts.length + 1));
  table.writeUInt32LE(parts.length, 0);
  parts.forEach((part, i) => table.writeUInt32LE(part.byteLength, 4 * (i + 1)));
  return table;
}

/** More parts than any file of ours has: a count above it is not our file. */
const MAX_PARTS = 8;

/**
 * Reads a file written by {@link writeSnapshotFile} for `key`: its parts, each read straight into an
 * `ArrayBuffer` of its own (so that it can be handed on without another copy); `undefined` when
 * absent or not intact (truncated, corrupt, or written for another key or by another format).
 * Errors other than "absent" are passed to `onError` and count as absent.
 */
export async function readSnapshotFile(file: string, key: string, onError?: (e: unknown) => void): Promise<Uint8Array[] | undefined> {
  try {
    return await readVerifiedParts(file, key);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') onError?.(e);
    return undefined;
  }
}

async function readVerifiedParts(file: string, key: string): Promise<Uint8Array[] | undefined> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    /** Fills `target` from `position`; false when the file ends first (it shrank since the stat). */
    const fill = async (target: Uint8Array, position: number): Promise<boolean> => {
      for (let done = 0; done < target.byteLength; ) {
        const { bytesRead } = await handle.read(target, done, target.byteLength - done, position + done);
        if (bytesRead === 0) return false;
        done += bytesRead;
      }
      return true;
    };
    const header = Buffer.alloc(HEADER_BYTES + 4);
    if (size < header.length || !(await fill(header, 0)) || !header.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const count = header.readUInt32LE(HEADER_BYTES);
    if (count < 1 || count > MAX_PARTS || size < header.length + 4 * count) return undefined;
    const lengths = Buffer.alloc(4 * count);
    if (!(await fill(lengths, header.length))) return undefined;
    const parts: Uint8Array[] = [];
    let position = header.length + lengths.length;
    for (let i = 0; i < count; i++) {
      const length = lengths.readUInt32LE(4 * i);
      if (position + length > size) return undefined;
      const part = new Uint8Array(length);
      if (!(await fill(part, position))) return undefined;
      parts.push(part);
      position += length;
    }
    if (position !== size) return undefined;
    const table = Buffer.concat([header.subarray(HEADER_BYTES), lengths]);
    return digestOf(key, [table, ...parts]).equals(header.subarray(MAGIC.length, HEADER_BYTES)) ? parts : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file of one or more parts atomically: a temp file in the same directory (same file
 * system, so the rename is atomic), flushed to disk before the rename, with a magic header, a sha256
 * over `key` and everything after it, and a table of the parts' lengths.
 */
export async function writeSnapshotFile(file: string, parts: readonly Uint8Array[], key: string): Promise<void> {
  const dir = join(file, '..');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    const table = partTable(parts);
    await handle.writeFile(Buffer.concat([MAGIC, digestOf(key, [table, ...parts]), table, ...parts]));
    await handle.datasync();
  } catch (e) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await handle.close();
  try {
    await rename(tmp, file); // atomic: readers see the old file or the whole new one
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Removes from `dir` the snapshot and code-cache files of other runtimes (names not starting with `keepStem`)
 * and stale temp files (older than an hour). Files that are not ours are never touched; a file
 * that vanished meanwhile (another process pruning) is fine.
 */
export async function pruneSnapshotFiles(dir: string, keepStem: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(FILE_PREFIX)) continue;
    const path = join(dir, name);
    let remove = false;
    if (name.endsWith('.tmp') && OUR_SUFFIXES.some((suffix) => name.includes(`${suffix}.`))) {
      const info = await stat(path).catch(() => undefined);
      remove = info !== undefined && now - info.mtimeMs > STALE_TEMP_MS;
    } else if (OUR_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
      remove = !name.startsWith(keepStem);
    }
    if (remove && (await unlink(path).then(() => true, () => false))) removed.push(name);
  }
  return removed;
}
