import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binaryPath, ensureBinary, type GoTool } from './servers/binaries.js';
import { ensureVenv, type PythonTool } from './servers/python-venv.js';

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected a rejection with an Error, got ${String(outcome)}`);
  return outcome;
}

const tool: GoTool = {
  name: 'example-server',
  module: 'example.com/example-server/cmd/example-server',
  version: 'v0.0.1',
  binary: 'example-server',
  alternative: 'or start one yourself and set EXAMPLE_ENDPOINT',
};

describe('test server binaries', () => {
  const keys = ['BTREE_PLUGINS_CACHE_DIR', 'PATH', 'PYTHON'] as const;
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btree-plugins-cache-'));
    process.env.BTREE_PLUGINS_CACHE_DIR = join(dir, 'cache');
    // A PATH with no `go` and no `python3` on it.
    await mkdir(join(dir, 'empty-bin'));
    process.env.PATH = join(dir, 'empty-bin');
  });
  afterEach(async () => {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('uses the cached build when present, without needing Go', async () => {
    const cached = binaryPath(tool);
    expect(cached).toBe(join(dir, 'cache', 'bin', 'example-server-v0.0.1', 'example-server'));
    await mkdir(dirname(cached), { recursive: true });
    await writeFile(cached, '#!/bin/sh\n');
    await chmod(cached, 0o755);
    expect(await ensureBinary(tool)).toBe(cached);
  });

  it('fails loudly, naming what to install, when there is no cached build and no Go', async () => {
    const error = await rejection(ensureBinary(tool));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('test server example-server is not built');
    expect(error.message).toContain('go install example.com/example-server/cmd/example-server@v0.0.1');
    expect(error.message).toContain('install Go');
    expect(error.message).toContain('EXAMPLE_ENDPOINT');
  });

  it('fails loudly, naming what to install, when python3 with venv is missing for a PyPI server', async () => {
    const pyTool: PythonTool = { name: 'example-py', requirement: 'example-py==1.0', version: '1.0', probe: 'example_py', alternative: 'or set EXAMPLE_ENDPOINT' };
    process.env.PYTHON = join(dir, 'no-such-python3');
    const error = await rejection(ensureVenv(pyTool));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('no python3 with the venv module was found');
    expect(error.message).toContain('python3-venv');
    expect(error.message).toContain('EXAMPLE_ENDPOINT');
  });
});
