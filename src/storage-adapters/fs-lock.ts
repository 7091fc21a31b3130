/**
 * Per-key lock files for the fs adapter (private to fs.ts): they make compare-and-swap, plain
 * overwrites and deletes of one key mutually exclusive across OS processes.
 *
 * - Acquire: write `{pid, host, time, nonce}` to a fresh scratch file, then `link()` it to
 *   `<name>#l`. `link` fails with EEXIST atomically when the lock is held (on local file systems
 *   and NFSv3+), and the lock file is never seen half-written.
 * - Wait: inside one process, contenders queue in memory (no polling); across processes they poll
 *   with jittered backoff until `timeoutMs`.
 * - Stale: a lock older than `staleMs` whose owner is dead (same host: `kill(pid, 0)` fails with
 *   ESRCH, or on Linux the pid now belongs to a process with another start time) is broken. A lock written by another host cannot be checked and is broken on age alone.
 *   A lock that cannot be parsed (a crash between create and write on a power loss) counts its age
 *   from the file's mtime.
 * - Break safely: breakers first take `<name>#b` (the same way), re-read the lock and remove it
 *   only if it is still the very lock (same nonce) they judged stale, so a fresh lock taken by a
 *   faster breaker is never removed.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StorageError } from '../errors.js';
import { breakerName, lockName, scratchName } from './fs-names.js';

/** Timing of lock acquisition. */
export interface LockOptions {
  /** A lock older than this whose owner is dead may be broken (ms). */
  staleMs: number;
  /** Give up waiting for a busy lock after this long (ms). */
  timeoutMs: number;
}

/** A held lock. */
export interface HeldLock {
  /** Removes the lock file if it is still ours. Never throws for a lock that is already gone. */
  release(): Promise<void>;
}

interface LockInfo {
  pid: number;
  host: string;
  time: number;
  nonce: string;
  /** The owner's start time (Linux: /proc/<pid>/stat field 22), to tell a reused pid from the owner. */
  start?: string;
}

const HOST = hostname();
let ownStart: string | undefined | null = null;

/**
 * When process `pid` started, in clock ticks since boot (Linux only; undefined elsewhere). A
 * container restarted after a crash often gets the very same pid (1, 7, …) and hostname, so a pid
 * alone would make its predecessor's lock look alive forever.
 */
async function startTimeOf(pid: number): Promise<string | undefined> {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) may contain spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

async function ownStartTime(): Promise<string | undefined> {
  if (ownStart === null) ownStart = await startTimeOf(process.pid);
  return ownStart;
}

/** Is the owner recorded in a lock on this host still running? */
async function ownerAlive(info: Pick<LockInfo, 'pid' | 'start'>): Promise<boolean> {
  if (!pidAlive(info.pid)) return false;
  if (info.start === undefined) return true;
  const current = await startTimeOf(info.pid);
  return current === undefined || current === info.start;
}

const localQueues = new Map<string, Promise<void>>();

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Is process `pid` (on this host) alive? EPERM means it exists but belongs to another user. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

async function lockInfo(): Promise<LockInfo> {
  const start = await ownStartTime();
  return { pid: process.pid, host: HOST, time: Date.now(), nonce: randomBytes(16).toString('hex'), ...(start ? { start } : {}) };
}

/** Waits for this process's earlier holders of `path`; returns the function that ends our turn. */
async function localTurn(path: string): Promise<() => void> {
  const previous = localQueues.get(path) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const tail = previous.then(() => mine);
  localQueues.set(path, tail);
  await previous;
  return () => {
    done();
    if (localQueues.get(path) === tail) localQueues.delete(path);
  };
}

/** Tries once to create `target` by linking a freshly written scratch file. */
async function tryCreate(dir: string, segmentName: string, target: string, info: LockInfo): Promise<boolean> {
  const scratch = join(dir, scratchName(segmentName));
  // 'wx' is O_CREAT|O_EXCL: it never follows a planted symlink.
  await fsp.writeFile(scratch, JSON.stringify(info), { flag: 'wx' });
  try {
    await fsp.link(scratch, target);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    await fsp.unlink(scratch).catch(() => {});
  }
}

type Inspection = { state: 'gone' } | { state: 'held'; stale: boolean; token: string; owner: string };

/** Reads a lock file without following symlinks and decides whether it is stale. */
async function inspect(path: string, staleMs: number): Promise<Inspection> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return { state: 'gone' };
    if (code !== 'ELOOP') throw e;
    // A symlink planted where a lock belongs: judge it by its own mtime, never follow it.
    const st = await fsp.lstat(path).catch(() => undefined);
    if (!st) return { state: 'gone' };
    return { state: 'held', stale: Date.now() - st.mtimeMs > staleMs, token: `link:${st.ino}:${st.mtimeMs}`, owner: 'a symlink' };
  }
  try {
    const [text, st] = await Promise.all([handle.readFile('utf8'), handle.stat()]);
    let info: Partial<LockInfo> | undefined;
    try {
      info = JSON.parse(text) as Partial<LockInfo>;
    } catch {
      info = undefined;
    }
    if (!info || typeof info.nonce !== 'string' || typeof info.time !== 'number' || typeof info.pid !== 'number') {
      return { state: 'held', stale: Date.now() - st.mtimeMs > staleMs, token: `ino:${st.ino}:${st.mtimeMs}`, owner: 'unknown' };
    }
    const old = Date.now() - info.time > staleMs;
    const start = typeof info.start === 'string' ? info.start : undefined;
    const dead = !old ? false : info.host === HOST ? !(await ownerAlive({ pid: info.pid, start })) : true;
    return { state: 'held', stale: old && dead, token: info.nonce, owner: `pid ${info.pid} on ${info.host}` };
  } finally {
    await handle.close();
  }
}

/**
 * Removes the lock at `path` if it is still the stale lock identified by `token`.
 * @returns whether it is gone now (false: another breaker is at work; wait and look again).
 */
async function breakStale(dir: string, segmentName: string, path: string, token: string, staleMs: number): Promise<boolean> {
  const breaker = join(dir, breakerName(segmentName));
  const info = await lockInfo();
  if (!(await tryCreate(dir, segmentName, breaker, info))) {
    // Another breaker is at work. If it died mid-break (a double fault), its breaker lock goes stale.
    const other = await inspect(breaker, staleMs);
    if (other.state === 'held' && other.stale) await fsp.unlink(breaker).catch(() => {});
    return false;
  }
  try {
    const again = await inspect(path, staleMs);
    if (again.state === 'held' && again.stale && again.token === token) await fsp.unlink(path).catch(() => {});
    return true;
  } finally {
    await releaseIfOurs(breaker, info.nonce);
  }
}

async function releaseIfOurs(path: string, nonce: string): Promise<void> {
  try {
    const handle = await fsp.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    let text: string;
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
    if ((JSON.parse(text) as LockInfo).nonce === nonce) await fsp.unlink(path);
  } catch {
    // Gone already (or broken by someone who judged us dead): nothing of ours to remove.
  }
}

/**
 * Acquires the lock of the key whose encoded last segment is `segmentName` in directory `dir`.
 * @param key the key, for error messages.
 * @param whenOurTurn runs once this process's earlier holders are done, before the lock file is
 *   taken; if it throws, nothing is locked. Compare-and-swap uses it to fail a stale etag without
 *   paying for the lock file.
 * @throws StorageError (retryable, status `ELOCKED`) when the lock stays busy for `timeoutMs`.
 */
export async function acquireLock(
  dir: string,
  segmentName: string,
  key: string,
  options: LockOptions,
  whenOurTurn?: () => Promise<void>,
): Promise<HeldLock> {
  const path = join(dir, lockName(segmentName));
  const endTurn = await localTurn(path);
  try {
    await whenOurTurn?.();
    const deadline = Date.now() + options.timeoutMs;
    let lastOwner = 'unknown';
    for (let attempt = 0; ; attempt++) {
      const info = await lockInfo();
      if (await tryCreate(dir, segmentName, path, info)) {
        let released = false;
        return {
          release: async () => {
            if (released) return;
            released = true;
            try {
              await releaseIfOurs(path, info.nonce);
            } finally {
              endTurn();
            }
          },
        };
      }
      const seen = await inspect(path, options.staleMs);
      if (seen.state === 'held') lastOwner = seen.owner;
      // Gone (released between our link and our look) or broken just now: try again at once.
      const retryNow = seen.state === 'gone' || (seen.stale && (await breakStale(dir, segmentName, path, seen.token, options.staleMs)));
      if (Date.now() >= deadline) {
        throw new StorageError('fs', 'lock', `the lock file ${path} stayed busy for ${options.timeoutMs} ms (held by ${lastOwner})`, {
          key,
          status: 'ELOCKED',
          retryable: true,
          hint: 'another process holds the key; if its owner is gone for good, the lock is broken after lockStaleMs',
        });
      }
      if (!retryNow) await sleep(Math.min(25, 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
    }
  } catch (e) {
    endTurn();
    throw e;
  }
}
