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
  tickDuration: 'btree_plugins.custom_node.duration',
  tickCpuTime: 'btree_plugins.custom_node.cpu_time',
  scriptDuration: 'btree_plugins.script.duration',
  nodeTime: 'btree_plugins.node.time',
  nodeCpuTime: 'btree_plugins.node.cpu_time',
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
  /**
   * What the histograms are broken down by. `kind` (default): host-wide — the custom-node tick
   * histograms carry no attribute, the script histogram its language (per-tenant and per-node
   * totals come from the `btree_plugins.node.*` counters). `tenant`: per tenant as well, for
   * per-tenant percentiles; it costs ≈ 1 µs more per tick (the SDK hashes the attributes on every
   * record, ≈ 0.5 µs per record with one) and `maxTenants` × 20 series per histogram.
   */
  histogramAttributes?: 'kind' | 'tenant';
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

/** A count kept here for one label set, reported at collection. */
interface Tally {
  readonly attributes: Attributes;
  count: number;
}

/**
 * One (tenant, node, kind) series and everything counted for it in process: executions by status,
 * breaches and refusals by limit, and the wall-clock and CPU time spent. Also the (smaller)
 * attribute sets its histogram records use, shared by every node of the tenant.
 */
export class Series {
  /** tenant, kind and (unless `nodeAttribute: 'none'`) node. */
  readonly base: Attributes;
  /**
   * The duration histogram's attributes: none for custom-node ticks, the language for scripts (and
   * the tenant with `histogramAttributes: 'tenant'`).
   */
  readonly durationAttributes: Attributes;
  /** The CPU histogram's: none (the tenant with `histogramAttributes: 'tenant'`); only custom-node ticks have CPU time. */
  readonly cpuAttributes: Attributes;
  readonly byStatus = new Map<ExecutionStatus, Tally>();
  readonly breaches = new Map<string, Tally>();
  readonly refusals = new Map<string, Tally>();
  timeMs = 0;
  cpuMs = 0;

  constructor(base: Attributes, durationAttributes: Attributes, cpuAttributes: Attributes) {
    this.base = base;
    this.durationAttributes = durationAttributes;
    this.cpuAttributes = cpuAttributes;
  }

  /** Counts one execution that ended with `status`. */
  count(status: ExecutionStatus): void {
    let t = this.byStatus.get(status);
    if (!t) this.byStatus.set(status, (t = { attributes: { ...this.base, [ATTRIBUTES.status]: status }, count: 0 }));
    t.count++;
  }

  /** Counts one breach of a sandbox limit, or one refusal by a rate limit, under the limit's name. */
  countLimit(tallies: Map<string, Tally>, limit: string): void {
    let t = tallies.get(limit);
    if (!t) {
      // Limit names are a closed set (sandbox limits, script error kinds, rate limits); cap anyway.
      const label = tallies.size < 64 ? limit : OVERFLOW_LABEL;
      t = [...tallies.values()].find((x) => x.attributes[ATTRIBUTES.limit] === label) ?? { attributes: { ...this.base, [ATTRIBUTES.limit]: label }, count: 0 };
      tallies.set(limit, t);
    }
    t.count++;
  }
}

/** Hands out the series of each execution, built once, inside the cardinality caps. */
export class SeriesCatalog {
  readonly #maxTenants: number;
  readonly #withNode: boolean;
  readonly #maxNodes: number;
  readonly #histogramsByTenant: boolean;
  /** The tenant labels given out. */
  readonly #tenants = new Set<string>();
  /** Tenant label ('' when histograms are host-wide) → the histograms' attribute sets, one object each. */
  readonly #histograms = new Map<string, { cpu: Attributes; duration: Map<ExecutionKind, Attributes> }>();
  /** kind → tenant → node → series: nested maps, so that a lookup builds no key string per tick. */
  readonly #series = new Map<string, Map<string, Map<string, Series>>>();
  #seriesCount = 0;
  /** One series per distinct label set: nodes folded into one (`nodeAttribute: 'none'`, `_other`) share it. */
  readonly #byLabels = new Map<string, Series>();

  constructor(options: CardinalityOptions = {}) {
    this.#maxTenants = positive(options.maxTenants, 1000, 'maxTenants');
    this.#maxNodes = positive(options.maxNodes, 10_000, 'maxNodes');
    if (options.nodeAttribute !== undefined && options.nodeAttribute !== 'name' && options.nodeAttribute !== 'none') {
      throw optionError(`telemetry.nodeAttribute must be 'name' or 'none', got ${JSON.stringify(options.nodeAttribute)}`);
    }
    this.#withNode = options.nodeAttribute !== 'none';
    if (options.histogramAttributes !== undefined && options.histogramAttributes !== 'kind' && options.histogramAttributes !== 'tenant') {
      throw optionError(`telemetry.histogramAttributes must be 'kind' or 'tenant', got ${JSON.stringify(options.histogramAttributes)}`);
    }
    this.#histogramsByTenant = options.histogramAttributes === 'tenant';
  }

  /** The series of one execution. */
  series(kind: ExecutionKind, tenantId: string, node: string): Series {
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

  /** Every series made so far (what the counters report at collection). */
  all(): IterableIterator<Series> {
    return this.#byLabels.values();
  }

  #interned(kind: ExecutionKind, tenant: string, node: string | undefined): Series {
    const key = `${kind}\u0000${tenant}\u0000${node ?? ''}`;
    let s = this.#byLabels.get(key);
    if (!s) {
      const base: Attributes = { [ATTRIBUTES.tenant]: tenant, [ATTRIBUTES.kind]: kind };
      if (node !== undefined) base[ATTRIBUTES.node] = node;
      // Host-wide histograms (the default) share one attribute set across tenants, under the label ''.
      const histogramTenant = this.#histogramsByTenant ? tenant : '';
      const tenantAttributes: Attributes = this.#histogramsByTenant ? { [ATTRIBUTES.tenant]: tenant } : {};
      let t = this.#histograms.get(histogramTenant);
      if (!t) this.#histograms.set(histogramTenant, (t = { cpu: tenantAttributes, duration: new Map() }));
      let duration = t.duration.get(kind);
      if (!duration) t.duration.set(kind, (duration = kind === 'custom-node' ? tenantAttributes : { ...tenantAttributes, [ATTRIBUTES.kind]: kind }));
      this.#byLabels.set(key, (s = new Series(base, duration, t.cpu)));
      this.#tenants.add(tenant);
    }
    return s;
  }

  #tenantLabel(tenantId: string): string {
    if (this.#tenants.has(tenantId)) return tenantId;
    if (this.#tenants.size >= this.#maxTenants) return OVERFLOW_LABEL;
    return tenantId;
  }
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

type Registration = { callback: (r: BatchResultLike) => void | Promise<void>; observables: ObservableLike[] };

/**
 * The instruments an execution records into, and the span it runs under.
 *
 * What costs what: an SDK instrument hashes its attributes on every call (≈ 0.3 µs per attribute),
 * which is most of the per-tick budget. So everything per node — executions by status, breaches,
 * refusals, time and CPU spent — is counted here, on the series object, and handed to the SDK by
 * observable counters at each collection; the histograms, which the SDK must see value by value,
 * carry the fewest attributes that still answer the questions asked of them: none on the custom-node
 * tick histograms (the hot path: ≈ 0.1 µs per record without attributes, ≈ 0.6 µs with one), the
 * language on the script histogram (a script run costs a thousand times that).
 */
export class ExecutionInstruments {
  readonly #catalog: SeriesCatalog;
  readonly #tracer: TracerLike | undefined;
  readonly #tickDuration: HistogramLike | undefined;
  readonly #tickCpu: HistogramLike | undefined;
  readonly #scriptDuration: HistogramLike | undefined;
  readonly #meter: MeterLike | undefined;
  readonly #registrations: Registration[] = [];
  #observingPool = false;

  constructor(meter: MeterLike | undefined, tracer: TracerLike | undefined, cardinality: CardinalityOptions = {}) {
    const catalog = (this.#catalog = new SeriesCatalog(cardinality));
    this.#tracer = tracer;
    this.#meter = meter;
    if (meter) {
      const counter = (name: string, description: string, unit: string) => meter.createObservableCounter(name, { description, unit });
      const executions = counter(METRICS.executions, 'Custom-node ticks and interpreter runs, by how they ended', '{execution}');
      const breaches = counter(METRICS.limitBreaches, 'Ticks and runs stopped by a sandbox or interpreter limit', '{execution}');
      const rateLimited = counter(METRICS.rateLimited, 'Ticks and runs refused by a per-tenant rate limit or quota', '{execution}');
      const time = counter(METRICS.nodeTime, 'Wall-clock time spent in ticks and runs, per node', 'ms');
      const cpu = counter(METRICS.nodeCpuTime, "CPU time custom-node ticks spent in their tenant's isolate, per node", 'ms');
      this.#register((r) => {
        for (const s of catalog.all()) {
          for (const t of s.byStatus.values()) r.observe(executions as never, t.count, t.attributes);
          for (const t of s.breaches.values()) r.observe(breaches as never, t.count, t.attributes);
          for (const t of s.refusals.values()) r.observe(rateLimited as never, t.count, t.attributes);
          if (s.byStatus.size > 0) r.observe(time as never, s.timeMs, s.base);
          if (s.cpuMs > 0) r.observe(cpu as never, s.cpuMs, s.base);
        }
      }, [executions, breaches, rateLimited, time, cpu]);
      const histogram = (name: string, description: string) => meter.createHistogram(name, { description, unit: 'ms', advice: { explicitBucketBoundaries: MS_BUCKETS } });
      this.#tickDuration = histogram(METRICS.tickDuration, 'Wall-clock time of a custom-node tick, as the host saw it');
      this.#tickCpu = histogram(METRICS.tickCpuTime, "CPU time of a custom-node tick in its tenant's isolate (what cpuTimeMs limits)");
      this.#scriptDuration = histogram(METRICS.scriptDuration, 'Wall-clock time of an interpreter (JavaScript or Python) script run, as the host saw it');
    }
  }

  #register(callback: Registration['callback'], observables: ObservableLike[]): void {
    this.#meter!.addBatchObservableCallback(callback as never, observables as never[]);
    this.#registrations.push({ callback, observables });
  }

  /** Starts the span of one tick or run (a child of the active context), when there is a tracer. */
  /** Whether executions get spans (a tracer was given). */
  get tracing(): boolean {
    return this.#tracer !== undefined;
  }

  startSpan(kind: ExecutionKind, tenantId: string, node: string, version: string | undefined): SpanLike | undefined {
    if (!this.#tracer) return undefined;
    const attributes: Attributes = { [ATTRIBUTES.tenant]: tenantId, [ATTRIBUTES.node]: node, [ATTRIBUTES.kind]: kind };
    if (version !== undefined) attributes[ATTRIBUTES.version] = version;
    return this.#tracer.startSpan(`btree_plugins.${kind}`, { kind: SPAN_KIND_INTERNAL, attributes });
  }

  /** Records one finished execution, and ends its span. */
  record(event: ExecutionEvent, span: SpanLike | undefined, error: unknown): void {
    if (this.#tickDuration) {
      const series = this.#catalog.series(event.kind, event.tenantId, event.node);
      series.count(event.status);
      series.timeMs += event.durationMs;
      (event.kind === 'custom-node' ? this.#tickDuration : this.#scriptDuration!).record(event.durationMs, series.durationAttributes);
      if (event.cpuMs !== undefined) {
        series.cpuMs += event.cpuMs;
        this.#tickCpu!.record(event.cpuMs, series.cpuAttributes);
      }
      if (event.status === 'limit') series.countLimit(series.breaches, event.errorCode ?? 'unknown');
      else if (event.status === 'rate-limited') series.countLimit(series.refusals, event.errorCode ?? 'unknown');
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
