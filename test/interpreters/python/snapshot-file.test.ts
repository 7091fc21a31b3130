import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneSnapshotFiles, readSnapshotFile, writeSnapshotFile } from '../../../src/interpreters/python/snapshot.js';
import { defaultSnapshotCacheDir, resolveSnapshotCacheDir } from '../../../src/interpreters/python/cache-dir.js';
import { isBtreePluginsError } from '../../../src/errors.js';

describe('snapshot cache file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btp-snap-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips its parts, each in a buffer of its own, and leaves no temp file behind', async () => {
    const file = join(dir, 'sub', 'x.snapshot');
    await writeSnapshotFile(file, [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([9])], 'key-a');
    const parts = (await readSnapshotFile(file, 'key-a'))!;
    expect(parts.map((p) => Array.from(p))).toEqual([[1, 2, 3], [], [9]]);
    for (const p of parts) expect([p.byteOffset, p.byteLength]).toEqual([0, p.buffer.byteLength]); // can be moved, not copied
    expect(await readdir(join(dir, 'sub'))).toEqual(['x.snapshot']);
  });

  it('tampered snapshot file: a changed byte, a truncation, another key or a foreign file is not loaded', async () => {
    const file = join(dir, 'x.snapshot');
    await writeSnapshotFile(file, [new Uint8Array(8).fill(1), new Uint8Array(1000).fill(7)], 'key-a');
    const whole = await readFile(file);
    expect(await readSnapshotFile(file, 'key-b')).toBeUndefined(); // same bytes, written for another runtime
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
    await writeFile(file, flipped);
    expect(await readSnapshotFile(file, 'key-a')).toBeUndefined();
    await writeFile(file, whole.subarray(0, 500));
    expect(await readSnapshotFile(file, 'key-a')).toBeUndefined();
    // the part table says otherwise than the file (a part longer than what follows, or bytes left over)
    for (const [at, value] of [[44, 3], [48, 9], [52, 999]] as const) {
      const edited = Buffer.from(whole);
      edited.writeUInt32LE(value, at);
      await writeFile(file, edited);
      expect(await readSnapshotFile(file, 'key-a')).toBeUndefined();
    }
    await writeFile(file, Buffer.concat([whole, Buffer.from([0])]));
    expect(await readSnapshotFile(file, 'key-a')).toBeUndefined();
    await writeFile(file, whole);
    expect(await readSnapshotFile(file, 'key-a')).toHaveLength(2);
    await writeFile(file, Buffer.from('not a snapshot at all, but long enough to have a header'));
    expect(await readSnapshotFile(file, 'key-a')).toBeUndefined();
    expect(await readSnapshotFile(join(dir, 'absent'), 'key-a')).toBeUndefined();
  });

  it('pruning old versions: other runtimes\' files and stale temp files go; this runtime\'s, in-flight temp files and foreign files stay', async () => {
    const keep = 'pyodide-314.0.7-aaaaaaaaaaaaaaaaaaaaaaaa-';
    const names = {
      mine: `${keep}16384.snapshot`,
      mineOtherCap: `${keep}4096.snapshot`,
      mineCode: `${keep}v8-11.3.244.8-node.33.codecache`,
      oldVersion: 'pyodide-314.0.6-bbbbbbbbbbbbbbbbbbbbbbbb-16384.snapshot',
      oldCode: 'pyodide-314.0.6-bbbbbbbbbbbbbbbbbbbbbbbb-v8-11.3.244.8-node.33.codecache',
      inFlight: 'pyodide-315.0.0-cccccccccccccccccccccccc-16384.snapshot.4242-0123456789ab.tmp',
      stale: 'pyodide-314.0.6-bbbbbbbbbbbbbbbbbbbbbbbb-16384.snapshot.17-ba9876543210.tmp',
      foreign: 'notes.txt',
    };
    for (const name of Object.values(names)) await writeFile(join(dir, name), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(dir, names.stale), twoHoursAgo, twoHoursAgo);
    const removed = await pruneSnapshotFiles(dir, keep);
    expect(removed.sort()).toEqual([names.oldVersion, names.oldCode, names.stale].sort());
    expect((await readdir(dir)).sort()).toEqual([names.mine, names.mineOtherCap, names.mineCode, names.inFlight, names.foreign].sort());
  });
});

describe('default snapshot cache directory', () => {
  it('honours BTREE_PLUGINS_CACHE_DIR first, then the platform norm', () => {
    const home = '/home/ada';
    expect(defaultSnapshotCacheDir({ env: { BTREE_PLUGINS_CACHE_DIR: '/srv/cache', XDG_CACHE_HOME: '/x' }, platform: 'linux', home })).toBe('/srv/cache/pyodide');
    expect(defaultSnapshotCacheDir({ env: { XDG_CACHE_HOME: '/var/cache/ada' }, platform: 'linux', home })).toBe('/var/cache/ada/btree-plugins/pyodide');
    expect(defaultSnapshotCacheDir({ env: { XDG_CACHE_HOME: 'relative/ignored' }, platform: 'linux', home })).toBe('/home/ada/.cache/btree-plugins/pyodide');
    expect(defaultSnapshotCacheDir({ env: {}, platform: 'linux', home })).toBe('/home/ada/.cache/btree-plugins/pyodide');
    expect(defaultSnapshotCacheDir({ env: {}, platform: 'darwin', home })).toBe('/home/ada/Library/Caches/btree-plugins/pyodide');
    expect(defaultSnapshotCacheDir({ env: { LOCALAPPDATA: '/c/Users/ada/AppData/Local' }, platform: 'win32', home })).toBe(
      join('/c/Users/ada/AppData/Local', 'btree-plugins', 'Cache', 'pyodide'),
    );
  });

  it('without a home directory there is no default (memory only)', () => {
    expect(defaultSnapshotCacheDir({ env: {}, platform: 'linux', home: '' })).toBeUndefined();
  });

  it('cacheDir option: a directory is used as given, false turns the disk cache off, anything else is refused with a hint', () => {
    expect(resolveSnapshotCacheDir('/srv/x')).toBe('/srv/x');
    expect(resolveSnapshotCacheDir(false)).toBeUndefined();
    expect(resolveSnapshotCacheDir(undefined)).toBe(defaultSnapshotCacheDir());
    for (const bad of ['', '  ', true, 42, null]) {
      const error = (() => {
        try {
          resolveSnapshotCacheDir(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isBtreePluginsError(error, 'InvalidInputError'), String(bad)).toBe(true);
      expect(String((error as Error).message)).toContain('cacheDir');
    }
  });
});
