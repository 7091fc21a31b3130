/**
 * `TieredRunner`: the runner a `PluginHost` builds by default. Each tenant runs in the tier its
 * isolation says (its own `isolation`, else the host's, else `thread`): an in-process
 * {@link SandboxPool} (`inline`), a {@link ShardedRunner} of worker threads (`thread`) or of child
 * processes (`process`). Tiers start on first use. See docs/security.md (what each mode protects
 * against) and docs/host-integration.md (sizing).
 *
 * @example
 * ```ts
 * const runner = new TieredRunner({
 *   execution: { isolation: 'thread', threads: 4 },
 *   tenants: { 'new-customer': { isolation: 'process' } },
 *   capabilities: { sendSlackMessage: async (ctx, channel, text) => slack.post(String(channel), String(text)) },
 * });
 * const outcome = await runner.tick(bundle, { props: {}, blackboard: {} });
 * await runner.dispose();
 * ```
 * @module
 */
import { availableParallelism } from 'node:os';
import { GuestLogForwarder } from '../binding-core/guest-log.js';
import type { NodeMetadata } from '../binding-core/types.js';
import { DisposedError } from '../errors.js';
import { resolveLimits, type SandboxLimits } from '../sandbox/limits.js';
import { addPoolStats, emptyPoolStats, resolvePoolSizing, SandboxPool, type SandboxPoolOptions, type SandboxPoolStats } from '../sandbox/pool.js';
import { settingsOfTenant } from '../sandbox/tenant-options.js';
import type { NodeRunner, RunnableBundle, TickInput, TickOutcome } from '../sandbox/types.js';
import { checkIsolation, resolveExecutionOptions, type ExecutionOptions, type Isolation, type ResolvedExecutionOptions } from './isolation.js';
import { ShardedRunner, type ShardedRunnerStats } from './sharded-runner.js';

/** Options of {@link TieredRunner}: the sandbox pool's, plus where tenants run. */
export interface TieredRunnerOptions extends SandboxPoolOptions {
  /** Isolation mode and tier sizes. */
  execution?: ExecutionOptions;
}

/** Counters of each tier that has started, and their sum. */
export interface TieredRunnerStats extends SandboxPoolStats {
  tiers: { inline?: SandboxPoolStats; thread?: ShardedRunnerStats; process?: ShardedRunnerStats };
}

/** Runs each tenant's bundles in the tier its isolation mode names. */
export class TieredRunner implements NodeRunner {
  private readonly execution: ResolvedExecutionOptions;
  private readonly sizing: { maxIsolates: number; memoryBudgetMb: number };
  private readonly hostLimits: SandboxLimits;
  private readonly logs: GuestLogForwarder;
  private inlinePool: SandboxPool | undefined;
  private readonly sharded: { thread?: ShardedRunner; process?: ShardedRunner } = {};
  private disposed = false;

  constructor(private readonly options: TieredRunnerOptions = {}) {
    this.execution = resolveExecutionOptions(options.execution, availableParallelism());
    this.hostLimits = resolveLimits(options.limits);
    this.sizing = resolvePoolSizing(options);
    this.logs = options.logForwarder ?? new GuestLogForwarder(options.logger);
  }

  /** Where `tenantId`'s code runs. */
  isolationOf(tenantId: string): Isolation {
    const own = settingsOfTenant(this.options.tenants, tenantId)?.isolation;
    return own === undefined ? this.execution.isolation : checkIsolation(own, `tenants[${JSON.stringify(tenantId)}].isolation`);
  }

  /** The limits that apply to `tenantId`. */
  limitsFor(tenantId: string): SandboxLimits {
    return resolveLimits(this.hostLimits, settingsOfTenant(this.options.tenants, tenantId)?.limits);
  }

  tick(bundle: RunnableBundle, input: TickInput): Promise<TickOutcome> {
    // Not `async`: the tier's promise is returned as it is (one promise layer fewer per tick).
    let tier: NodeRunner;
    try {
      tier = this.tierOf(bundle);
    } catch (error) {
      return Promise.reject(error);
    }
    return tier.tick(bundle, input);
  }

  /** @internal The tier that runs `bundle` (telemetry observes its ticks there). Throws when disposed. */
  runnerFor(bundle: RunnableBundle): NodeRunner {
    return this.tierOf(bundle);
  }

  async inspect(bundle: RunnableBundle): Promise<NodeMetadata> {
    return this.tierOf(bundle).inspect(bundle);
  }

  /** Disposes a tenant's isolate in its tier (e.g. after its nodes changed). */
  async evict(tenantId: string): Promise<void> {
    const mode = this.isolationOf(tenantId);
    if (mode === 'inline') this.inlinePool?.evict(tenantId);
    else await this.sharded[mode]?.evict(tenantId);
  }

  /** Counters of every tier that has started. */
  async stats(): Promise<TieredRunnerStats> {
    const tiers: TieredRunnerStats['tiers'] = {};
    if (this.inlinePool) tiers.inline = this.inlinePool.stats();
    if (this.sharded.thread) tiers.thread = await this.sharded.thread.stats();
    if (this.sharded.process) tiers.process = await this.sharded.process.stats();
    const sum: TieredRunnerStats = { ...emptyPoolStats(), tiers };
    for (const t of Object.values(tiers)) addPoolStats(sum, t);
    return sum;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const results = await Promise.allSettled([this.inlinePool?.dispose(), this.sharded.thread?.dispose(), this.sharded.process?.dispose()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private tierOf(bundle: RunnableBundle): NodeRunner {
    if (this.disposed) throw new DisposedError('sandbox runner');
    const mode = this.isolationOf(bundle?.tenantId);
    if (mode === 'inline') return (this.inlinePool ??= new SandboxPool({ ...this.options, logForwarder: this.logs }));
    return (this.sharded[mode] ??= this.shardedRunner(mode));
  }

  private shardedRunner(kind: 'thread' | 'process'): ShardedRunner {
    const o = this.options;
    const e = this.execution;
    return new ShardedRunner({
      kind,
      shards: kind === 'thread' ? e.threads : e.processes,
      maxIsolates: this.sizing.maxIsolates,
      memoryBudgetMb: this.sizing.memoryBudgetMb,
      killGraceMs: e.killGraceMs,
      processMemoryMb: e.processMemoryMb,
      nice: e.shardNice,
      logs: this.logs,
      ...(o.limits ? { limits: o.limits } : {}),
      ...(o.capabilities ? { capabilities: o.capabilities } : {}),
      ...(o.tenants ? { tenants: o.tenants } : {}),
      ...(o.bundleCache ? { bundleCache: o.bundleCache } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
    });
  }
}
