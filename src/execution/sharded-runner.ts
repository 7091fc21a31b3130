/**
 * `ShardedRunner`: runs tenant bundles in a pool of shards — worker threads or child processes —
 * each owning the isolates of the tenants placed on it. A tenant stays on its shard (its isolate
 * lives there); a new tenant goes to the shard with the fewest requests in flight, then the fewest
 * tenants, so that a tenant that burns its CPU budget shares its thread with as few others as
 * possible. Implements {@link NodeRunner}; the per-tick work on the host is a copy of the tick's
 * input and its outcome, and the capability calls the guest makes.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { DisposedError } from '../errors.js';
import type { NodeMetadata } from '../binding-core/types.js';
import type { GuestLogForwarder } from '../binding-core/guest-log.js';
import type { Capability } from '../sandbox/capability-dispatch.js';
import { resolveLimits, type SandboxLimits } from '../sandbox/limits.js';
import { addPoolStats, checkBundle, emptyPoolStats, type SandboxPoolOptions, type SandboxPoolStats, type TenantSandboxOptions } from '../sandbox/pool.js';
import { settingsOfTenant } from '../sandbox/tenant-options.js';
import { hostJson } from '../sandbox/tenant-sandbox.js';
import { failure } from '../sandbox/tick-outcome.js';
import type { FactoryText } from '../sandbox/bundle-factory.js';
import type { NodeRunner, RunnableBundle, TickInput, TickOutcome } from '../sandbox/types.js';
import type { TenantSetup } from './protocol.js';
import { HostFactories } from './host-factories.js';
import { Shard, type ShardOwner } from './shard.js';

/** Options of a {@link ShardedRunner}. */
export interface ShardedRunnerOptions extends Pick<SandboxPoolOptions, 'limits' | 'capabilities' | 'tenants' | 'bundleCache' | 'logger'> {
  kind: 'thread' | 'process';
  /** Shards (threads or processes). */
  shards: number;
  /** Live isolates across all shards (each gets an equal share). */
  maxIsolates: number;
  /** Memory budget across all shards, MiB (each gets an equal share). */
  memoryBudgetMb: number;
  killGraceMs: number;
  processMemoryMb: number;
  /** OS priority decrement of the shards (nice). */
  nice: number;
  /** Where guest console lines go (the host's forwarder: one rate per tenant). */
  logs: GuestLogForwarder;
}

/** {@link SandboxPoolStats} over every shard, plus what only shards have. */
export interface ShardedRunnerStats extends SandboxPoolStats {
  /** Shards started again after they died (killed on an overrun or for memory, crashed). */
  restarts: number;
  /** Shards given up on because a tick did not answer by its wall limit plus the grace: processes killed, threads abandoned. */
  overrunsKilled: number;
  /** Shards running now. */
  shards: number;
}

/** Most tenants whose shard is remembered; a forgotten tenant is placed again on its next tick. */
const MAX_PLACED_TENANTS = 100_000;

/** Runs tenant bundles on worker threads or child processes. */
export class ShardedRunner implements NodeRunner, ShardOwner {
  private readonly shards: Shard[];
  private readonly tenantsOn: number[];
  private readonly placed: LRUCache<string, number>;
  private readonly hostLimits: SandboxLimits;
  /** Each tenant's resolved limits, kept as long as it stays placed (merging them per tick costs more than the rest of the host's work). */
  private readonly limitsOf = new Map<string, SandboxLimits>();
  private readonly factories = new HostFactories();
  private disposed = false;

  constructor(private readonly options: ShardedRunnerOptions) {
    this.hostLimits = resolveLimits(options.limits);
    const n = options.shards;
    const init = {
      maxIsolates: Math.max(1, Math.ceil(options.maxIsolates / n)),
      memoryBudgetMb: Math.max(8, options.memoryBudgetMb / n),
      ...(options.bundleCache ? { bundleCache: options.bundleCache } : {}),
      ...(options.kind === 'process' ? { reportRss: true } : {}),
      nice: options.nice,
    };
    const shardOptions = { kind: options.kind, init, killGraceMs: options.killGraceMs, processMemoryBytes: options.processMemoryMb * 1024 * 1024 };
    this.shards = Array.from({ length: n }, () => new Shard(shardOptions, this));
    this.tenantsOn = new Array<number>(n).fill(0);
    this.placed = new LRUCache({
      max: MAX_PLACED_TENANTS,
      dispose: (shard: number, tenantId: string) => {
        this.tenantsOn[shard]!--;
        this.limitsOf.delete(tenantId);
      },
    });
  }

  /** The limits that apply to `tenantId`. */
  limitsFor(tenantId: string): SandboxLimits {
    return resolveLimits(this.hostLimits, this.tenantOptions(tenantId)?.limits);
  }

  /** {@link limitsFor} of a placed tenant, merged once. */
  private cachedLimits(tenantId: string): SandboxLimits {
    let l = this.limitsOf.get(tenantId);
    if (!l) this.limitsOf.set(tenantId, (l = this.limitsFor(tenantId)));
    return l;
  }

  async tick(bundle: RunnableBundle, input: TickInput): Promise<TickOutcome> {
    this.assertAlive();
    checkBundle(bundle);
    const who = { tenantId: bundle.tenantId, node: bundle.node, version: bundle.version };
    const blackboardJson = input.blackboardJson ?? hostJson(input.blackboard ?? {}, 'blackboard', who);
    const propsJson = input.propsJson ?? hostJson(input.props ?? {}, 'props', who);
    if (input.signal?.aborted) return failure(`${who.node}@${who.version} was cancelled before it ran`);
    const shard = this.shardOf(bundle.tenantId);
    const limits = this.cachedLimits(bundle.tenantId);
    const { outcome, usage } = await shard.tick(
      bundle,
      limits,
      {
        propsJson,
        blackboardJson,
        ...(input.nodeId !== undefined ? { nodeId: input.nodeId } : {}),
        ...(input.nodeName !== undefined ? { nodeName: input.nodeName } : {}),
        usage: input.onUsage !== undefined,
        ...(input.usageHeap === false ? { usageHeap: false as const } : {}),
      },
      input.signal,
    );
    if (usage && input.onUsage) {
      try {
        input.onUsage(usage);
      } catch {
        // As in the pool: the caller's report failing changes nothing about the tick.
      }
    }
    this.options.logs.forward(who, outcome.logs, { perSecond: limits.logRatePerSecond });
    return outcome;
  }

  async inspect(bundle: RunnableBundle): Promise<NodeMetadata> {
    this.assertAlive();
    checkBundle(bundle);
    const shard = this.shardOf(bundle.tenantId);
    return shard.inspect(bundle, this.cachedLimits(bundle.tenantId));
  }

  /** Disposes a tenant's isolate (e.g. after its nodes changed); its next tick builds a new one. */
  async evict(tenantId: string): Promise<void> {
    const i = this.placed.peek(tenantId);
    if (i !== undefined) await this.shards[i]!.evict(tenantId);
  }

  /** Counters over every shard (their heap figures are asked for, so this awaits each shard). */
  async stats(): Promise<ShardedRunnerStats> {
    const out: ShardedRunnerStats = { ...emptyPoolStats(), restarts: 0, overrunsKilled: 0, shards: 0 };
    out.memoryBudgetBytes = Math.floor(this.options.memoryBudgetMb * 1024 * 1024);
    const pools = await Promise.all(this.shards.map((s) => s.poolStats().catch(() => undefined)));
    this.shards.forEach((shard, i) => {
      const { restarts, overrunsKilled, ...counts } = shard.totals();
      addPoolStats(out, { ...counts, ...pools[i] });
      out.restarts += restarts;
      out.overrunsKilled += overrunsKilled;
      if (shard.running) out.shards++;
    });
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.shards.map((s) => s.dispose()));
  }

  /** @internal The tenant's limits and capability names, sent to its shard once. */
  setupOf(tenantId: string): TenantSetup {
    const names = new Set<string>();
    for (const caps of [this.options.capabilities, this.tenantOptions(tenantId)?.capabilities]) {
      if (caps) for (const name of Object.keys(caps)) names.add(name);
    }
    return { limits: this.cachedLimits(tenantId), capabilities: [...names] };
  }

  /** @internal The capability a tenant's guest called, run here on the host. */
  capability(tenantId: string, name: string): Capability | undefined {
    const own = this.tenantOptions(tenantId)?.capabilities;
    if (own && Object.hasOwn(own, name)) return own[name];
    const host = this.options.capabilities;
    return host && Object.hasOwn(host, name) ? host[name] : undefined;
  }

  /** @internal The factory of a bundle, built here once for every shard. */
  factoryOf(bundle: RunnableBundle): Promise<FactoryText> {
    return this.factories.of(bundle);
  }

  /** @internal A shard had to be given up on: the host's logger hears it. */
  abandoned(message: string, fields: Record<string, unknown>): void {
    this.options.logger?.error(message, fields);
  }

  private tenantOptions(tenantId: string): TenantSandboxOptions | undefined {
    return settingsOfTenant(this.options.tenants, tenantId);
  }

  /** The tenant's shard; a new tenant goes where the fewest requests are in flight, then the fewest tenants are. */
  private shardOf(tenantId: string): Shard {
    const known = this.placed.get(tenantId);
    if (known !== undefined) return this.shards[known]!;
    let best = 0;
    for (let i = 1; i < this.shards.length; i++) {
      const a = this.shards[i]!;
      const b = this.shards[best]!;
      if (a.load < b.load || (a.load === b.load && this.tenantsOn[i]! < this.tenantsOn[best]!)) best = i;
    }
    this.placed.set(tenantId, best);
    this.tenantsOn[best]!++;
    return this.shards[best]!;
  }

  private assertAlive(): void {
    if (this.disposed) throw new DisposedError('sandbox runner');
  }
}
