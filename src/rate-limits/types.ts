/**
 * The host's execution limits per tenant (how often, how many at once, how many per UTC day a
 * tenant's nodes and scripts may run) and the {@link RateLimiter} contract their counters live
 * behind. Types only: the workflow entry never needs them, and the root entry stays light.
 *
 * @module
 */

/**
 * Limits of one scope: a tenant, one of its nodes, or one of its interpreters. Every field is
 * optional; a missing one means "no limit of that kind" (or, for a node or interpreter entry, the
 * tenant's value).
 *
 * @example
 * ```ts
 * host.setDefaultRateLimits({ runsPerSecond: 20, burst: 40, concurrent: 4, queue: 16, queueTimeoutMs: 5_000, dailyQuota: 100_000 });
 * ```
 */
export interface RateLimitSettings {
  /** Steady rate: runs started per second (may be fractional, e.g. `0.5`). Shared by every worker when the limiter is shared. */
  runsPerSecond?: number;
  /**
   * Runs that may start at the same instant (the bucket size). Over any `t` seconds at most
   * `burst + runsPerSecond × t` runs start. Default: `max(1, ceil(runsPerSecond))`. Needs `runsPerSecond`.
   */
  burst?: number;
  /** Runs in progress at once, per worker process (concurrency is never shared across processes). */
  concurrent?: number;
  /**
   * Runs that may wait for a free `concurrent` slot; the next one is refused at once. Default 0:
   * refuse as soon as `concurrent` runs are in progress. Needs `concurrent`.
   */
  queue?: number;
  /** Longest wait in that queue, in ms, before the run is refused (default 10 000). Needs `queue`. */
  queueTimeoutMs?: number;
  /** Runs per UTC day (00:00 to 24:00 UTC). */
  dailyQuota?: number;
}

/**
 * A tenant's limits: its own (shared by all its nodes and scripts), and entries that give one node
 * or one interpreter limits of its own. An entry's missing fields take the tenant's values; the
 * runs of a node or interpreter with an entry count against that entry only, not the tenant's.
 *
 * @example
 * ```ts
 * new PluginHost({
 *   btree, storage,
 *   rateLimits: { runsPerSecond: 50, concurrent: 8 },              // every tenant
 *   tenants: {
 *     acme: { rateLimits: { runsPerSecond: 10, dailyQuota: 50_000,
 *                           nodes: { SendSlackMessage: { runsPerSecond: 1, burst: 1 } },
 *                           interpreters: { python: { concurrent: 1, queue: 4 } } } },
 *   },
 * });
 * ```
 */
export interface TenantRateLimits extends RateLimitSettings {
  /** Per node name (the tenant node's name, every version). */
  nodes?: Record<string, RateLimitSettings>;
  /** Per interpreter language. */
  interpreters?: { javascript?: RateLimitSettings; python?: RateLimitSettings };
}

/** The rate of one bucket: the GCRA parameters. */
export interface RateSpec {
  /** Runs per second. */
  runsPerSecond: number;
  /** Bucket size (runs at one instant). */
  burst: number;
}

/** What a limiter answers: admitted, or refused with the wait until the next run can be admitted. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Where the counters of the rate and daily-quota limits live: in this process (exact, the
 * default), or shared by every worker (PostgreSQL, Redis). Concurrency is not here: it is counted
 * per worker process by the host.
 *
 * Implementations must be atomic per call: N concurrent `take`s on one key admit at most
 * `burst + runsPerSecond × t` runs over any `t` seconds, and N concurrent `count`s at most `quota`.
 */
export interface RateLimiter {
  /** A short name for logs (`in-process`, `postgres`, `redis`). */
  readonly name: string;
  /**
   * Takes one run from the GCRA bucket `key`. `now` is ms since the epoch (the host's clock).
   * May answer synchronously (the in-process limiter does, to stay off the allocator).
   */
  take(key: string, rate: RateSpec, now: number): RateDecision | Promise<RateDecision>;
  /**
   * Counts one run against `key`'s quota of the UTC day containing `now`; refused when `quota`
   * runs were already counted that day. A refused run never uses up quota.
   */
  count(key: string, quota: number, now: number): RateDecision | Promise<RateDecision>;
  /** Releases connections the limiter opened itself (never a pool or client the host passed). */
  dispose?(): Promise<void>;
}
