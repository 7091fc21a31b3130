/**
 * `SandboxPool`: runs tenant bundles in isolated-vm, one isolate per tenant, a bounded LRU of
 * isolates across tenants. Implements {@link NodeRunner}.
 *
 * @example
 * ```ts
 * const pool = new SandboxPool({
 *   limits: { wallTimeMs: 5_000, cpuTimeMs: 50 },
 *   capabilities: { sendSlackMessage: async (ctx, channel, message) => slack.post(channel, message) },
 *   tenants: { acme: { limits: { memoryMb: 128 } } },
 *   logger: console,
 * });
 * const outcome = await pool.tick(bundle, { props: { channel: '#ops' }, blackboard: { user: 'ada' } });
 * await pool.dispose();
 * ```
 * @module
 */
import { DisposedError, InvalidInputError, LimitExceededError } from '../errors.js';
import { isolatedVm } from '../platform/isolated-vm.js';
import type { NodeMetadata } from '../binding-core/types.js';
import type { FactoryText } from './bundle-factory.js';
import { CompiledBundleCache, type CompiledBundleCacheOptions } from './compiled-bundle-cache.js';
import { limitMessage, resolveLimits, setupLimits, type SandboxLimits } from './limits.js';
import { GuestLogForwarder, type GuestLogSink } from '../binding-core/guest-log.js';
import { settingsOfTenant, type PerTenant } from './tenant-options.js';
import { TenantSandbox, type Capability } from './tenant-sandbox.js';
import type { TickMeasure } from './tick-state.js';
import type { NodeRunner, RunnableBundle, TickInput, TickObserver, TickOutcome } from './types.js';
import type { Isolation } from '../execution/isolation.js';


/** The host's logger as the sandbox uses it: `(message, fields)` at four levels. */
export type SandboxLogger = GuestLogSink;

/** Per-tenant overrides. */
export interface TenantSandboxOptions {
  /** Limits for this tenant, over the host's. */
  limits?: Partial<SandboxLimits>;
  /** Capabilities for this tenant, over (and in addition to) the host's. */
  capabilities?: Record<string, Capability>;
  /**
   * Where this tenant's code runs, over the host's `execution.isolation` (see {@link Isolation}).
   * Read by the `TieredRunner` (the `PluginHost` default); a bare `SandboxPool` is `inline`.
   */
  isolation?: Isolation;
}

/** Options of {@link SandboxPool}. */
export interface SandboxPoolOptions {
  /** Host-wide limits over {@link DEFAULT_LIMITS}. */
  limits?: Partial<SandboxLimits>;
  /** Host functions every tenant may call by name. */
  capabilities?: Record<string, Capability>;
  /** Per-tenant overrides, as a map or a lookup. */
  tenants?: PerTenant<TenantSandboxOptions>;
  /** Receives guest console lines (escaped, rate-limited) tagged with tenant, node and version. */
  logger?: SandboxLogger;
  /**
   * The forwarder guest lines go through, when the host shares one (and so one per-tenant rate)
   * with its interpreter nodes. Default: a forwarder of its own in front of `logger`.
   */
  logForwarder?: GuestLogForwarder;
  /** Most live isolates (default 500). The least recently used idle one is disposed beyond that. */
  maxIsolates?: number;
  /**
   * Memory the live isolates may hold together, in MiB (default 1024): heap as committed plus
   * ArrayBuffers, re-read after a tick that ran 0.5 ms or more (and after every 16th tick). Beyond it, the least recently used idle
   * isolates are disposed until the total fits again (their tenants' next tick rebuilds one, ≈2 ms
   * plus loading the bundle). A tick in flight may grow its isolate up to `memoryMb` on top, so the
   * worst case is `memoryBudgetMb + ticks in flight × memoryMb`. See docs/host-integration.md.
   */
  memoryBudgetMb?: number;
  /** Bounds of the compiled-bundle cache. */
  bundleCache?: CompiledBundleCacheOptions;
}

/** Counters for leak checks and operations. */
export interface SandboxPoolStats {
  isolatesCreated: number;
  isolatesDisposed: number;
  liveIsolates: number;
  ticks: number;
  breaches: number;
  /** Idle isolates disposed to keep inside the memory budget. */
  budgetEvictions: number;
  /** V8 heap in use across live isolates (bytes), after their last GC. */
  heapBytes: number;
  /** Memory the live isolates hold (bytes) as the budget counts it, as of each one's last tick. */
  heldBytes: number;
  /** The memory budget (bytes): see {@link SandboxPoolOptions.memoryBudgetMb}. */
  memoryBudgetBytes: number;
  bundleCache: { entries: number; bytes: number };
}

/** The counters of {@link SandboxPoolStats} a pool keeps without asking V8. */
export type SandboxPoolCounts = Omit<SandboxPoolStats, 'heapBytes' | 'memoryBudgetBytes' | 'bundleCache'>;

/** Stats of no pool: what sums of several start from. */
export function emptyPoolStats(): SandboxPoolStats {
  return {
    isolatesCreated: 0, isolatesDisposed: 0, liveIsolates: 0, ticks: 0, breaches: 0, budgetEvictions: 0,
    heapBytes: 0, heldBytes: 0, memoryBudgetBytes: 0, bundleCache: { entries: 0, bytes: 0 },
  };
}

/** Adds `add` into `sum` (every count and byte figure of pools that run side by side). */
export function addPoolStats(sum: SandboxPoolStats, add: Partial<SandboxPoolStats>): void {
  for (const k of ['isolatesCreated', 'isolatesDisposed', 'liveIsolates', 'ticks', 'breaches', 'budgetEvictions', 'heapBytes', 'heldBytes', 'memoryBudgetBytes'] as const) {
    sum[k] += add[k] ?? 0;
  }
  sum.bundleCache.entries += add.bundleCache?.entries ?? 0;
  sum.bundleCache.bytes += add.bundleCache?.bytes ?? 0;
}

const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Default of {@link SandboxPoolOptions.maxIsolates}. */
export const DEFAULT_MAX_ISOLATES = 500;
/** Default of {@link SandboxPoolOptions.memoryBudgetMb}: about 400 idle isolates. */
export const DEFAULT_MEMORY_BUDGET_MB = 1024;
/** A tick at least this long (ms) may have allocated megabytes: what its isolate holds is re-read after it. */
const ACCOUNT_AFTER_MS = 0.5;
/** What a new isolate holds once its guest runtime is set up (measured: 2.2–2.5 MB), room made before creating one. */
const FRESH_ISOLATE_BYTES = 2.5 * 1024 * 1024;

/** Runs tenant bundles in per-tenant isolated-vm isolates. */
export class SandboxPool implements NodeRunner {
  private readonly sandboxes = new Map<string, TenantSandbox>();
  private readonly bundles: CompiledBundleCache;
  private readonly hostLimits: SandboxLimits;
  private readonly logs: GuestLogForwarder;
  private readonly maxIsolates: number;
  private readonly memoryBudgetBytes: number;
  /** Bytes each live isolate held after its last tick, and their sum. */
  private readonly held = new Map<TenantSandbox, number>();
  private heldTotal = 0;
  /** Ticks since an isolate's holding was last read (see `tick`). */
  private unaccountedTicks = 0;
  private readonly counters = { isolatesCreated: 0, isolatesDisposed: 0, ticks: 0, breaches: 0, budgetEvictions: 0 };
  private disposed = false;

  constructor(private readonly options: SandboxPoolOptions = {}) {
    // Fail here, with the fix named, on a Node whose isolated-vm build is missing or unfit.
    isolatedVm();
    this.hostLimits = resolveLimits(options.limits);
    this.bundles = new CompiledBundleCache(options.bundleCache);
    this.logs = options.logForwarder ?? new GuestLogForwarder(options.logger);
    const sizing = resolvePoolSizing(options);
    this.maxIsolates = sizing.maxIsolates;
    this.memoryBudgetBytes = Math.floor(sizing.memoryBudgetMb * 1024 * 1024);
  }

  /** The limits that apply to `tenantId`. */
  limitsFor(tenantId: string): SandboxLimits {
    return resolveLimits(this.hostLimits, this.tenantOptions(tenantId)?.limits);
  }

  /** @internal A shard's pool: the host built `bundle`'s factory (see bundle-factory.ts); it is not built here. */
  provideFactory(bundle: RunnableBundle, text: FactoryText): void {
    this.bundles.provideFactory(this.bundles.get(bundle), text);
  }

  tick(bundle: RunnableBundle, input: TickInput): Promise<TickOutcome> {
    return this.run(bundle, input, undefined);
  }

  /** @internal See {@link NodeRunner.tickObserved}: the tick measured here, reported to `observer`. */
  tickObserved(bundle: RunnableBundle, input: TickInput, observer: TickObserver): Promise<TickOutcome> {
    return this.run(bundle, input, observer);
  }

  private async run(bundle: RunnableBundle, input: TickInput, observer: TickObserver | undefined): Promise<TickOutcome> {
    const started = performance.now();
    let outcome: TickOutcome;
    let measure: TickMeasure | undefined;
    try {
      this.assertAlive();
      checkBundle(bundle);
      const entry = this.bundles.get(bundle);
      const sandbox = this.sandboxFor(bundle.tenantId);
      const caps = (sandbox.capabilities ??= this.capabilityLookup(bundle.tenantId));
      this.counters.ticks++;
      if (observer) measure = { heap: observer.wantsHeap(), usage: undefined };
      const result = await sandbox.tick(bundle, entry, input, caps, measure);
      outcome = result.outcome;
      if (result.breach) {
        this.counters.breaches++;
        outcome.limit = result.breach;
      }
      // Reading an isolate's heap costs a V8 call (≈ 3 µs): after a tick long enough to have
      // allocated much, else when 16 ticks of the pool went by unaccounted. A tick whose usage
      // read the heap (telemetry samples one tick in 16 by default) is accounted with that reading.
      const read = sandbox.takeHeldReading();
      if (read !== undefined) this.record(sandbox, read);
      else if (performance.now() - started >= ACCOUNT_AFTER_MS || ++this.unaccountedTicks >= 16) this.account(sandbox);
      this.logs.forward({ tenantId: bundle.tenantId, node: bundle.node, version: bundle.version }, outcome.logs, { perSecond: sandbox.limits.logRatePerSecond });
    } catch (error) {
      observer?.settled(bundle, input, started, undefined, error, undefined);
      throw error;
    }
    observer?.settled(bundle, input, started, outcome, undefined, measure?.usage);
    return outcome;
  }

  async inspect(bundle: RunnableBundle): Promise<NodeMetadata> {
    this.assertAlive();
    checkBundle(bundle);
    const entry = this.bundles.get(bundle);
    const sandbox = this.sandboxFor(bundle.tenantId);
    const context = { tenant: bundle.tenantId, node: bundle.node, version: bundle.version };
    const r = await sandbox.inspect(bundle, entry);
    this.account(sandbox);
    if (r.breach) {
      this.counters.breaches++;
      throw new LimitExceededError(r.breach, 'inspect failed', limitMessage(bundle, r.breach, setupLimits(sandbox.limits)), { context });
    }
    if (r.error !== undefined) {
      throw new InvalidInputError('inspect failed', r.error, {
        context,
        hint: 'the bundle must `export default` a class that extends ActionNode/ConditionNode, or the result of defineNode()',
      });
    }
    return toMetadata(r.metadata, context);
  }

  /** Disposes the isolate of one tenant (e.g. after its nodes changed); the next tick rebuilds it. */
  evict(tenantId: string): void {
    this.sandboxes.get(tenantId)?.dispose('evicted');
  }

  stats(): SandboxPoolStats {
    return {
      ...this.counts(),
      heapBytes: [...this.sandboxes.values()].reduce((n, s) => n + s.heapBytes(), 0),
      memoryBudgetBytes: this.memoryBudgetBytes,
      bundleCache: this.bundles.stats(),
    };
  }

  /** The counters of {@link stats} that cost nothing to read (no V8 call): sent with every reply of a shard. */
  counts(): SandboxPoolCounts {
    return { ...this.counters, liveIsolates: this.sandboxes.size, heldBytes: this.heldTotal };
  }

  /**
   * The code and source map of a bundle this pool has cached (already integrity-checked), so that a
   * shard is sent a bundle's code once rather than with every tick. Internal to the execution tiers.
   */
  cachedBundle(sha256: string): { code: string; sourceMap: string | undefined } | undefined {
    return this.bundles.peek(sha256);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    let first: unknown;
    for (const s of [...this.sandboxes.values()].reverse()) {
      try {
        s.dispose('pool disposed');
      } catch (e) {
        first ??= e;
      }
    }
    this.bundles.clear();
    if (first) throw first;
  }

  private assertAlive(): void {
    if (this.disposed) throw new DisposedError('sandbox pool');
  }

  private tenantOptions(tenantId: string): TenantSandboxOptions | undefined {
    return settingsOfTenant(this.options.tenants, tenantId);
  }

  private capabilityLookup(tenantId: string): (name: string) => Capability | undefined {
    const own = this.tenantOptions(tenantId)?.capabilities;
    const host = this.options.capabilities;
    return (name) => {
      if (own && Object.hasOwn(own, name)) return own[name];
      if (host && Object.hasOwn(host, name)) return host[name];
      return undefined;
    };
  }

  private sandboxFor(tenantId: string): TenantSandbox {
    let s = this.sandboxes.get(tenantId);
    if (s?.alive) {
      // Map order is the LRU order: re-insert on use.
      this.sandboxes.delete(tenantId);
      this.sandboxes.set(tenantId, s);
      return s;
    }
    if (s) this.sandboxes.delete(tenantId);
    this.evictIdle(this.maxIsolates - 1);
    this.trimToBudget(FRESH_ISOLATE_BYTES);
    const logger = this.options.logger;
    s = new TenantSandbox(
      tenantId,
      this.limitsFor(tenantId),
      this.bundles,
      (dead) => {
        this.counters.isolatesDisposed++;
        if (this.sandboxes.get(dead.tenantId) === dead) this.sandboxes.delete(dead.tenantId);
        this.heldTotal -= this.held.get(dead) ?? 0;
        this.held.delete(dead);
      },
      // V8 lost control of the isolate: nothing to recover; tell the operator (restart advised).
      (message) => logger?.error(`isolated-vm catastrophic error: ${message}. HINT: restart this process`, { tenantId }),
    );
    this.counters.isolatesCreated++;
    this.sandboxes.set(tenantId, s);
    return s;
  }

  /** Re-reads what `sandbox` holds after a tick, then keeps the total inside the budget. */
  private account(sandbox: TenantSandbox): void {
    if (!sandbox.alive) return;
    this.record(sandbox, sandbox.heldBytes());
  }

  /** Counts `bytes`, what `sandbox` holds as just read, against the memory budget. */
  private record(sandbox: TenantSandbox, bytes: number): void {
    this.unaccountedTicks = 0;
    if (!sandbox.alive) return;
    this.heldTotal += bytes - (this.held.get(sandbox) ?? 0);
    this.held.set(sandbox, bytes);
    if (this.heldTotal > this.memoryBudgetBytes) this.trimToBudget(0);
  }

  /**
   * Disposes least recently used idle isolates until the held total plus `room` fits the budget
   * (busy ones are spared; the isolate that just ticked is the most recently used, so it goes last).
   */
  private trimToBudget(room: number): void {
    if (this.heldTotal + room <= this.memoryBudgetBytes) return;
    for (const s of [...this.sandboxes.values()]) {
      if (s.active !== 0) continue;
      s.dispose('evicted (memory budget)');
      this.counters.budgetEvictions++;
      if (this.heldTotal + room <= this.memoryBudgetBytes) return;
    }
  }

  /** Disposes least recently used idle isolates until at most `keep` remain (busy ones are spared). */
  private evictIdle(keep: number): void {
    for (const s of [...this.sandboxes.values()]) {
      if (this.sandboxes.size <= keep) return;
      if (s.active === 0) s.dispose('evicted (pool full)');
    }
  }
}

/** The pool's size bounds with their defaults, checked (the execution tiers share them out between shards). */
export function resolvePoolSizing(options: Pick<SandboxPoolOptions, 'maxIsolates' | 'memoryBudgetMb'>): { maxIsolates: number; memoryBudgetMb: number } {
  const maxIsolates = options.maxIsolates ?? DEFAULT_MAX_ISOLATES;
  if (!Number.isInteger(maxIsolates) || maxIsolates < 1) {
    throw new InvalidInputError('invalid sandbox pool options', `maxIsolates must be a positive integer, got ${String(options.maxIsolates)}`);
  }
  const memoryBudgetMb = options.memoryBudgetMb ?? DEFAULT_MEMORY_BUDGET_MB;
  if (typeof memoryBudgetMb !== 'number' || !Number.isFinite(memoryBudgetMb) || memoryBudgetMb < 8) {
    throw new InvalidInputError('invalid sandbox pool options', `memoryBudgetMb must be a number of MiB, at least 8, got ${String(options.memoryBudgetMb)}`, {
      hint: 'size it as idle isolates kept × about 2.5 MiB, plus room for the ticks in flight',
    });
  }
  return { maxIsolates, memoryBudgetMb };
}

/** Throws a clear error for a bundle that did not come from the loader (every runner checks this first). */
export function checkBundle(bundle: RunnableBundle): void {
  if (!bundle || typeof bundle !== 'object' || typeof bundle.code !== 'string' || typeof bundle.sha256 !== 'string') {
    throw new InvalidInputError('invalid bundle', 'a RunnableBundle needs code and sha256 strings', { hint: 'load bundles through the registry/loader' });
  }
  if (typeof bundle.tenantId !== 'string' || !TENANT_ID.test(bundle.tenantId)) {
    throw new InvalidInputError('invalid bundle', `tenantId ${JSON.stringify(bundle.tenantId)} is not a valid tenant id`, {
      hint: 'tenant ids are 1-63 lowercase letters, digits and dashes',
    });
  }
}

const PORT_TYPES = new Set(['input', 'output', 'inout']);

function toMetadata(raw: unknown, context: Record<string, string>): NodeMetadata {
  const bad = (why: string): never => {
    throw new InvalidInputError('inspect failed', `the node reported malformed metadata: ${why}`, { context });
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return bad('not an object');
  const m = raw as Record<string, unknown>;
  if (m.category !== 'action' && m.category !== 'condition') return bad('category must be action or condition');
  const out: NodeMetadata = { category: m.category, ports: [] };
  if (typeof m.description === 'string') out.description = m.description.slice(0, 2000);
  if (!Array.isArray(m.ports)) return bad('ports must be an array');
  for (const p of m.ports.slice(0, 200)) {
    if (!p || typeof p !== 'object' || typeof (p as { name?: unknown }).name !== 'string' || !PORT_TYPES.has((p as { type?: string }).type ?? '')) {
      return bad('each port needs a name and a type of input, output or inout');
    }
    const port = p as NodeMetadata['ports'][number];
    const clean: NodeMetadata['ports'][number] = { name: port.name, type: port.type };
    if (typeof port.description === 'string') clean.description = port.description;
    if (typeof port.required === 'boolean') clean.required = port.required;
    if (port.defaultValue !== undefined) clean.defaultValue = port.defaultValue;
    out.ports.push(clean);
  }
  if (m.propsSchema !== undefined && m.propsSchema !== null) {
    if (typeof m.propsSchema !== 'object' || Array.isArray(m.propsSchema)) return bad('propsSchema must be a JSON Schema object');
    out.propsSchema = m.propsSchema as Record<string, unknown>;
  }
  return out;
}
