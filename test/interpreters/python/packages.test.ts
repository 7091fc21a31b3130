import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../../src/errors.js';
import { PythonEngine } from '../../../src/interpreters/python.js';
import { defaultSnapshotCacheDir } from '../../../src/interpreters/python/cache-dir.js';
import { loadPackageSet, releasePackageSet } from '../../../src/interpreters/python/packages.js';

const fixtures = join(import.meta.dirname, '../../fixtures/python-wheels');
const WHEEL = 'tabulate-0.9.0-py3-none-any.whl';
const baseLock = () => readFile(createRequire(import.meta.url).resolve('pyodide/pyodide-lock.json'), 'utf8');

describe('Python package directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btp-wheels-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('offers the wheels whose sha256 matches the lock, with their import names', async () => {
    const set = await loadPackageSet(await baseLock(), { packageDir: fixtures });
    try {
      expect(set.files.map((f) => f.fileName)).toEqual([WHEEL]);
      expect(set.importMap).toEqual({ tabulate: 'tabulate' });
    } finally {
      releasePackageSet(set);
    }
  });

  it('tampered wheel: bytes that do not match the lock sha256 are rejected before any isolate sees them', async () => {
    await copyFile(join(fixtures, 'pyodide-lock.json'), join(dir, 'pyodide-lock.json'));
    const bytes = await readFile(join(fixtures, WHEEL));
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(join(dir, WHEEL), bytes);
    const error = await loadPackageSet(await baseLock(), { packageDir: dir }).catch((e: unknown) => e);
    expect(isBtreePluginsError(error, 'IntegrityError')).toBe(true);
    expect((error as Error).message).toContain(WHEEL);
  });

  it('a package whose dependency wheel is missing is a configuration error naming the dependency', async () => {
    const lock = JSON.parse(await readFile(join(fixtures, 'pyodide-lock.json'), 'utf8')) as { packages: Record<string, { depends: string[] }> };
    lock.packages['tabulate']!.depends = ['wcwidth'];
    await writeFile(join(dir, 'pyodide-lock.json'), JSON.stringify(lock));
    await copyFile(join(fixtures, WHEEL), join(dir, WHEEL));
    await expect(loadPackageSet(await baseLock(), { packageDir: dir })).rejects.toThrow(/depends on wcwidth/);
  });

  it('a malformed lock entry is rejected with what is wrong', async () => {
    await writeFile(join(dir, 'pyodide-lock.json'), JSON.stringify({ packages: { evil: { name: 'evil', version: '1', file_name: '../../etc/passwd', sha256: 'x', imports: [], depends: [] } } }));
    await expect(loadPackageSet(await baseLock(), { packageDir: dir })).rejects.toThrow(/file_name must be a plain file name/);
  });
});

describe('an engine whose start failed', () => {
  it('tampered wheel at start: warmUp fails with the integrity error; once the wheel is fixed, the next call starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'btp-wheels-engine-'));
    const engine = new PythonEngine({ packageDir: dir, cacheDir: defaultSnapshotCacheDir(), maxIsolates: 1 });
    try {
      await copyFile(join(fixtures, 'pyodide-lock.json'), join(dir, 'pyodide-lock.json'));
      const bytes = await readFile(join(fixtures, WHEEL));
      bytes[100] = bytes[100]! ^ 0xff;
      await writeFile(join(dir, WHEEL), bytes);
      const error = await engine.warmUp().catch((e: unknown) => e);
      expect(isBtreePluginsError(error, 'IntegrityError')).toBe(true);
      await copyFile(join(fixtures, WHEEL), join(dir, WHEEL));
      await engine.warmUp();
      const outcome = await engine.run({ script: 'from tabulate import tabulate\nresult = tabulate([[1, 2]], tablefmt="plain")', inputs: {}, timeoutMs: 30_000, memoryLimitBytes: 256 * 2 ** 20 });
      expect(outcome).toMatchObject({ ok: true, value: '1  2' });
    } finally {
      await engine.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
