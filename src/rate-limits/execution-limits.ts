/**
 * `ExecutionLimits`: what a `PluginHost` checks before each run of a tenant's node or script. It
 * finds the run's scope (tenant, node entry or interpreter entry; the host's `rateLimits`, the
 * `tenants` option, and what `setRateLimits` changed at run time), takes a concurrency slot (this
 * process), a rate token and a day's quota unit (the {@link RateLimiter}), and either admits the
 * run — the caller releases its {@link RunPermit} when the run ends — or throws
 * {@link RateLimitedError}. Nothing here waits except the bounded concurrency queue.
 *
 * @module
 */
import { INTERPRETER_NODES } from '../binding-core/interpreter-props.js';
import type { InterpreterLanguage } from '../binding-core/interpreter-types.js';
import { InvalidInputError, RateLimitedError, type RateLimitKind } from '../errors.js';
import { settingsOfTenant, type PerTenant } from '../sandbox/tenant-options.js';
import { checkTenantRateLimits, compileTenantLimits, type CompiledTenantLimits, type ScopeLimits } from './config.js';
import { ConcurrencySlots, type SlotRefusal } from './concurrency.js';
import { ADMITTED, InProcessRateLimiter } from './in-process.js';
import type { RateDecision, RateLimiter, TenantRateLimits } from './types.js';

/** What a run of a tenant is: one of its nodes (by name), or one of its scripts (by language). */
export type RunKind = 'node' | 'interpreter';

/** Held while a run is in progress; `release()` once when it ends (a no-op for scopes without `concurrent`). */
export interface RunPermit {
  release(): void;
}

/** The per-tenant settings object `tenants` holds: only its `rateLimits` are read here. */
export interface TenantRateLimitOptions {
  /** This tenant's execution limits (over the host's `rateLimits`). See docs/operations.md. */
  rateLimits?: TenantRateLimits;
}

/** Options of {@link ExecutionLimits}. */
export interface ExecutionLimitsOptions {
  /** Limits of every tenant (a tenant's own win field by field). */
  defaults?: TenantRateLimits | undefined;
  /** The host's `tenants` option (map or lookup); its entries' `rateLimits` are read. */
  tenants?: PerTenant<TenantRateLimitOptions> | undefined;
  /** Where rate and quota counters live (default: {@link InProcessRateLimiter}). */
  limiter?: RateLimiter | undefined;
  /** Milliseconds since the epoch (default `Date.now`); tests move it across a UTC midnight. */
  clock?: (() => number) | undefined;
  /**
   * Told of every refusal just before it is thrown (or the admission rejects with it): the
   * telemetry's `rate-limited` report. `name` is the node name or the interpreter language.
   */
  onRefused?: ((refusal: RateLimitedError, kind: RunKind, name: string) => void) | undefined;
}

/** The permit of a run no concurrency limit counts: releasing it does nothing. */
export const NO_PERMIT: RunPermit = Object.freeze({ release() {} });
const MAX_CACHED_TENANTS = 10_000;

interface CacheEntry {
  generation: number;
  source: TenantRateLimits | undefined;
  compiled: CompiledTenantLimits | undefined;
}

class SlotPermit implements RunPermit {
  #released = false;
  readonly #started: number;
  constructor(
    readonly slots: ConcurrencySlots,
    readonly clock: () => number,
    started: number,
  ) {
    this.#started = started;
  }
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.slots.release(this.clock() - this.#started);
  }
}

/**
 * The host's execution limits.
 *
 * @example
 * ```ts
 * const limits = new ExecutionLimits({ defaults: { runsPerSecond: 10 } });
 * const permit = await limits.admit('acme', 'node', 'SendSlackMessage'); // or throws RateLimitedError
 * try { await run(); } finally { permit.release(); }
 * ```
 */
export class ExecutionLimits {
  readonly limiter: RateLimiter;
  readonly #clock: () => number;
  readonly #onRefused: ExecutionLimitsOptions['onRefused'];
  readonly #tenants: PerTenant<TenantRateLimitOptions> | undefined;
  #defaults: TenantRateLimits | undefined;
  readonly #overrides = new Map<string, TenantRateLimits | undefined>();
  readonly #cache = new Map<string, CacheEntry>();
  readonly #slots = new Map<string, ConcurrencySlots>();
  #generation = 0;

  constructor(options: ExecutionLimitsOptions = {}) {
    if (options.defaults !== undefined) checkTenantRateLimits(options.defaults, 'rateLimits');
    // A map is checked whole here, so a typo fails when the host is made; a lookup is checked per tenant on first use.
    if (options.tenants && typeof options.tenants !== 'function') {
      for (const [tenantId, settings] of Object.entries(options.tenants)) {
        if (settings?.rateLimits !== undefined) checkTenantRateLimits(settings.rateLimits, `tenants.${tenantId}.rateLimits`);
      }
    }
    this.#tenants = options.tenants;
    this.#checkAll(options.defaults);
    if (options.limiter !== undefined && (typeof options.limiter?.take !== 'function' || typeof options.limiter.count !== 'function')) {
      throw new InvalidInputError('invalid PluginHost options', '`rateLimiter` is not a RateLimiter (it needs `take` and `count`)', {
        hint: 'pass `new InProcessRateLimiter()`, a `PostgresRateLimiter` (`@wayfarer-ai/btree-plugins/metadata/postgres`) or a `RedisRateLimiter` (`@wayfarer-ai/btree-plugins/rate-limits/redis`)',
      });
    }
    this.#defaults = options.defaults;
    this.limiter = options.limiter ?? new InProcessRateLimiter();
    this.#clock = options.clock ?? Date.now;
    this.#onRefused = options.onRefused;
  }

  /**
   * Replaces one tenant's limits from now on (over the host-wide ones); `undefined` goes back to
   * what the `tenants` option says. Runs in progress keep their permits.
   * @throws InvalidInputError when `limits` are not valid (nothing changes then).
   */
  set(tenantId: string, limits: TenantRateLimits | undefined): void {
    if (limits !== undefined) {
      checkTenantRateLimits(limits, `setRateLimits(${JSON.stringify(tenantId)})`);
      compileTenantLimits(tenantId, this.#defaults, limits, `setRateLimits(${JSON.stringify(tenantId)})`);
      this.#overrides.set(tenantId, limits);
    } else this.#overrides.delete(tenantId);
    this.#cache.delete(tenantId);
  }

  /** Replaces the host-wide limits from now on. @throws InvalidInputError */
  setDefaults(limits: TenantRateLimits | undefined): void {
    if (limits !== undefined) checkTenantRateLimits(limits, 'setDefaultRateLimits()');
    this.#checkAll(limits);
    this.#defaults = limits;
    this.#generation++;
  }

  /** Resolves every tenant this object can list (a `tenants` map, run-time changes) over `defaults`: cross-field rules fail here, named. */
  #checkAll(defaults: TenantRateLimits | undefined): void {
    const tenants = this.#tenants;
    if (tenants && typeof tenants !== 'function') {
      for (const tenantId of Object.keys(tenants)) {
        if (!this.#overrides.has(tenantId)) compileTenantLimits(tenantId, defaults, tenants[tenantId]?.rateLimits, `tenants.${tenantId}.rateLimits`);
      }
    }
    for (const [tenantId, own] of this.#overrides) compileTenantLimits(tenantId, defaults, own, `setRateLimits(${JSON.stringify(tenantId)})`);
  }

  /** The tenant's own limits as configured now (run-time change, else the `tenants` option). */
  tenantLimits(tenantId: string): TenantRateLimits | undefined {
    return this.#overrides.has(tenantId) ? this.#overrides.get(tenantId) : settingsOfTenant(this.#tenants, tenantId)?.rateLimits;
  }

  /** The host-wide limits as configured now. */
  get defaults(): TenantRateLimits | undefined {
    return this.#defaults;
  }

  /** The compiled limits of a tenant, cached while neither its settings object nor the defaults change. */
  #compiled(tenantId: string): CompiledTenantLimits | undefined {
    const source = this.tenantLimits(tenantId);
    const cached = this.#cache.get(tenantId);
    if (cached !== undefined && cached.source === source && cached.generation === this.#generation) return cached.compiled;
    const where = this.#overrides.has(tenantId) ? `setRateLimits(${JSON.stringify(tenantId)})` : `tenants.${tenantId}.rateLimits`;
    if (source !== undefined && typeof this.#tenants === 'function' && !this.#overrides.has(tenantId)) checkTenantRateLimits(source, where);
    const compiled = compileTenantLimits(tenantId, this.#defaults, source, where);
    if (this.#cache.size >= MAX_CACHED_TENANTS) this.#cache.clear();
    this.#cache.set(tenantId, { generation: this.#generation, source, compiled });
    return compiled;
  }

  /** The limits a run of `name` (node name, or interpreter language) is checked against, or `undefined`. */
  scopeOf(tenantId: string, kind: RunKind, name: string): ScopeLimits | undefined {
    const compiled = this.#compiled(tenantId);
    if (compiled === undefined) return undefined;
    if (kind === 'node') {
      const nodes = compiled.nodes;
      return nodes.size !== 0 && nodes.has(name) ? nodes.get(name) : compiled.tenant;
    }
    const interpreters = compiled.interpreters as Record<string, ScopeLimits | undefined>;
    return Object.hasOwn(interpreters, name) ? interpreters[name] : compiled.tenant;
  }

  /** Runs in progress and waiting of a scope key, in this process (for tests and metrics). */
  slotsOf(key: string): { inFlight: number; waiting: number } {
    const slots = this.#slots.get(key);
    return { inFlight: slots?.inFlight ?? 0, waiting: slots?.waiting ?? 0 };
  }

  /**
   * Admits one run, or throws {@link RateLimitedError}. Answers synchronously when nothing has to
   * wait (no queue, in-process limiter). `signal` aborts a wait in the concurrency queue.
   */
  admit(tenantId: string, kind: RunKind, name: string, signal?: AbortSignal): RunPermit | Promise<RunPermit> {
    const scope = this.scopeOf(tenantId, kind, name);
    if (scope === undefined) return NO_PERMIT;
    if (scope.concurrent === undefined) return this.#counters(scope, tenantId, kind, name, NO_PERMIT, this.#clock());
    let slots = this.#slots.get(scope.key);
    if (slots === undefined) {
      if (this.#slots.size >= MAX_CACHED_TENANTS * 10) this.#sweepSlots();
      this.#slots.set(scope.key, (slots = new ConcurrencySlots()));
    }
    const got = slots.acquire(scope.concurrent, scope.queue, scope.queueTimeoutMs, signal);
    if (got === true) {
      const now = this.#clock();
      return this.#counters(scope, tenantId, kind, name, new SlotPermit(slots, this.#clock, now), now);
    }
    if (!(got instanceof Promise)) throw this.#slotRefused(got, scope, tenantId, kind, name);
    const held = slots;
    return got.then((granted) => {
      if (granted !== true) throw this.#slotRefused(granted, scope, tenantId, kind, name);
      const now = this.#clock();
      return this.#counters(scope, tenantId, kind, name, new SlotPermit(held, this.#clock, now), now);
    });
  }

  /**
   * Takes the rate token, then the quota unit; gives the slot back when either refuses or fails.
   * No closure on the synchronous path: an admitted in-process run allocates nothing here. `now`:
   * the clock read once for the slot and the counters.
   */
  #counters(scope: ScopeLimits, tenantId: string, kind: RunKind, name: string, permit: RunPermit, now: number): RunPermit | Promise<RunPermit> {
    let rate: RateDecision | Promise<RateDecision> = ADMITTED;
    if (scope.rate !== undefined) {
      try {
        rate = this.limiter.take(scope.key, scope.rate, now);
      } catch (e) {
        return this.#failed(e, permit);
      }
    }
    if (rate instanceof Promise) {
      return rate.then(
        (r) => this.#afterRate(r, now, scope, tenantId, kind, name, permit),
        (e: unknown) => this.#failed(e, permit),
      );
    }
    return this.#afterRate(rate, now, scope, tenantId, kind, name, permit);
  }

  #afterRate(rate: RateDecision, now: number, scope: ScopeLimits, tenantId: string, kind: RunKind, name: string, permit: RunPermit): RunPermit | Promise<RunPermit> {
    if (!rate.ok) {
      permit.release();
      throw this.#refused('runsPerSecond', rate.retryAfterMs, scope, tenantId, kind, name);
    }
    if (scope.dailyQuota === undefined) return permit;
    let quota: RateDecision | Promise<RateDecision>;
    try {
      quota = this.limiter.count(scope.key, scope.dailyQuota, now);
    } catch (e) {
      return this.#failed(e, permit);
    }
    if (quota instanceof Promise) {
      return quota.then(
        (q) => this.#afterQuota(q, scope, tenantId, kind, name, permit),
        (e: unknown) => this.#failed(e, permit),
      );
    }
    return this.#afterQuota(quota, scope, tenantId, kind, name, permit);
  }

  #afterQuota(quota: RateDecision, scope: ScopeLimits, tenantId: string, kind: RunKind, name: string, permit: RunPermit): RunPermit {
    if (quota.ok) return permit;
    permit.release();
    throw this.#refused('dailyQuota', quota.retryAfterMs, scope, tenantId, kind, name);
  }

  /** Forgets idle scopes' slots (none in progress or waiting): a new object counts the same from zero. */
  #sweepSlots(): void {
    for (const [key, slots] of this.#slots) if (slots.inFlight === 0 && slots.waiting === 0) this.#slots.delete(key);
  }

  #failed(error: unknown, permit: RunPermit): never {
    permit.release();
    throw error;
  }

  #slotRefused(refusal: SlotRefusal, scope: ScopeLimits, tenantId: string, kind: RunKind, name: string): RateLimitedError {
    const detail = refusal.reason === 'full' ? `${scope.concurrent} runs in progress and ${scope.queue} waiting` : `no slot freed up within ${scope.queueTimeoutMs} ms (${scope.concurrent} runs in progress)`;
    return this.#refused('concurrent', refusal.retryAfterMs, scope, tenantId, kind, name, detail);
  }

  #refused(limit: RateLimitKind, retryAfterMs: number, scope: ScopeLimits, tenantId: string, kind: RunKind, name: string, detail?: string): RateLimitedError {
    const node = kind === 'node' ? name : (INTERPRETER_NODES[name as InterpreterLanguage]?.type ?? name);
    const text =
      detail ??
      (limit === 'runsPerSecond'
        ? `over ${scope.rate!.runsPerSecond} runs per second (burst ${scope.rate!.burst})`
        : `the daily quota of ${scope.dailyQuota} runs (UTC day) is used up`);
    const refusal = new RateLimitedError(limit, tenantId, node, retryAfterMs, text, { context: { scope: scope.key === tenantId ? 'tenant' : scope.key.slice(tenantId.length + 1) } });
    this.#onRefused?.(refusal, kind, name);
    return refusal;
  }
}
