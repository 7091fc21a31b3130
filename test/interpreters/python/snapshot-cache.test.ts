/**
 * The default on-disk snapshot cache, with real child processes (restarted workers) and real
 * Pyodide. Every case points the default location at its own temp directory
 * (BTREE_PLUGINS_CACHE_DIR or XDG_CACHE_HOME): nothing here writes to the real user cache.
 *
 * Hazards: two workers starting together on an empty cache (a reader must never load a partial
 * file, both must end up with a whole one); a truncated file left by a crash or a full disk (must
 * be rebuilt, not crash the worker); files of older versions piling up (~30 MB each); a cache
 * directory the worker cannot write (must run anyway, warn once).
 */
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSourceEntry } from '../../../src/platform/source-bundle.js';
import { codeCacheFileName, readSnapshotFile, snapshotFileName } from '../../../src/interpreters/python/snapshot.js';
import { getPyodideRuntime, type PyodideRuntime } from '../../../src/interpreters/python/pyodide-runtime.js';
import { PYTHON_LIMITS } from '../../../src/binding-core/interpreter-props.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = bundleSourceEntry(fileURLToPath(new URL('./fixtures/snapshot-cache-child.ts', import.meta.url)));
const CHILD_BOUND_MS = 120_000;
/** mean / pstdev / count of the fixture's 100 values, as Python computes them. */
const EXPECTED = { count: 100 };

interface ChildReport {
  cacheDir: string | null;
  outcome: { ok: boolean; value?: { mean: number; std: number; count: number } };
  warnings: string[];
}

function runChild(env: Record<string, string | undefined>): Promise<ChildReport & { stderr: string }> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, ['--no-node-snapshot', CHILD], { cwd: repo, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_BOUND_MS);
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`child exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ ...(JSON.parse(line) as ChildReport), stderr });
    });
  });
}

let root: string;
let runtime: PyodideRuntime;
/** A valid snapshot file made by the first case, copied into later cases' directories. */
let validFile: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'btp-snapshot-cache-'));
  runtime = await getPyodideRuntime(PYTHON_LIMITS.maxMemoryBytes);
});
afterAll(async () => {
  await chmod(root, 0o700).catch(() => {});
  await rm(root, { recursive: true, force: true });
});

describe('default Python snapshot cache (restarted workers)', () => {
  it('two workers starting together on an empty cache both get a valid snapshot and the same result', async () => {
    const base = join(root, 'together');
    const [a, b] = await Promise.all([runChild({ BTREE_PLUGINS_CACHE_DIR: base }), runChild({ BTREE_PLUGINS_CACHE_DIR: base })]);
    const dir = join(base, 'pyodide');
    expect(a.cacheDir).toBe(dir);
    expect(a.outcome.ok, a.stderr).toBe(true);
    expect(a.outcome.value).toMatchObject(EXPECTED);
    expect(b.outcome).toEqual(a.outcome);
    expect(a.warnings.concat(b.warnings)).toEqual([]);
    // one whole snapshot and the glue's V8 code cache, no temp file left
    expect((await readdir(dir)).sort()).toEqual([codeCacheFileName(runtime), snapshotFileName(runtime)].sort());
    validFile = join(dir, snapshotFileName(runtime));
    expect(await readSnapshotFile(validFile, runtime.key)).toBeDefined();

    // A third worker loads both files instead of making its own (neither is replaced).
    const codeCache = join(dir, codeCacheFileName(runtime));
    const before = [await stat(validFile), await stat(codeCache)];
    // Warm: made after a boot from the snapshot, so it holds the functions a boot compiles (≈1.2 MB);
    // one made when the bundle is compiled holds only its top level (≈40 KB).
    expect(before[1]!.size).toBeGreaterThan(500_000);
    const c = await runChild({ BTREE_PLUGINS_CACHE_DIR: base });
    expect(c.outcome).toEqual(a.outcome);
    const after = [await stat(validFile), await stat(codeCache)];
    expect(after.map((x) => [x.ino, x.mtimeMs])).toEqual(before.map((x) => [x.ino, x.mtimeMs]));
  }, 2 * CHILD_BOUND_MS);

  it('truncated snapshot and code-cache files: the worker rebuilds them instead of loading or crashing', async () => {
    const base = join(root, 'truncated');
    const file = join(base, 'pyodide', snapshotFileName(runtime));
    const codeCache = join(base, 'pyodide', codeCacheFileName(runtime));
    await mkdir(join(base, 'pyodide'), { recursive: true });
    await copyFile(validFile, file);
    await copyFile(join(validFile, '..', codeCacheFileName(runtime)), codeCache);
    const size = (await stat(file)).size;
    await truncate(file, Math.floor(size / 2));
    await truncate(codeCache, 100);
    const truncatedCode = await stat(codeCache);
    const r = await runChild({ BTREE_PLUGINS_CACHE_DIR: base });
    expect(r.outcome.ok, r.stderr).toBe(true);
    expect(r.outcome.value).toMatchObject(EXPECTED);
    // made again and whole (a new snapshot packs to about the same size, give or take a few zero pages)
    expect((await stat(file)).size).toBeGreaterThan(size * 0.9);
    expect(await readSnapshotFile(file, runtime.key)).toBeDefined();
    const rebuiltCode = await stat(codeCache);
    expect(rebuiltCode.ino).not.toBe(truncatedCode.ino); // replaced by rename, not patched
    expect(rebuiltCode.size).toBeGreaterThan(100);
  }, CHILD_BOUND_MS);

  it('old-version snapshot files are pruned when a new one is written; files not ours stay', async () => {
    const base = join(root, 'old-versions');
    const dir = join(base, 'pyodide');
    await mkdir(dir, { recursive: true });
    const old = 'pyodide-314.0.6-0123456789abcdef01234567-16384.snapshot';
    await copyFile(validFile, join(dir, old)); // a whole file, of another version
    await writeFile(join(dir, 'pyodide-314.0.6-0123456789abcdef01234567-v8-1.0.codecache'), 'old code cache');
    await writeFile(join(dir, 'README'), 'not ours');
    const r = await runChild({ BTREE_PLUGINS_CACHE_DIR: base });
    expect(r.outcome.ok, r.stderr).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['README', codeCacheFileName(runtime), snapshotFileName(runtime)].sort());
  }, CHILD_BOUND_MS);

  it('unwritable cache directory: the worker still runs, with one warning naming the directory', async () => {
    const base = join(root, 'unwritable');
    await writeFile(base, 'a file where the cache directory should be'); // even root cannot mkdir below a file
    const r = await runChild({ BTREE_PLUGINS_CACHE_DIR: base });
    expect(r.outcome.ok, r.stderr).toBe(true);
    expect(r.outcome.value).toMatchObject(EXPECTED);
    const cacheWarnings = r.warnings.filter((w) => w.startsWith('BTREE_PLUGINS_SNAPSHOT_CACHE'));
    expect(cacheWarnings).toHaveLength(1);
    expect(cacheWarnings[0]).toContain(join(base, 'pyodide'));
    expect(await readFile(base, 'utf8')).toBe('a file where the cache directory should be');
  }, CHILD_BOUND_MS);

  it('default location honours XDG_CACHE_HOME when BTREE_PLUGINS_CACHE_DIR is unset, and cacheDir: false writes nothing', async () => {
    const xdg = join(root, 'xdg');
    const dir = join(xdg, 'btree-plugins', 'pyodide');
    await mkdir(dir, { recursive: true });
    await copyFile(validFile, join(dir, snapshotFileName(runtime)));
    const before = await stat(join(dir, snapshotFileName(runtime)));
    const r = await runChild({ BTREE_PLUGINS_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg });
    expect(r.cacheDir).toBe(dir);
    expect(r.outcome.ok, r.stderr).toBe(true);
    expect((await stat(join(dir, snapshotFileName(runtime)))).ino).toBe(before.ino); // loaded from there, not remade

    const offBase = join(root, 'off');
    const off = await runChild({ BTREE_PLUGINS_CACHE_DIR: offBase, CACHE_DIR: 'off' });
    expect(off.cacheDir).toBeNull();
    expect(off.outcome).toEqual(r.outcome);
    await expect(stat(offBase)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 2 * CHILD_BOUND_MS);
});
