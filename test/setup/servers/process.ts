/**
 * Starts a server as a child process in its own process group, waits until it answers, and stops
 * the whole group again. A server that does not come up fails with the tail of its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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
  let tail = '';
  const child: ChildProcess = spawn('sh', ['-c', WATCHDOG, 'btree-plugins-test-server', options.command, ...options.args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    // Own process group, so stop() reaches every child the server forks.
    detached: true,
    // stdin is the watchdog's lifeline: it closes when this process dies, however it dies.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const onData = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
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
    outputTail: () => tail.trim(),
    stop() {
      stopped ??= (async () => {
        if (exited !== undefined || child.pid === undefined) return;
        signalGroup(child.pid, 'SIGTERM');
        const killed = await Promise.race([exit.then(() => true), sleep(3_000).then(() => false)]);
        if (!killed) {
          signalGroup(child.pid, 'SIGKILL');
          await exit;
        }
      })();
      return stopped;
    },
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
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
