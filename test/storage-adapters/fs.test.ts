import { lutimes, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import type { FsStorageOptions } from '../../src/storage-adapters/fs.js';
import { classifyName, decodeSegment, encodeSegment, isHashedName, MAX_PLAIN_NAME } from '../../src/storage-adapters/fs-names.js';
import { describeStorageConformance, ODD_VALID_KEYS } from '../conformance/storage.js';

// One temp dir per run; a space is a root directory inside it. Kept as a promise so that
// concurrent create() calls share it.
let base: Promise<string> | undefined;

describeStorageConformance({
  name: 'fs',
  async create({ space, prefix }) {
    base ??= mkdtemp(join(tmpdir(), 'btree-plugins-fs-conformance-'));
    return new FsStorage({ root: join(await base, space), prefix });
  },
  async cleanup() {
    if (base) await rm(await base, { recursive: true, force: true });
    base = undefined;
  },
});

const enc = new TextEncoder();
const dec = new TextDecoder();

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Every path below `dir` (files, dirs, links), relative. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) await walk(join(d, e.name), r);
    }
  }
  await walk(dir, '');
  return out.sort();
}

describe('FsStorage', () => {
  let dir: string;
  let root: string;
  let outside: string;
  const adapters: FsStorage[] = [];
  function open(options: Partial<FsStorageOptions> = {}): FsStorage {
    const s = new FsStorage({ root, ...options });
    adapters.push(s);
    return s;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btree-plugins-fs-'));
    root = join(dir, 'root');
    outside = join(dir, 'outside');
    await mkdir(root);
    await mkdir(outside);
  });
  afterEach(async () => {
    await Promise.all(adapters.splice(0).map((a) => a.dispose()));
    await rm(dir, { recursive: true, force: true });
  });

  it('ABA: a rewrite of identical bytes gets a new etag, so compare-and-swap detects the intervening write', async () => {
    const s = open();
    const body = enc.encode('same bytes');
    const first = await s.put('doc', body);
    const second = await s.put('doc', body);
    expect(second.etag).not.toBe(first.etag);
    await expect(s.put('doc', body, { ifMatch: first.etag })).rejects.toMatchObject({ name: 'PreconditionFailedError' });
  });

  it('etags are unique even for many writes within the same millisecond', async () => {
    const s = open();
    const etags = new Set<string>();
    for (let i = 0; i < 50; i++) etags.add((await s.put('k', enc.encode('x'))).etag);
    expect(etags.size).toBe(50);
  });

  it('hostile keys touch nothing: not even the root directory is created', async () => {
    const fresh = join(dir, 'never-created');
    const s = open({ root: fresh });
    for (const key of ['../x', '../../etc/passwd', '/etc/passwd', 'a/../../x', 'a\u0000b', '..\\x']) {
      await expect(s.put(key, enc.encode('x'))).rejects.toMatchObject({ name: 'InvalidKeyError' });
      await expect(s.get(key)).rejects.toMatchObject({ name: 'InvalidKeyError' });
    }
    await expect(stat(fresh)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await tree(dir)).toEqual(['outside', 'root']);
  });

  it('symlink-escape: a symlinked folder below root is refused for put, get, delete and list; nothing is written outside', async () => {
    // A legitimate-looking store outside root, so that following the link would find something.
    const foreign = new FsStorage({ root: outside });
    adapters.push(foreign);
    await foreign.put('x', enc.encode('outside secret'));
    const before = await tree(outside);
    await symlink(outside, join(root, 'tenants'));
    const s = open();
    await expect(s.put('tenants/y', enc.encode('escape'))).rejects.toMatchObject({ name: 'StorageError', status: 'ESYMLINK' });
    await expect(s.put('tenants/x', enc.encode('escape'), { ifNoneMatch: '*' })).rejects.toMatchObject({ status: 'ESYMLINK' });
    await expect(s.put('tenants/sub/z', enc.encode('escape'))).rejects.toMatchObject({ status: 'ESYMLINK' });
    await expect(s.get('tenants/x')).rejects.toMatchObject({ status: 'ESYMLINK' });
    await expect(s.delete('tenants/x')).rejects.toMatchObject({ status: 'ESYMLINK' });
    await expect(collect(s.list('tenants/'))).rejects.toMatchObject({ status: 'ESYMLINK' });
    expect(await collect(s.list(''))).toEqual([]);
    expect(await tree(outside)).toEqual(before);
    expect(dec.decode((await foreign.get('x'))!.body)).toBe('outside secret');
  });

  it('symlink-escape: a symlinked prefix folder is refused', async () => {
    await symlink(outside, join(root, 'host'));
    const s = open({ prefix: 'host/' });
    await expect(s.put('k', enc.encode('x'))).rejects.toMatchObject({ status: 'ESYMLINK' });
    expect(await tree(outside)).toEqual([]);
  });

  it('symlink-escape: an object file that is a symlink is never followed (read, overwrite, create-only, delete)', async () => {
    const secret = join(outside, 'secret.txt');
    await writeFile(secret, 'do not touch');
    await symlink(secret, join(root, 'k#o'));
    const s = open();
    await expect(s.get('k')).rejects.toMatchObject({ status: 'ESYMLINK' });
    await expect(s.put('k', enc.encode('x'), { ifMatch: 'e' })).rejects.toMatchObject({ status: 'ESYMLINK' });
    await expect(s.put('k', enc.encode('x'), { ifNoneMatch: '*' })).rejects.toMatchObject({ name: 'PreconditionFailedError' });
    expect(await collect(s.list(''))).toEqual([]);
    await s.delete('k'); // removes the link, not its target
    expect(await readFile(secret, 'utf8')).toBe('do not touch');
    await symlink(secret, join(root, 'k#o'));
    await s.put('k', enc.encode('replaced')); // rename replaces the link itself
    expect(await readFile(secret, 'utf8')).toBe('do not touch');
    expect(dec.decode((await s.get('k'))!.body)).toBe('replaced');
  });

  it('symlink-escape: a lock file that is a symlink is never followed, and is broken once stale', async () => {
    const target = join(outside, 'lock-target');
    await writeFile(target, 'keep');
    const s = open({ lockStaleMs: 20 });
    await s.put('k', enc.encode('v1'));
    await symlink(target, join(root, 'k#l'));
    const past = new Date(Date.now() - 60_000);
    await lutimes(join(root, 'k#l'), past, past);
    await s.put('k', enc.encode('v2'));
    expect(dec.decode((await s.get('k'))!.body)).toBe('v2');
    expect(await readFile(target, 'utf8')).toBe('keep');
    expect(await tree(root)).toEqual(['k#o']);
  });

  describe('stale-lock recovery', () => {
    async function deadPid(): Promise<number> {
      const child = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => child.on('exit', resolve));
      return child.pid!;
    }
    async function plantLock(name: string, content: string, ageMs: number): Promise<void> {
      await writeFile(join(root, name), content);
      const t = new Date(Date.now() - ageMs);
      await utimes(join(root, name), t, t);
    }
    const lockInfo = (pid: number, ageMs: number, host = hostname()): string =>
      JSON.stringify({ pid, host, time: Date.now() - ageMs, nonce: 'planted' });

    it('a dead owner\'s lock is broken only once it is older than lockStaleMs', async () => {
      const s = open({ lockStaleMs: 60_000, lockTimeoutMs: 200 });
      await s.put('k', enc.encode('v1'));
      const pid = await deadPid();
      await plantLock('k#l', lockInfo(pid, 0), 0);
      await expect(s.put('k', enc.encode('v2'))).rejects.toMatchObject({ name: 'StorageError', status: 'ELOCKED', retryable: true });
      await plantLock('k#l', lockInfo(pid, 120_000), 0);
      await s.put('k', enc.encode('v3'));
      expect(dec.decode((await s.get('k'))!.body)).toBe('v3');
      expect(await tree(root)).toEqual(['k#o']);
    });

    it('a live owner\'s lock is never broken, however old', async () => {
      const s = open({ lockStaleMs: 10, lockTimeoutMs: 200 });
      await s.put('k', enc.encode('v1'));
      await plantLock('k#l', lockInfo(process.ppid, 3_600_000), 3_600_000);
      await expect(s.delete('k')).rejects.toMatchObject({ status: 'ELOCKED' });
      expect(dec.decode((await s.get('k'))!.body)).toBe('v1');
    });

    it('pid-reuse: a dead owner whose pid now belongs to another process (a restarted container) does not wedge the key', async () => {
      const s = open({ lockStaleMs: 60_000, lockTimeoutMs: 2_000 });
      await s.put('k', enc.encode('v1'));
      // Our own pid is alive, but with another start time it is not the lock's owner.
      await plantLock('k#l', JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() - 120_000, nonce: 'x', start: '1' }), 0);
      await s.put('k', enc.encode('v2'));
      expect(dec.decode((await s.get('k'))!.body)).toBe('v2');
    });

    it('a lock from another host is broken on age alone', async () => {
      const s = open({ lockStaleMs: 60_000, lockTimeoutMs: 200 });
      await s.put('k', enc.encode('v1'));
      await plantLock('k#l', lockInfo(1, 1_000, 'another-host'), 0);
      await expect(s.put('k', enc.encode('v2'))).rejects.toMatchObject({ status: 'ELOCKED' });
      await plantLock('k#l', lockInfo(1, 120_000, 'another-host'), 0);
      await s.put('k', enc.encode('v2'));
      expect(dec.decode((await s.get('k'))!.body)).toBe('v2');
    });

    it('an unreadable lock (power loss before its content reached disk) is judged by its mtime', async () => {
      const s = open({ lockStaleMs: 60_000, lockTimeoutMs: 200 });
      await s.put('k', enc.encode('v1'));
      await plantLock('k#l', '', 0);
      await expect(s.put('k', enc.encode('v2'))).rejects.toMatchObject({ status: 'ELOCKED' });
      await plantLock('k#l', '', 120_000);
      await s.put('k', enc.encode('v2'));
      expect(dec.decode((await s.get('k'))!.body)).toBe('v2');
    });

    it('double fault: a breaker that died mid-break does not wedge the key', async () => {
      const s = open({ lockStaleMs: 1_000, lockTimeoutMs: 5_000 });
      await s.put('k', enc.encode('v1'));
      const pid = await deadPid();
      await plantLock('k#l', lockInfo(pid, 120_000), 120_000);
      await plantLock('k#b', lockInfo(pid, 120_000), 120_000);
      await s.put('k', enc.encode('v2'));
      expect(dec.decode((await s.get('k'))!.body)).toBe('v2');
      expect(await tree(root)).toEqual(['k#o']);
    });
  });

  it('torn-write: temp files a crashed writer left are ignored by get and list, and swept once stale', async () => {
    const s = open({ scratchStaleMs: 60_000 });
    const committed = await s.put('dir/k', enc.encode('committed'));
    const stale = join(root, 'dir', 'k#t.999999.00112233445566aa');
    const fresh = join(root, 'dir', 'k#t.999999.00112233445566bb');
    await writeFile(stale, 'torn half of a new vers');
    await writeFile(fresh, 'another torn write');
    const past = new Date(Date.now() - 3_600_000);
    await utimes(stale, past, past);
    const got = await s.get('dir/k');
    expect(dec.decode(got!.body)).toBe('committed');
    expect(got!.etag).toBe(committed.etag);
    expect(await collect(s.list(''))).toEqual([{ key: 'dir/k', size: 9 }]);
    // Swept by the listing above: the stale one is gone, a recent one (maybe a live writer's) stays.
    await expect(stat(stale)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(fresh)).isFile()).toBe(true);
  });

  it('torn-write: no temp or lock file is left after successful and failed writes', async () => {
    const s = open();
    await s.put('a/k', enc.encode('1'), { ifNoneMatch: '*' });
    await expect(s.put('a/k', enc.encode('2'), { ifNoneMatch: '*' })).rejects.toMatchObject({ name: 'PreconditionFailedError' });
    const { etag } = await s.put('a/k', enc.encode('3'));
    await expect(s.put('a/k', enc.encode('4'), { ifMatch: 'stale' })).rejects.toMatchObject({ name: 'PreconditionFailedError' });
    await s.put('a/k', enc.encode('5'), { ifMatch: etag });
    await s.put('a/j', enc.encode('6'));
    await s.delete('a/j');
    expect(await tree(root)).toEqual(['a', 'a/k#o']);
  });

  it('list during concurrent writes yields each key once and never a temp or lock file', async () => {
    const s = open();
    const keys = Array.from({ length: 20 }, (_, i) => `busy/k${i}`);
    await Promise.all(keys.map((k) => s.put(k, enc.encode('0'))));
    let writing = true;
    const writers = (async () => {
      for (let round = 1; round <= 10; round++) await Promise.all(keys.map((k) => s.put(k, enc.encode(String(round)))));
      writing = false;
    })();
    let listings = 0;
    while (writing) {
      const listed = (await collect(s.list('busy/'))).map((o) => o.key);
      expect(new Set(listed).size).toBe(listed.length);
      expect(listed.sort()).toEqual([...keys].sort());
      listings++;
    }
    await writers;
    expect(listings).toBeGreaterThan(0);
  });

  it('corruption: a damaged object file is reported with a StorageError, never returned', async () => {
    const s = open();
    await s.put('k', enc.encode('hello world'));
    const path = join(root, 'k#o');
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(path, bytes);
    await expect(s.get('k')).rejects.toMatchObject({ name: 'StorageError', status: 'ECORRUPT' });
    await writeFile(path, 'not an object at all');
    await expect(s.get('k')).rejects.toMatchObject({ status: 'ECORRUPT' });
    await expect(s.put('k', enc.encode('x'), { ifMatch: 'e' })).rejects.toMatchObject({ status: 'ECORRUPT' });
  });

  it('long segments: every file name stays within NAME_MAX, and hashed names round-trip through get and list', async () => {
    const s = open();
    const long = '\u00e9'.repeat(100); // 200 bytes, 600 chars once encoded: stored under a hashed name
    const keys = [`${long}/child`, `${long}/${long}`, `x/${'%'.repeat(200)}`, `Y/${'Z'.repeat(200)}`];
    for (const key of keys) await s.put(key, enc.encode(key), { ifNoneMatch: '*' });
    for (const key of keys) expect(dec.decode((await s.get(key))!.body)).toBe(key);
    expect((await collect(s.list(''))).map((o) => o.key).sort()).toEqual([...keys].sort());
    expect((await collect(s.list(`${long}/`))).map((o) => o.key).sort()).toEqual([`${long}/child`, `${long}/${long}`].sort());
    for (const o of await collect(s.list(''))) expect(o.size).toBe(enc.encode(o.key).byteLength);
    for (const p of await tree(root)) for (const name of p.split('/')) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
  });

  it('case and normalisation twins live in different files, all lowercase ASCII (safe on case-insensitive disks)', async () => {
    const s = open();
    for (const key of ['Node', 'node', 'NODE', 'caf\u00e9', 'cafe\u0301']) await s.put(key, enc.encode(key), { ifNoneMatch: '*' });
    const names = await tree(root);
    expect(names).toHaveLength(5);
    for (const n of names) expect(n).toMatch(/^[a-z0-9._\-^%#]+$/);
  });

  it('foreign files in the root are ignored by list', async () => {
    const s = open();
    await s.put('k', enc.encode('x'));
    await writeFile(join(root, 'README'), 'hello');
    await writeFile(join(root, '%61#o'), 'non-canonical name of key a');
    await mkdir(join(root, 'Upper'));
    await writeFile(join(root, 'Upper', 'k#o'), 'not reachable by any key');
    expect(await collect(s.list(''))).toEqual([{ key: 'k', size: 1 }]);
  });

  it('rejects bad options with a clear error', () => {
    expect(() => new FsStorage({ root: '' })).toThrow(/needs a root directory/);
    expect(() => new FsStorage({} as FsStorageOptions)).toThrow(/needs a root directory/);
    expect(() => new FsStorage({ root, lockStaleMs: -1 })).toThrow(/lockStaleMs must be a positive number/);
    expect(() => new FsStorage({ root, prefix: 'no-slash' })).toThrow(/prefix/);
  });

  it('rejects an invalid write condition before writing', async () => {
    const s = open();
    await expect(s.put('k', enc.encode('x'), { ifNoneMatch: 'x' } as never)).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(s.put('k', enc.encode('x'), { ifNoneMatch: '*', ifMatch: 'e' } as never)).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(s.put('k', 'text' as never)).rejects.toThrow(InvalidInputError);
    expect(await s.get('k')).toBeUndefined();
  });
});

describe('fs key names', () => {
  it('encode/decode round-trips odd segments and the encoding is lowercase ASCII', () => {
    for (const seg of ODD_VALID_KEYS.flatMap((k) => k.split('/'))) {
      const name = encodeSegment(seg);
      expect(name).toMatch(/^[a-z0-9._\-^%#]+$/);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_PLAIN_NAME + 2);
      if (isHashedName(name)) expect(decodeSegment(name)).toBeUndefined();
      else expect(decodeSegment(name)).toBe(seg);
      expect(classifyName(name).kind).toBe('dir');
      expect(classifyName(`${name}#o`)).toEqual({ kind: 'object', segmentName: name });
    }
  });

  it('decodes only canonical names', () => {
    expect(decodeSegment('%61')).toBeUndefined(); // would alias key 'a'
    expect(decodeSegment('A')).toBeUndefined();
    expect(decodeSegment('^A')).toBeUndefined();
    expect(decodeSegment('%c3')).toBeUndefined(); // invalid UTF-8
    expect(decodeSegment('%zz')).toBeUndefined();
    expect(decodeSegment('^send^slack')).toBe('SendSlack');
  });
});
