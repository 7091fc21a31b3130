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
import { CompiledBundleCache, type CompiledBundleCacheOptions } from './compiled-bundle-cache.js';
import { limitMessage, resolveLimits, type SandboxLimits } from './limits.js';
import { GuestLogForwarder, type GuestLogSink } from '../binding-core/guest-log.js';
import { settingsOfTenant, type PerTenant } from './tenant-options.js';
import { TenantSandbox, type Capability } from './tenant-sandbox.js';
import type { NodeRunner, RunnableBundle, TickInput, TickOutcome } from './types.js';

/** The host's logger as the sandbox uses it: `(message, fields)` at four levels. */
export type SandboxLogger = GuestLogSink;

/** Per-tenant overrides. */
export interface TenantSandboxOptions {
  /** Limits for this tenant, over the host's. */
  limits?: Partial<SandboxLimits>;
  /** Capabilities for this tenant, over (and in addition to) the host's. */
  capabilities?: Record<string, Capability>;
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
  /** Most live isolates (default 64). The least recently used idle one is disposed beyond that. */
  maxIsolates?: number;
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
  /** V8 heap in use across live isolates (bytes), after their last GC. */
  heapBytes: number;
  bundleCache: { entries: number; bytes: number };
}

const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Runs tenant bundles in per-tenant isolated-vm isolates. */
export class SandboxPool implements NodeRunner {
  private readonly sandboxes = new Map<string, TenantSandbox>();
  private readonly bundles: CompiledBundleCache;
  private readonly hostLimits: SandboxLimits;
  private readonly logs: GuestLogForwarder;
  private readonly maxIsolates: number;
  private readonly counters = { isolatesCreated: 0, isolatesDisposed: 0, ticks: 0, breaches: 0 };
  private disposed = false;

  constructor(private readonly options: SandboxPoolOptions = {}) {
    // Fail here, with the fix named, on a Node whose isolated-vm build is missing or unfit.
    isolatedVm();
    this.hostLimits = resolveLimits(options.limits);
    this.bundles = new CompiledBundleCache(options.bundleCache);
    this.logs = options.logForwarder ?? new GuestLogForwarder(options.logger);
    this.maxIsolates = options.maxIsolates ?? 64;
    if (!Number.isInteger(this.maxIsolates) || this.maxIsolates < 1) {
      throw new InvalidInputError('invalid sandbox pool options', `maxIsolates must be a positive integer, got ${String(options.maxIsolates)}`);
    }
  }

  /** The limits that apply to `tenantId`. */
  limitsFor(tenantId: string): SandboxLimits {
    return resolveLimits(this.hostLimits, this.tenantOptions(tenantId)?.limits);
  }

  async tick(bundle: RunnableBundle, input: TickInput): Promise<TickOutcome> {
    this.assertAlive();
    checkBundle(bundle);
    const entry = this.bundles.get(bundle);
    const sandbox = this.sandboxFor(bundle.tenantId);
    const caps = (sandbox.capabilities ??= this.capabilityLookup(bundle.tenantId));
    this.counters.ticks++;
    const { outcome, breach } = await sandbox.tick(bundle, entry, input, caps);
    if (breach) {
      this.counters.breaches++;
      outcome.limit = breach;
    }
    this.logs.forward({ tenantId: bundle.tenantId, node: bundle.node, version: bundle.version }, outcome.logs, { perSecond: sandbox.limits.logRatePerSecond });
    return outcome;
  }

  async inspect(bundle: RunnableBundle): Promise<NodeMetadata> {
    this.assertAlive();
    checkBundle(bundle);
    const entry = this.bundles.get(bundle);
    const sandbox = this.sandboxFor(bundle.tenantId);
    const context = { tenant: bundle.tenantId, node: bundle.node, version: bundle.version };
    const r = await sandbox.inspect(bundle, entry);
    if (r.breach) {
      this.counters.breaches++;
      throw new LimitExceededError(r.breach, 'inspect failed', limitMessage(bundle, r.breach, sandbox.limits), { context });
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
      ...this.counters,
      liveIsolates: this.sandboxes.size,
      heapBytes: [...this.sandboxes.values()].reduce((n, s) => n + s.heapBytes(), 0),
      bundleCache: this.bundles.stats(),
    };
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
    const logger = this.options.logger;
    s = new TenantSandbox(
      tenantId,
      this.limitsFor(tenantId),
      this.bundles,
      (dead) => {
        this.counters.isolatesDisposed++;
        if (this.sandboxes.get(dead.tenantId) === dead) this.sandboxes.delete(dead.tenantId);
      },
      // V8 lost control of the isolate: nothing to recover; tell the operator (restart advised).
      (message) => logger?.error(`isolated-vm catastrophic error: ${message}. HINT: restart this process`, { tenantId }),
    );
    this.counters.isolatesCreated++;
    this.sandboxes.set(tenantId, s);
    return s;
  }

  /** Disposes least recently used idle isolates until at most `keep` remain (busy ones are spared). */
  private evictIdle(keep: number): void {
    for (const s of [...this.sandboxes.values()]) {
      if (this.sandboxes.size <= keep) return;
      if (s.active === 0) s.dispose('evicted (pool full)');
    }
  }
}

function checkBundle(bundle: RunnableBundle): void {
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
