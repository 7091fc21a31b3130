import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startProcess } from './servers/process.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
  return !alive(pid);
}

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected a rejection with an Error, got ${String(outcome)}`);
  return outcome;
}

describe('test server processes', () => {
  it('a server that exits before answering fails with its exit code and output tail', async () => {
    const error = await rejection(startProcess({
      name: 'crashing-server',
      command: 'sh',
      args: ['-c', 'echo "listen tcp: address already in use" >&2; exit 3'],
      ready: async () => false,
    }));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('test server crashing-server exited before it answered (exit code 3)');
    expect(error.message).toContain('address already in use');
  });

  it('a server that never answers fails after the bounded wait, with its output, and is stopped', async () => {
    let pid = 0;
    const error = await rejection(startProcess({
      name: 'silent-server',
      command: 'sh',
      args: ['-c', 'echo "starting up"; echo $$; exec sleep 60'],
      ready: async () => false,
      timeoutMs: 300,
    }));
    expect(error.message).toContain('test server silent-server did not answer within 300 ms');
    expect(error.message).toContain('starting up');
    pid = Number(/\n(\d+)/.exec(error.message)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it('stop() ends the whole process group, children included', async () => {
    const server = await startProcess({
      name: 'forking-server',
      command: 'sh',
      args: ['-c', 'sleep 60 & echo "child=$!"; wait'],
      ready: async () => true,
    });
    for (let i = 0; i < 200 && !/child=\d+/.test(server.outputTail()); i++) await new Promise((r) => setTimeout(r, 10));
    const child = Number(/child=(\d+)/.exec(server.outputTail())?.[1]);
    expect(child).toBeGreaterThan(0);
    expect(alive(child)).toBe(true);
    await server.stop();
    await server.stop(); // idempotent
    expect(await waitUntilGone(child)).toBe(true);
    expect(await waitUntilGone(server.pid)).toBe(true);
  });

  it('a server outlives no run: when the process that started it is killed, the server is stopped', async () => {
    const processModule = fileURLToPath(new URL('./servers/process.ts', import.meta.url));
    const child = `
      import { startProcess } from ${JSON.stringify(processModule)};
      const server = await startProcess({
        name: 'orphan-candidate',
        command: 'sh',
        args: ['-c', 'echo pid=$$; exec sleep 60'],
        ready: async () => true,
      });
      for (let i = 0; i < 200 && !/pid=\\d+/.test(server.outputTail()); i++) await new Promise((r) => setTimeout(r, 10));
      console.log(server.outputTail());
      process.kill(process.pid, 'SIGKILL');
    `;
    const run = promisify(execFile);
    const outcome = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { timeout: 30_000 }).catch(
      (e: { stdout?: string; signal?: string }) => e,
    );
    expect((outcome as { signal?: string }).signal).toBe('SIGKILL');
    const pid = Number(/pid=(\d+)/.exec((outcome as { stdout?: string }).stdout ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it('a server is never stalled by its own output, even while the process that started it blocks its event loop', async () => {
    // A pipe would fill after a few hundred writes with nobody reading, and the writer would
    // block: that froze moto mid-request while a benchmark harness sat in spawnSync.
    const dir = await mkdtemp(join(tmpdir(), 'btree-plugins-process-test-'));
    const marker = join(dir, 'wrote-everything');
    const server = await startProcess({
      name: 'chatty-server',
      command: 'sh',
      args: ['-c', 'i=0; while [ $i -lt 5000 ]; do echo "request $i: GET /bucket/some/key HTTP/1.1 200"; i=$((i+1)); done; echo last line >&2; : > "$1"; exec sleep 60', 'chatty', marker],
      ready: async () => true,
    });
    try {
      // Blocks this event loop until the server has written all 5,000 lines (or 20 s pass).
      const wait = spawnSync('sh', ['-c', 'i=0; while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; [ -e "$1" ]', 'wait', marker]);
      expect(wait.status, 'the server stopped writing: its output backed up while this process was not reading').toBe(0);
      expect(server.outputTail()).toMatch(/request 4999: .*\nlast line$/);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
    expect(server.outputTail()).toContain('last line'); // still readable after stop()
  });
});
