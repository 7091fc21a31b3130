/**
 * Warm-up at worker start, the documented one-liner (`await host.warmUpInterpreters()`): after it,
 * Pyodide is loaded and its memory snapshot is in the cache, so the first tick does not pay for it.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../../src/errors.js';
import { PluginHost } from '../../../src/plugin-host.js';
import { MemoryStorage } from '../../../src/storage-adapters/memory.js';
import { FakeRunner } from '../../btree/fake-runner.js';
import { loadBtree, type SuiteBtree } from '../../setup/btree-module.js';

let btree: SuiteBtree;
let cacheDir: string;
beforeAll(async () => {
  btree = await loadBtree();
  cacheDir = await mkdtemp(join(tmpdir(), 'btp-warm-up-'));
});
afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

describe('PluginHost.warmUpInterpreters', () => {
  it('cold first tick: warm-up loads Pyodide and writes the snapshot cache before any script runs', async () => {
    const host = new PluginHost({ btree, storage: new MemoryStorage(), runner: new FakeRunner({}), interpreters: { javascript: true, python: { engine: { cacheDir } } } });
    expect(await readdir(cacheDir)).toEqual([]);
    await host.warmUpInterpreters();
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.snapshot'))).toHaveLength(1);
    const python = await host.interpreterEngine('python');
    expect(await python!.run({ script: 'result = sum(xs)', inputs: { xs: [1, 2, 3] }, timeoutMs: 10_000, memoryLimitBytes: 256 * 2 ** 20 })).toMatchObject({ ok: true, value: 6 });
    await host.dispose();
    await expect(host.warmUpInterpreters()).rejects.toSatisfy((e: unknown) => isBtreePluginsError(e, 'DisposedError'));
  }, 120_000);

  it('a host without interpreters warms up nothing and resolves', async () => {
    const host = new PluginHost({ btree, storage: new MemoryStorage(), runner: new FakeRunner({}) });
    await host.warmUpInterpreters();
    expect(await host.interpreterEngine('python')).toBeUndefined();
    await host.dispose();
  });
});
