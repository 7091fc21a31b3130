/**
 * Entry of a shard: a worker thread (thread tier) or a child process (process tier). Built as its
 * own file (`dist/execution/shard-main.js`); shard-entry.ts finds it. Not part of the public API.
 *
 * @module
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { isolatedVm } from '../platform/isolated-vm.js';
import type { HostMessage, ShardInit, ShardMessage } from './protocol.js';
import { serveShard, type ShardPort } from './shard-server.js';
import { toWireError } from './wire-errors.js';

function threadPort(): ShardPort {
  const port = parentPort!;
  return { post: (m) => port.postMessage(m), onMessage: (h) => port.on('message', h), close: () => port.close() };
}

function processPort(): ShardPort {
  return {
    post: (m: ShardMessage) => {
      if (process.connected) process.send!(m);
    },
    onMessage: (h) => process.on('message', (m) => h(m as HostMessage)),
    close: () => process.disconnect(),
  };
}

/** The process tier passes its sizing as an argument; the thread tier as `workerData`. */
function initOf(): ShardInit {
  if (parentPort) return workerData as ShardInit;
  return JSON.parse(process.argv[2] ?? '{}') as ShardInit;
}

/**
 * Tenant code can run at a lower OS priority than the host (nice +{@link ShardInit.nice}), so that
 * a shard burning its CPU limit yields a core to the host's event loop first. On Linux a worker
 * thread renices only itself (its kernel thread id, from /proc/thread-self); a process renices
 * itself, and the threads it starts later inherit it. Elsewhere, or if refused, it runs as it is.
 */
function lowerPriority(nice: number): void {
  if (nice <= 0) return;
  try {
    if (!parentPort) return setPriority(nice);
    if (process.platform !== 'linux') return;
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not permitted or not supported: the shard still works, at the host's priority.
  }
}

const port = parentPort ? threadPort() : processPort();
if (!parentPort) {
  // The host went away (it crashed or was killed) or disposed this shard: nothing left to serve.
  // Exiting on the next turn lets a reply in flight leave first.
  process.on('disconnect', () => setImmediate(() => process.exit(0)));
}
try {
  isolatedVm();
  const init = initOf();
  lowerPriority(init.nice ?? 0);
  serveShard(port, init);
} catch (e) {
  port.post({ type: 'fatal', error: toWireError(e) });
}
