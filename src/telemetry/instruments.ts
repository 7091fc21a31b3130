/**
 * The OpenTelemetry instruments of execution telemetry: what each tick or run records, the span
 * around it, the sandbox pool's gauges, and the rules that keep the number of series bounded.
 * It takes a `Meter` and a `Tracer` (the host's, or the global ones `open-telemetry.ts` loads) and
 * imports nothing from `@opentelemetry/api` itself.
 *
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { ExecutionEvent, ExecutionKind, ExecutionStatus } from './execution-event.js';
import { SPAN_KIND_INTERNAL, SPAN_STATUS_ERROR, type Attributes, type BatchResultLike, type HistogramLike, type MeterLike, type ObservableLike, type SpanLike, type TracerLike } from './otel-types.js';

/** Metric names (OpenTelemetry style; a Prometheus exporter turns dots into underscores). */
export const METRICS = {
  executions: 'btree_plugins.executions',
  duration: 'btree_plugins.execution.duration',
  cpuTime: 'btree_plugins.execution.cpu_time',
  limitBreaches: 'btree_plugins.limit_breaches',
  rateLimited: 'btree_plugins.rate_limited',
  isolates: 'btree_plugins.sandbox.isolates',
  isolatesCreated: 'btree_plugins.sandbox.isolates_created',
  isolatesDisposed: 'btree_plugins.sandbox.isolates_disposed',
  budgetEvictions: 'btree_plugins.sandbox.budget_evictions',
  heldMemory: 'btree_plugins.sandbox.held_memory',
} as const;

/** Attribute keys on metrics and spans. */
export const ATTRIBUTES = {
  tenant: 'btree_plugins.tenant',
  node: 'btree_plugins.node',
  version: 'btree_plugins.node_version',
  kind: 'btree_plugins.kind',
  status: 'btree_plugins.status',
  limit: 'btree_plugins.limit',
  errorCode: 'btree_plugins.error_code',
  cpuMs: 'btree_plugins.cpu_ms',
  heapBytes: 'btree_plugins.heap_bytes',
  isolation: 'btree_plugins.isolation',
} as const;

/** The label value that stands for every tenant or node past the caps. */
export const OVERFLOW_LABEL = '_other';

/** Bounds on the series the metrics create (see docs/operations.md, "Metrics"). */
export interface CardinalityOptions {
  /**
   * Distinct tenants that get their own `btree_plugins.tenant` value (default 1000); the tenants
   * seen after that are all reported as `_other`. Spans and events always carry the real tenant.
   */
  maxTenants?: number;
  /**
   * `name` (default): metrics carry the node name (`btree_plugins.node`); `none`: they carry no
   * node attribute (one series per tenant and kind). Spans and events always carry it.
   */
  nodeAttribute?: 'name' | 'none';
  /** Distinct (tenant, node, kind) combinations with their own series (default 10 000); nodes past it are `_other`. */
  maxNodes?: number;
}

/** What a pool-stats source returns: {@link SandboxPoolStats}, and the tiers of a `TieredRunner`. */
export interface PoolStatsLike {
  liveIsolates: number;
  isolatesCreated: number;
  isolatesDisposed: number;
  budgetEvictions: number;
  heldBytes: number;
  tiers?: Record<string, PoolStatsLike | undefined>;
}

/** Sub-millisecond ticks are common: the default histogram buckets (0, 5, 10, … ms) would hide them. */
const MS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/** Attributes of one (tenant, node, kind), with the status and limit variants built once. */
interface SeriesAttributes {
  base: Attributes;
  byStatus: Partial<Record<ExecutionStatus, Attributes>>;
  byLimit: Map<string, Attributes>;
}

/** Hands out attribute objects, built once per series, inside the cardinality caps. */
export class SeriesCatalog {
  readonly #maxTenants: number;
  readonly #withNode: boolean;
  readonly #maxNodes: number;
  readonly #tenants = new Set<string>();
  /** kind → tenant → node → attributes: nested maps, so that a lookup builds no key string per tick. */
  readonly #series = new Map<string, Map<string, Map<string, SeriesAttributes>>>();
  #seriesCount = 0;
  /**
   * One attribute object per distinct label set: the counters key their counts by object, so two
   * nodes folded into one series (`nodeAttribute: 'none'`, `_other`) must share it.
   */
  readonly #byLabels = new Map<string, SeriesAttributes>();

  constructor(options: CardinalityOptions = {}) {
    this.#maxTenants = positive(options.maxTenants, 1000, 'maxTenants');
    this.#maxNodes = positive(options.maxNodes, 10_000, 'maxNodes');
    if (options.nodeAttribute !== undefined && options.nodeAttribute !== 'name' && options.nodeAttribute !== 'none') {
      throw optionError(`telemetry.nodeAttribute must be 'name' or 'none', got ${JSON.stringify(options.nodeAttribute)}`);
    }
    this.#withNode = options.nodeAttribute !== 'none';
  }

  /** The attributes of a series. */
  series(kind: ExecutionKind, tenantId: string, node: string): SeriesAttributes {
    let byTenant = this.#series.get(kind);
    if (!byTenant) this.#series.set(kind, (byTenant = new Map()));
    let byNode = byTenant.get(tenantId);
    const known = byNode?.get(node);
    if (known) return known;
    const tenant = this.#tenantLabel(tenantId);
    if (this.#seriesCount < this.#maxNodes) {
      const made = this.#interned(kind, tenant, this.#withNode ? node : undefined);
      if (!byNode) byTenant.set(tenantId, (byNode = new Map()));
      byNode.set(node, made);
      this.#seriesCount++;
      return made;
    }
    // Past the cap nothing more is remembered per node: the folded series is found by its labels.
    return this.#interned(kind, tenant, this.#withNode ? OVERFLOW_LABEL : undefined);
  }

  #interned(kind: ExecutionKind, tenant: string, node: string | undefined): SeriesAttributes {
    const key = `${kind}\u0000${tenant}\u0000${node ?? ''}`;
    let s = this.#byLabels.get(key);
    if (!s) this.#byLabels.set(key, (s = makeSeries(kind, tenant, node)));
    return s;
  }

  #tenantLabel(tenantId: string): string {
    if (this.#tenants.has(tenantId)) return tenantId;
    if (this.#tenants.size >= this.#maxTenants) return OVERFLOW_LABEL;
    this.#tenants.add(tenantId);
    return tenantId;
  }
}

function makeSeries(kind: ExecutionKind, tenant: string, node: string | undefined): SeriesAttributes {
  const base: Attributes = { [ATTRIBUTES.tenant]: tenant, [ATTRIBUTES.kind]: kind };
  if (node !== undefined) base[ATTRIBUTES.node] = node;
  return { base, byStatus: {}, byLimit: new Map() };
}

function withStatus(s: SeriesAttributes, status: ExecutionStatus): Attributes {
  return (s.byStatus[status] ??= { ...s.base, [ATTRIBUTES.status]: status });
}

function withLimit(s: SeriesAttributes, limit: string): Attributes {
  let a = s.byLimit.get(limit);
  // Limit names are a closed set (sandbox limits, script error kinds, rate limits); cap anyway.
  if (!a) {
    a = { ...s.base, [ATTRIBUTES.limit]: s.byLimit.size < 64 ? limit : OVERFLOW_LABEL };
    s.byLimit.set(limit, a);
  }
  return a;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw optionError(`telemetry.${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** A bad telemetry option, named when the host is made. */
export function optionError(detail: string): InvalidInputError {
  return new InvalidInputError('invalid PluginHost options', detail, { hint: 'see docs/operations.md, "Execution telemetry" and "Metrics"' });
}

/**
 * Counts kept here, by attribute object (built once per series, so identity is the key), and
 * reported through an observable counter at each collection: an SDK counter's `add` hashes its
 * attributes on every call (≈ 0.5–1 µs), which is most of the per-tick budget.
 */
class LocalCounts {
  readonly counts = new Map<Attributes, number>();
  constructor(readonly instrument: ObservableLike) {}
  add(attributes: Attributes): void {
    this.counts.set(attributes, (this.counts.get(attributes) ?? 0) + 1);
  }
  observe(result: BatchResultLike): void {
    for (const [attributes, n] of this.counts) result.observe(this.instrument as never, n, attributes);
  }
}

type Registration = { callback: (r: BatchResultLike) => void | Promise<void>; observables: ObservableLike[] };

/** The instruments an execution records into, and the span it runs under. */
export class ExecutionInstruments {
  readonly #catalog: SeriesCatalog;
  readonly #tracer: TracerLike | undefined;
  readonly #executions: LocalCounts | undefined;
  readonly #duration: HistogramLike | undefined;
  readonly #cpu: HistogramLike | undefined;
  readonly #breaches: LocalCounts | undefined;
  readonly #rateLimited: LocalCounts | undefined;
  readonly #meter: MeterLike | undefined;
  readonly #registrations: Registration[] = [];
  #observingPool = false;

  constructor(meter: MeterLike | undefined, tracer: TracerLike | undefined, cardinality: CardinalityOptions = {}) {
    this.#catalog = new SeriesCatalog(cardinality);
    this.#tracer = tracer;
    this.#meter = meter;
    if (meter) {
      const counter = (name: string, description: string) => new LocalCounts(meter.createObservableCounter(name, { description, unit: '{execution}' }));
      const executions = (this.#executions = counter(METRICS.executions, 'Custom-node ticks and interpreter runs, by how they ended'));
      const breaches = (this.#breaches = counter(METRICS.limitBreaches, 'Ticks and runs stopped by a sandbox or interpreter limit'));
      const rateLimited = (this.#rateLimited = counter(METRICS.rateLimited, 'Ticks and runs refused by a per-tenant rate limit or quota'));
      this.#register((r) => {
        executions.observe(r);
        breaches.observe(r);
        rateLimited.observe(r);
      }, [executions.instrument, breaches.instrument, rateLimited.instrument]);
      this.#duration = meter.createHistogram(METRICS.duration, { description: 'Wall-clock time of a tick or run, as the host saw it', unit: 'ms', advice: { explicitBucketBoundaries: MS_BUCKETS } });
      this.#cpu = meter.createHistogram(METRICS.cpuTime, { description: "CPU time of a custom-node tick in its tenant's isolate (what cpuTimeMs limits)", unit: 'ms', advice: { explicitBucketBoundaries: MS_BUCKETS } });
    }
  }

  #register(callback: Registration['callback'], observables: ObservableLike[]): void {
    this.#meter!.addBatchObservableCallback(callback as never, observables as never[]);
    this.#registrations.push({ callback, observables });
  }

  /** Starts the span of one tick or run (a child of the active context), when there is a tracer. */
  startSpan(kind: ExecutionKind, tenantId: string, node: string, version: string | undefined): SpanLike | undefined {
    if (!this.#tracer) return undefined;
    const attributes: Attributes = { [ATTRIBUTES.tenant]: tenantId, [ATTRIBUTES.node]: node, [ATTRIBUTES.kind]: kind };
    if (version !== undefined) attributes[ATTRIBUTES.version] = version;
    return this.#tracer.startSpan(`btree_plugins.${kind}`, { kind: SPAN_KIND_INTERNAL, attributes });
  }

  /** Records one finished execution, and ends its span. */
  record(event: ExecutionEvent, span: SpanLike | undefined, error: unknown): void {
    if (this.#executions) {
      const series = this.#catalog.series(event.kind, event.tenantId, event.node);
      const attributes = withStatus(series, event.status);
      this.#executions.add(attributes);
      this.#duration!.record(event.durationMs, attributes);
      if (event.cpuMs !== undefined) this.#cpu!.record(event.cpuMs, series.base);
      if (event.status === 'limit') this.#breaches!.add(withLimit(series, event.errorCode ?? 'unknown'));
      else if (event.status === 'rate-limited') this.#rateLimited!.add(withLimit(series, event.errorCode ?? 'unknown'));
    }
    if (span) endSpan(span, event, error);
  }

  /**
   * Observes the sandbox pool through `stats` at each collection: live isolates and memory held
   * (gauges), isolates created, disposed and evicted for the memory budget (counters), per
   * isolation tier. `stats` resolving `undefined` (no runner yet) observes nothing.
   */
  observePool(stats: () => Promise<PoolStatsLike | undefined> | PoolStatsLike | undefined): void {
    const meter = this.#meter;
    if (!meter || this.#observingPool) return;
    this.#observingPool = true;
    const isolates = meter.createObservableGauge(METRICS.isolates, { description: 'Live tenant isolates in the sandbox pool', unit: '{isolate}' });
    const held = meter.createObservableGauge(METRICS.heldMemory, { description: 'Memory the live isolates hold, as the memory budget counts it', unit: 'By' });
    const created = meter.createObservableCounter(METRICS.isolatesCreated, { description: 'Tenant isolates created', unit: '{isolate}' });
    const disposed = meter.createObservableCounter(METRICS.isolatesDisposed, { description: 'Tenant isolates disposed (evicted, broken, or with the pool)', unit: '{isolate}' });
    const evictions = meter.createObservableCounter(METRICS.budgetEvictions, { description: 'Idle isolates disposed to stay inside the memory budget', unit: '{isolate}' });
    const callback = async (result: BatchResultLike): Promise<void> => {
      let s: PoolStatsLike | undefined;
      try {
        s = await stats();
      } catch {
        return; // a pool being disposed has nothing to report
      }
      if (!s) return;
      const tiers = s.tiers ? Object.entries(s.tiers).filter((e): e is [string, PoolStatsLike] => e[1] !== undefined) : [['', s] as [string, PoolStatsLike]];
      for (const [tier, t] of tiers) {
        const attributes: Attributes = tier ? { [ATTRIBUTES.isolation]: tier } : {};
        result.observe(isolates as never, t.liveIsolates, attributes);
        result.observe(held as never, t.heldBytes, attributes);
        result.observe(created as never, t.isolatesCreated, attributes);
        result.observe(disposed as never, t.isolatesDisposed, attributes);
        result.observe(evictions as never, t.budgetEvictions, attributes);
      }
    };
    this.#register(callback, [isolates, held, created, disposed, evictions]);
  }

  /** Stops observing (the host was disposed): its counts and pool are no longer reported. */
  close(): void {
    for (const { callback, observables } of this.#registrations.splice(0)) this.#meter?.removeBatchObservableCallback(callback as never, observables as never[]);
  }
}

/**
 * Sets the outcome on the span and ends it. The status message is the error code, never the
 * guest's error text: traces often go to a backend the tenant's data should not reach.
 */
function endSpan(span: SpanLike, event: ExecutionEvent, error: unknown): void {
  span.setAttribute(ATTRIBUTES.status, event.status);
  if (event.errorCode !== undefined) span.setAttribute(ATTRIBUTES.errorCode, event.errorCode);
  if (event.cpuMs !== undefined) span.setAttribute(ATTRIBUTES.cpuMs, event.cpuMs);
  if (event.heapBytes !== undefined) span.setAttribute(ATTRIBUTES.heapBytes, event.heapBytes);
  if (event.status !== 'success' && event.status !== 'running') {
    span.setStatus({ code: SPAN_STATUS_ERROR, message: event.errorCode ?? event.status });
    if (event.status === 'error' && error instanceof Error) span.recordException(error);
  }
  span.end();
}
