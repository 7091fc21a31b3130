/**
 * The messages between the host and a shard (a worker thread or a child process that owns some
 * tenants' isolates). Everything crosses by structured clone; functions never do: capabilities are
 * called back on the host by name, usage comes back with the tick's reply, an abort is a message.
 *
 * @module
 */
import type { FactoryText } from '../sandbox/bundle-factory.js';
import type { NodeMetadata, TickOutcome } from '../binding-core/types.js';
import type { CompiledBundleCacheOptions } from '../sandbox/compiled-bundle-cache.js';
import type { SandboxPoolCounts } from '../sandbox/pool.js';
import type { SandboxLimits } from '../sandbox/limits.js';
import type { GuestIdentity, JsonValue, RunnableBundle, TickUsage } from '../sandbox/types.js';
import type { WireError } from './wire-errors.js';

/** How a shard's pool is sized (`workerData`, or the first message to a child process). */
export interface ShardInit {
  maxIsolates: number;
  memoryBudgetMb: number;
  bundleCache?: CompiledBundleCacheOptions;
  /** Report the process's resident memory with each reply (process tier). */
  reportRss?: boolean;
  /** How much lower than the host's the shard's OS priority is (nice increment; 0 = the same). */
  nice?: number;
}

/** What a shard must know about a tenant before running its code: sent once per tenant per shard. */
export interface TenantSetup {
  /** The tenant's limits, resolved on the host (host-wide and per-tenant layers merged). */
  limits: SandboxLimits;
  /** Names of the capabilities the tenant may call; each call is made on the host. */
  capabilities: string[];
}

/**
 * A bundle as sent: the code is left out when the host has sent it to this shard before (the
 * shard answers `need-code` when it no longer has it, and the host sends it again).
 */
export type WireBundle = GuestIdentity & {
  sha256: string;
  code?: string;
  sourceMap?: string;
  /** Sent with `code`: the factory the host built (a shard never runs esbuild). */
  factory?: FactoryText;
};

/** Host → shard. */
export type HostMessage =
  | {
      type: 'tick';
      id: number;
      bundle: WireBundle;
      tenant?: TenantSetup;
      /** The blackboard copy and the props as JSON text (serialised once, on the host). */
      blackboardJson: string;
      propsJson: string;
      nodeId?: string;
      nodeName?: string;
      /** The caller asked for the tick's usage. */
      usage: boolean;
      /** With `usage`: false when the caller does not want the heap read (see `TickInput.usageHeap`). */
      usageHeap?: false;
      /** The caller can cancel the tick (an `abort` message may follow). */
      abortable: boolean;
    }
  | { type: 'inspect'; id: number; bundle: WireBundle; tenant?: TenantSetup }
  | { type: 'abort'; id: number }
  | { type: 'evict'; id: number; tenantId: string }
  | { type: 'stats'; id: number }
  | { type: 'dispose'; id: number }
  /**
   * @internal Test seam: blocks the shard's thread for `ms`, as isolated-vm does when a script
   * fails to terminate (the host's watchdog must then give up on the shard).
   */
  | { type: 'stall'; ms: number }
  /** The end of a capability call made on the host: JSON text (`''` for undefined) or an error message. */
  | { type: 'capability-result'; call: number; ok: boolean; text: string };

/** The shard's pool counters, sent with every reply so that the host always has them. */
export interface ShardCounters extends SandboxPoolCounts {
  /** Process tier: the process's resident memory (bytes), sampled at most every 50 ms. */
  rssBytes?: number;
}

/** Shard → host. */
export type ShardMessage =
  | { type: 'ready' }
  | {
      type: 'done';
      id: number;
      counters: ShardCounters;
      outcome?: TickOutcome;
      metadata?: NodeMetadata;
      usage?: TickUsage;
      error?: WireError;
      stats?: { heapBytes: number; bundleCache: { entries: number; bytes: number } };
    }
  | { type: 'need-code'; id: number }
  | { type: 'capability'; call: number; tenantId: string; node: string; version: string; name: string; args: JsonValue[] }
  | { type: 'capability-abort'; call: number }
  /** The shard cannot run (isolated-vm failed to load, …): the host fails what it sent and reports this. */
  | { type: 'fatal'; error: WireError };

/** The bundle a shard runs, once it has the code. */
export function runnableOf(b: WireBundle, code: string, sourceMap: string | undefined): RunnableBundle {
  return { tenantId: b.tenantId, node: b.node, version: b.version, sha256: b.sha256, code, ...(sourceMap !== undefined ? { sourceMap } : {}) };
}
