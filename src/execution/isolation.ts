/**
 * Where tenant code runs: the isolation modes and their options, checked in one place.
 *
 * @module
 */
import { InvalidInputError } from '../errors.js';

/**
 * Where a tenant's custom-node ticks run. Every mode runs each tenant in its own isolated-vm
 * isolate with the same limits; they differ in what a tenant's code can hold up and what kills it.
 *
 * - `thread` (default): in a pool of worker threads, each owning the isolates of the tenants placed
 *   on it. The host's event loop never waits on tenant code; ticks of tenants on different threads
 *   run in parallel.
 * - `process`: in a pool of child processes. The host kills a process whose tick does not answer by
 *   its wall limit plus a grace (this also stops built-ins that ignore the CPU limit), and one that
 *   holds too much memory; the next tick starts a fresh one. For tenants a platform does not trust.
 * - `inline`: on the host's own thread (lowest latency): a tick holds the event loop for up to its
 *   CPU limit. For hosts that trust their tenants.
 */
export type Isolation = 'inline' | 'thread' | 'process';

/** The isolation modes, in order of cost. */
export const ISOLATIONS: readonly Isolation[] = Object.freeze(['inline', 'thread', 'process']);

/** Options of the execution tiers (`PluginHost` `execution`). */
export interface ExecutionOptions {
  /** Where tenants run unless their own settings say otherwise. Default `thread`. */
  isolation?: Isolation;
  /** Worker threads of the thread tier. Default: `os.availableParallelism()`. */
  threads?: number;
  /** Child processes of the process tier. Default: `os.availableParallelism()`. */
  processes?: number;
  /**
   * Time after a tick's wall limit before its shard is given up on (ms): a process is killed; a
   * thread, which cannot be stopped from outside, is abandoned and a new one started. Either way the
   * other ticks in flight there fail and are not retried. Default 1000.
   */
  killGraceMs?: number;
  /**
   * Process tier: resident memory of one process (MiB) beyond which it is restarted once its ticks
   * in flight have ended; new ticks wait for the restart. Default 2048. The process's own Node heap
   * (not the isolates', which have their own limits) is capped at 256 MiB.
   */
  processMemoryMb?: number;
  /**
   * How much lower than the host's the OS priority of tenant code is (a nice increment, 0–19;
   * default 0). Raising it lets the host's event loop take a core from tenant code sooner when
   * tenants keep every core busy, but tenant ticks then slow down whenever anything else on the
   * machine is busy, and isolated-vm's timeouts are wall-clock: a starved tick can fail on its CPU
   * limit having used less CPU. Linux renices each worker thread; other systems renice processes only.
   */
  shardNice?: number;
}

/** {@link ExecutionOptions} with every default filled in. */
export type ResolvedExecutionOptions = Required<ExecutionOptions>;

/** Checks an isolation value, naming where it came from when it is wrong. */
export function checkIsolation(value: unknown, where: string): Isolation {
  if (typeof value === 'string' && (ISOLATIONS as readonly string[]).includes(value)) return value as Isolation;
  throw new InvalidInputError('invalid execution options', `${where} must be one of ${ISOLATIONS.join(', ')}, got ${JSON.stringify(value)}`, {
    hint: "use 'thread' (the default), 'process' for untrusted tenants, or 'inline' for trusted ones",
  });
}

/** Fills in and checks {@link ExecutionOptions}. */
export function resolveExecutionOptions(options: ExecutionOptions | undefined, cores: number): ResolvedExecutionOptions {
  const o = options ?? {};
  const count = (name: 'threads' | 'processes' | 'killGraceMs' | 'processMemoryMb' | 'shardNice', fallback: number, min: number, max = Infinity): number => {
    const v = o[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new InvalidInputError('invalid execution options', `${name} must be an integer from ${min}${max < Infinity ? ` to ${max}` : ' up'}, got ${String(o[name])}`);
    }
    return v;
  };
  return {
    isolation: o.isolation === undefined ? 'thread' : checkIsolation(o.isolation, 'execution.isolation'),
    threads: count('threads', cores, 1),
    processes: count('processes', cores, 1),
    killGraceMs: count('killGraceMs', 1000, 0),
    processMemoryMb: count('processMemoryMb', 2048, 64),
    shardNice: count('shardNice', 0, 0, 19),
  };
}
