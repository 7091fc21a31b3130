/**
 * Starts a server as a child process in its own process group, waits until it answers, and stops
 * the whole group again. A server that does not come up fails with the tail of its output.
 *
 * The server's stdout and stderr go to a file, never to a pipe: a pipe drains only while this
 * process's event loop runs, so a starter that blocks it (spawnSync of a benchmark, a paused
 * debugger, a long synchronous step) would let the pipe fill, and a server that logs per request
 * then blocks mid-request and stops answering everyone (moto did, after ~270 requests). The file
 * is unlinked as soon as the server has it open: nothing is left on disk, whatever way the run ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server process started by {@link startProcess}. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** Last lines the process wrote (stdout and stderr), for error messages. */
  outputTail(): string;
  /** Stops the process group: SIGTERM, then SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
}

/** What {@link startProcess} runs and how it knows the server is up. */
export interface StartProcessOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves true once the server answers; called repeatedly until then. Must not hang (use timeouts). */
  ready: () => Promise<boolean>;
  /** How long to wait for `ready` (default 20 s). */
  timeoutMs?: number;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const TAIL_BYTES = 4_000;

/**
 * Runs the server under a small shell watchdog. The server runs in the background; a watcher
 * blocks reading stdin, which is a pipe from this process. If this process dies without
 * stopping its servers (killed, crashed, timed out), the pipe closes, the read returns, and the
 * watcher stops the server: no test server outlives the run that started it. The shell exits with
 * the server's status, so an early exit is still seen.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" 3<&- </dev/null &',
  'server=$!',
  '( read -r _ <&3; kill -TERM "$server" 2>/dev/null; sleep 5; kill -KILL "$server" 2>/dev/null ) &',
  'watcher=$!',
  'exec 3<&-',
  // stop() signals the whole group; the shell itself outlives the server so that its exit means
  // the server is gone. (Set after forking: children must not inherit an ignored SIGTERM.)
  "trap '' TERM INT",
  'wait "$server"',
  'status=$?',
  'kill -KILL "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

/**
 * Spawns the server and resolves once `ready()` is true.
 * @throws Error with the server's output tail when it exits early or does not answer in time.
 */
export async function startProcess(options: StartProcessOptions): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const output = openOutputFile(options.name);
  let child: ChildProcess;
  try {
    child = spawn('sh', ['-c', WATCHDOG, 'btree-plugins-test-server', options.command, ...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      // Own process group, so stop() reaches every child the server forks.
      detached: true,
      // stdin is the watchdog's lifeline: it closes when this process dies, however it dies.
      // stdout and stderr: the output file (see the module comment for why not a pipe).
      stdio: ['pipe', output.fd, output.fd],
    });
  } catch (error) {
    output.close();
    throw error;
  }
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.once('error', (error) => {
      exited = `spawn error: ${error.message}`;
      resolve();
    });
  });

  let stopped: Promise<void> | undefined;
  const handle: ServerProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    outputTail: () => output.tail(),
    stop() {
      stopped ??= (async () => {
        if (exited === undefined && child.pid !== undefined) {
          signalGroup(child.pid, 'SIGTERM');
          const killed = await Promise.race([exit.then(() => true), sleep(3_000).then(() => false)]);
          if (!killed) {
            signalGroup(child.pid, 'SIGKILL');
            await exit;
          }
        }
        output.close();
      })();
      return stopped;
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      await handle.stop();
      throw new Error(`test server ${options.name} exited before it answered (${exited}). Its output:\n${handle.outputTail() || '(none)'}`);
    }
    let ok = false;
    try {
      ok = await options.ready();
    } catch {
      ok = false;
    }
    if (ok) return handle;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(
        `test server ${options.name} did not answer within ${timeoutMs} ms [command=${options.command} ${options.args.join(' ')}]. Its output:\n${handle.outputTail() || '(none)'}`,
      );
    }
    await sleep(50);
  }
}

/** A server's output file: written by the server, read back here for error messages. */
interface OutputFile {
  readonly fd: number;
  /** The last {@link TAIL_BYTES} the server wrote; still readable after close(). */
  tail(): string;
  close(): void;
}

function openOutputFile(name: string): OutputFile {
  const path = join(tmpdir(), `btree-plugins-${name.replace(/[^\w.-]+/g, '-')}-${process.pid}-${Math.random().toString(36).slice(2)}.log`);
  // Append mode: the server and its watchdog shell share the file; reads use explicit positions.
  const fd = openSync(path, 'ax+');
  // The server inherits its own descriptor at spawn; the name is no longer needed.
  unlinkSync(path);
  let closedTail: string | undefined;
  const read = (): string => {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    const n = readSync(fd, buffer, 0, length, size - length);
    return buffer.subarray(0, n).toString('utf8').trim();
  };
  return {
    fd,
    tail: () => closedTail ?? read(),
    close() {
      if (closedTail !== undefined) return;
      closedTail = read();
      closeSync(fd);
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when an HTTP GET of `url` gets any response with a status below 500 within `timeoutMs`. */
export async function httpAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}
