/**
 * A host process that used the PythonEngine must end by itself once the engine is disposed.
 *
 * Hazard: any compiled wasm module still referenced from C++ when Node tears V8 down (for example
 * an isolated-vm `ExternalCopy` of the Pyodide module held for the life of the process) keeps a
 * token on V8's wasm-engine barrier, and `V8::Dispose` then waits for it forever: the process
 * prints its last line and never exits, which hangs every host worker that shuts down cleanly.
 *
 * Each case runs a child `node --no-node-snapshot` that boots the engine, runs Python, disposes and
 * returns without `process.exit`; the child must exit within a bound after it printed its last
 * line, else it is killed and the test fails. The child is the fixture bundled into plain
 * JavaScript (src/platform/source-bundle.ts), as a host runs built code: under tsx's loader hooks
 * a process that ran isolates has aborted at exit on Node 26 (isolated-vm's `environment !=
 * nullptr` assertion), which is tsx's interaction with isolated-vm, not the engine's.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleSourceEntry } from '../../../src/platform/source-bundle.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD = bundleSourceEntry(fileURLToPath(new URL('./fixtures/engine-exit-child.ts', import.meta.url)));
/** Shared with test/interpreters/python.test.ts, so that the snapshot is usually on disk already. */
const sharedCacheDir = join(tmpdir(), 'btree-plugins-test-pyodide-cache');
const packageDir = fileURLToPath(new URL('../../fixtures/python-wheels', import.meta.url));
/** How long the child may take to exit after its last line (a hang is forever; exit takes < 1 s). */
const EXIT_BOUND_MS = 30_000;
/** How long the child may take to boot Pyodide and run (a cold snapshot on a busy machine). */
const RUN_BOUND_MS = 120_000;

interface ChildRun {
  /** Exit code, or `null` when killed. */
  code: number | null;
  /** True when the child printed `end` and was killed because it did not exit. */
  hung: boolean;
  stdout: string;
  stderr: string;
}

function runChild(env: Record<string, string>): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--no-node-snapshot', CHILD], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let hung = false;
  let exitTimer: NodeJS.Timeout | undefined;
  const runTimer = setTimeout(() => child.kill('SIGKILL'), RUN_BOUND_MS);
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!exitTimer && stdout.includes('end\n')) {
      clearTimeout(runTimer);
      exitTimer = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, EXIT_BOUND_MS);
    }
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(runTimer);
      clearTimeout(exitTimer);
      resolve({ code, hung, stdout, stderr });
    });
  });
}

function expectCleanExit(run: ChildRun): void {
  expect(run.stdout, run.stderr).toContain('ran {"ok":true,"value":6,"output":[]}');
  expect(run.stdout).toContain('end\n');
  expect(run.hung, 'the process did not exit by itself after its last line').toBe(false);
  expect(run.code, run.stderr).toBe(0);
}

describe('PythonEngine and process exit', () => {
  it('a process that disposed the engine exits by itself (isolates from the snapshot, a wheel imported, one isolate killed mid-run)', async () => {
    const run = await runChild({ CACHE_DIR: sharedCacheDir, PACKAGE_DIR: packageDir, KILL_ONE: '1' });
    expect(run.stdout).toContain('package {"ok":true,"value":"1  2  3","output":[]}');
    expect(run.stdout).toContain('timed out {"ok":false,"error":{"kind":"timeout"');
    expectCleanExit(run);
  }, RUN_BOUND_MS + EXIT_BOUND_MS + 10_000);

  it('a process that made the memory snapshot itself exits by itself after dispose', async () => {
    const run = await runChild({ CACHE_DIR: 'off' });
    expectCleanExit(run);
  }, RUN_BOUND_MS + EXIT_BOUND_MS + 10_000);

  it('a process that never disposed the engine still exits by itself', async () => {
    const run = await runChild({ CACHE_DIR: sharedCacheDir, NO_DISPOSE: '1' });
    expectCleanExit(run);
  }, RUN_BOUND_MS + EXIT_BOUND_MS + 10_000);
});
