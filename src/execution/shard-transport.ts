/**
 * The two ways a shard runs: a worker thread (thread tier) or a child process (process tier), behind
 * one small interface the host side of a shard (shard.ts) uses.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { HostMessage, ShardInit, ShardMessage } from './protocol.js';
import { shardEntry } from './shard-entry.js';

/** A running shard as the host sees it. */
export interface ShardTransport {
  post(message: HostMessage): void;
  /** Keeps the host process alive while requests are in flight (`true`), or not (`false`). */
  hold(busy: boolean): void;
  /** Stops it now (a thread is terminated, a process gets SIGKILL). */
  kill(): void;
  /** Forgets it: it never keeps the host alive again (`hold` does nothing); whatever it sends is still delivered. */
  abandon(): void;
  /** Settles once it has exited, however it ended. */
  readonly exited: Promise<void>;
}

/** What a transport reports. */
export interface ShardEvents {
  message(message: ShardMessage): void;
  /** It is gone (exited, crashed, killed): `why` says how. Called once. */
  exit(why: string): void;
}

/** Options of a thread or process shard. */
export interface TransportOptions {
  init: ShardInit;
  /** Process tier: V8 heap cap of the child's own Node heap (MiB); isolates have their own limits. */
  processHeapMb?: number;
}

/** Reports the end of a shard once, however many ways it is told (`error` then `exit`, …). */
function exitOnce(events: ShardEvents): { exit(why: string): void; done: Promise<void> } {
  let gone = false;
  let exited!: () => void;
  const done = new Promise<void>((resolve) => (exited = resolve));
  return {
    done,
    exit: (why) => {
      if (gone) return;
      gone = true;
      exited();
      events.exit(why);
    },
  };
}

/** A worker thread running a shard. */
export function threadShard(options: TransportOptions, events: ShardEvents): ShardTransport {
  const worker = new Worker(shardEntry(), { workerData: options.init });
  const { exit, done } = exitOnce(events);
  worker.on('message', (m: ShardMessage) => events.message(m));
  worker.on('error', (e) => exit(`the worker thread failed: ${e instanceof Error ? e.message : String(e)}`));
  worker.on('exit', (code) => exit(`the worker thread exited with code ${code}`));
  worker.unref();
  let abandoned = false;
  return {
    post: (m) => worker.postMessage(m),
    hold: (busy) => {
      if (busy && !abandoned) worker.ref();
      else worker.unref();
    },
    kill: () => void worker.terminate(),
    abandon: () => {
      abandoned = true;
      worker.unref();
    },
    exited: done,
  };
}

/** A child process running a shard, with an IPC channel that carries structured clones. */
export function processShard(options: TransportOptions, events: ShardEvents): ShardTransport {
  const execArgv = ['--no-node-snapshot', ...(options.processHeapMb ? [`--max-old-space-size=${options.processHeapMb}`] : [])];
  const child: ChildProcess = spawn(process.execPath, [...execArgv, shardEntry(), JSON.stringify(options.init)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const { exit, done } = exitOnce(events);
  child.on('message', (m) => events.message(m as ShardMessage));
  child.on('error', (e) => exit(`the shard process failed: ${e.message}`));
  child.on('exit', (code, signal) => exit(signal ? `the shard process was killed (${signal})` : `the shard process exited with code ${code}`));
  let abandoned = false;
  const hold = (busy: boolean): void => {
    if (busy && !abandoned) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  };
  hold(false);
  return {
    post: (m) => {
      if (child.connected) child.send(m);
    },
    hold,
    kill: () => void child.kill('SIGKILL'),
    abandon: () => {
      abandoned = true;
      hold(false);
    },
    exited: done,
  };
}
