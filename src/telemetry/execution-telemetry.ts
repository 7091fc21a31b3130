/**
 * `ExecutionTelemetry`: measures every custom-node tick and interpreter run that goes through the
 * host's runner and engines, and reports it to the `onExecution` hook and to OpenTelemetry.
 *
 * Why it wraps the runner and the engines rather than the node classes: every path that runs tenant
 * code — a tick in a tree (`btree/node-class.ts`), a Temporal activity (`temporal/activities.ts`),
 * the playground — gets its runner from `host.nodeRunner()` and its engines from the interpreter
 * providers, so one wrapper there sees each execution exactly once.
 *
 * The cost per tick is kept off V8: CPU time comes from the tick's own accounting (the sandbox
 * charges every isolate call to the tick anyway), and the heap, which costs a V8 call to read, is
 * read on a sample of ticks only (`heapSampleEvery`). A runner that measures its own ticks (the
 * in-process `SandboxPool`, also as the inline tier of the `TieredRunner`) reports them from inside
 * its tick (`tickObserved`), so the wrapper adds no layer there; the thread and process tiers, and
 * any tick with a span, go through the wrapper. A host that configures neither a hook nor
 * OpenTelemetry gets no wrapper at all. See bench/telemetry.ts for the figures.
 *
 * @module
 */
import { INTERPRETER_NODES } from '../binding-core/interpreter-props.js';
import { optionError } from './instruments.js';
import type { InterpreterEngine, ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';
import type { PluginLogger } from '../btree/logger.js';
import type { NodeRunner, RunnableBundle, TickInput, TickObserver, TickOutcome, TickUsage } from '../sandbox/types.js';
import { resultOfError, resultOfScript, resultOfTick, type ExecutionEvent, type ExecutionHook, type ExecutionKind, type ExecutionResult } from './execution-event.js';
import { ExecutionInstruments, SeriesCatalog, type CardinalityOptions, type PoolStatsLike } from './instruments.js';
import { resolveOpenTelemetry } from './open-telemetry.js';
import type { MeterLike, SpanLike, TracerLike } from './otel-types.js';

/** The `telemetry` option of `PluginHost`. */
export interface TelemetryOptions extends CardinalityOptions {
  /**
   * Record metrics and spans through the global providers of `@opentelemetry/api` (an optional
   * peer: install it and register an SDK in the host). Default false. Without the package, a
   * warning is logged once and the rest of telemetry works.
   */
  openTelemetry?: boolean;
  /** Record metrics into this `Meter` (from `@opentelemetry/api`) instead of the global one. */
  meter?: MeterLike;
  /** Start spans with this `Tracer` instead of the global one. */
  tracer?: TracerLike;
  /**
   * Read the isolate's heap for `heapBytes` on one tick in this many (default 16; 1: every tick,
   * ≈ 2–3 µs more each; 0: never). The other ticks report `heapBytes: undefined`.
   */
  heapSampleEvery?: number;
}

/** Options of {@link ExecutionTelemetry.create}. */
export interface ExecutionTelemetryOptions extends TelemetryOptions {
  /** Called synchronously after each tick or run, with its event. */
  onExecution?: ExecutionHook | undefined;
  /** Where a throwing hook and a missing `@opentelemetry/api` are reported. */
  logger?: PluginLogger | undefined;
  /**
   * The host's runner once created (`undefined` before: observing must not create one). Its
   * `stats()`, when it has one (the `TieredRunner`, a `SandboxPool`), feeds the sandbox pool gauges.
   */
  startedRunner?: () => Promise<NodeRunner> | undefined;
  /** Imports `@opentelemetry/api` (tests replace it to simulate its absence). */
  loadApi?: Parameters<typeof resolveOpenTelemetry>[2];
}

/** Checks the options (a bad one fails when the host is made, not on the first tick) and resolves their defaults. */
function checkOptions(options: ExecutionTelemetryOptions): { heapSampleEvery: number; cardinality: CardinalityOptions } {
  if (options.onExecution !== undefined && typeof options.onExecution !== 'function') throw optionError('`onExecution` must be a function');
  const heapSampleEvery = options.heapSampleEvery ?? 16;
  if (!Number.isInteger(heapSampleEvery) || heapSampleEvery < 0) {
    throw optionError(`telemetry.heapSampleEvery must be a whole number (0: never), got ${String(options.heapSampleEvery)}`);
  }
  const cardinality: CardinalityOptions = {
    ...(options.maxTenants !== undefined ? { maxTenants: options.maxTenants } : {}),
    ...(options.maxNodes !== undefined ? { maxNodes: options.maxNodes } : {}),
    ...(options.nodeAttribute !== undefined ? { nodeAttribute: options.nodeAttribute } : {}),
    ...(options.histogramAttributes !== undefined ? { histogramAttributes: options.histogramAttributes } : {}),
  };
  new SeriesCatalog(cardinality);
  return { heapSampleEvery, cardinality };
}

/** The counters of a runner that keeps them (`stats()`), else `undefined`. */
function poolStatsOf(runner: NodeRunner | undefined): Promise<PoolStatsLike> | PoolStatsLike | undefined {
  const stats = (runner as { stats?: () => Promise<PoolStatsLike> | PoolStatsLike } | undefined)?.stats;
  return typeof stats === 'function' ? stats.call(runner) : undefined;
}

/**
 * What the runner gets for one observed tick: the caller's input, with the usage report passed
 * through telemetry on its way to the caller's own `onUsage`. `blackboard` and `blackboardJson`
 * stay the caller's getters (the binding hands its copy as JSON texts and makes the object or the
 * whole text only for a runner that reads them; the in-process sandbox reads neither).
 *
 * A class, with those getters on its prototype, rather than an object literal: V8 builds a literal
 * with getters by defining each accessor at run time, ≈ 0.25 µs per getter per tick, more than
 * everything else telemetry does on a tick (bench/telemetry.ts).
 */
class ObservedInput implements TickInput {
  readonly props: TickInput['props'];
  readonly blackboardTexts: TickInput['blackboardTexts'];
  readonly propsJson: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly nodeId: string | undefined;
  readonly nodeName: string | undefined;
  readonly usageHeap: boolean;
  readonly onUsage: (usage: TickUsage) => void;
  /** What the runner reported, once it has. */
  usage: TickUsage | undefined;
  readonly #input: TickInput;

  constructor(input: TickInput, usageHeap: boolean) {
    this.#input = input;
    this.props = input.props;
    this.blackboardTexts = input.blackboardTexts;
    this.propsJson = input.propsJson;
    this.signal = input.signal;
    this.nodeId = input.nodeId;
    this.nodeName = input.nodeName;
    this.usageHeap = usageHeap;
    this.usage = undefined;
    const callerUsage = input.onUsage;
    this.onUsage =
      callerUsage === undefined
        ? (u) => {
            this.usage = u;
          }
        : (u) => {
            this.usage = u;
            callerUsage(u);
          };
  }

  get blackboard(): TickInput['blackboard'] {
    return this.#input.blackboard;
  }

  get blackboardJson(): string | undefined {
    return this.#input.blackboardJson;
  }
}

/** At most one warning about a failing hook per this many ms. */
const HOOK_WARNING_EVERY_MS = 60_000;

/**
 * Telemetry of a host's executions. Created by `PluginHost`; `create` returns `undefined` when the
 * host asked for none, so that the tick paths carry no wrapper at all.
 */
export class ExecutionTelemetry {
  /** Settles when the OpenTelemetry meter and tracer are resolved (the API is imported lazily). */
  readonly ready: Promise<void>;
  readonly #hook: ExecutionHook | undefined;
  readonly #logger: PluginLogger | undefined;
  readonly #heapEvery: number;
  #instruments: ExecutionInstruments | undefined;
  #ticks = 0;
  #hookFailures = 0;
  #hookWarnedAt = -Infinity;
  readonly #runners = new WeakMap<NodeRunner, NodeRunner>();
  readonly #engines = new WeakMap<InterpreterEngine, InterpreterEngine>();

  /** The telemetry `options` ask for, or `undefined` when they ask for none (no hook, no OpenTelemetry). */
  static create(options: ExecutionTelemetryOptions): ExecutionTelemetry | undefined {
    if (!options.onExecution && !options.openTelemetry && !options.meter && !options.tracer) {
      checkOptions(options); // unused, but a typo still fails when the host is made
      return undefined;
    }
    return new ExecutionTelemetry(options);
  }

  constructor(options: ExecutionTelemetryOptions) {
    const { heapSampleEvery, cardinality } = checkOptions(options);
    this.#heapEvery = heapSampleEvery;
    this.#hook = options.onExecution;
    this.#logger = options.logger;
    const source = { meter: options.meter, tracer: options.tracer, global: options.openTelemetry === true };
    this.ready = resolveOpenTelemetry(source, (m) => this.#logger?.warn(m), options.loadApi).then(
      ({ meter, tracer }) => {
        if (!meter && !tracer) return;
        this.#instruments = new ExecutionInstruments(meter, tracer, cardinality);
        const started = options.startedRunner;
        if (started) this.#instruments.observePool(async () => poolStatsOf(await started()));
      },
      (error: unknown) => this.#logger?.warn(`OpenTelemetry could not be set up; metrics and spans are off: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  /**
   * A runner whose ticks are reported; its other methods (`inspect`, `dispose`, and `stats`,
   * `limitsFor`, `evict`, `isolationOf` when the runner has them) are the runner's own.
   */
  observeRunner(runner: NodeRunner): NodeRunner {
    let observed = this.#runners.get(runner);
    if (observed) return observed;
    const o: NodeRunner & Record<string, unknown> = {
      inspect: (bundle) => runner.inspect(bundle),
      tick: (bundle, input) => this.tick(runner, bundle, input),
      dispose: () => runner.dispose(),
    };
    for (const name of ['stats', 'limitsFor', 'evict', 'isolationOf']) {
      const method = (runner as unknown as Record<string, unknown>)[name];
      if (typeof method === 'function') o[name] = method.bind(runner);
    }
    observed = o;
    this.#runners.set(runner, observed);
    return observed;
  }

  /** An engine whose runs are reported. */
  observeEngine(engine: InterpreterEngine): InterpreterEngine {
    let observed = this.#engines.get(engine);
    if (observed) return observed;
    observed = { language: engine.language, run: (request) => this.run(engine, request), dispose: () => engine.dispose() };
    this.#engines.set(engine, observed);
    return observed;
  }

  /**
   * How a runner that measures its own ticks (the in-process `SandboxPool`) reports them: from
   * inside its tick, with its own start time and CPU accounting, so that no wrapper (an input
   * object, a usage callback, a promise layer) is added around the tick.
   */
  readonly #observer: TickObserver = {
    wantsHeap: () => this.#sampleHeap(),
    settled: (bundle, input, started, outcome, error, usage) => this.#reportTick(bundle, input, started, outcome, error, usage, undefined),
  };

  /** Runs one tick on `runner` and reports it. Rejects when the runner rejects, after reporting. */
  tick(runner: NodeRunner, bundle: RunnableBundle, input: TickInput): Promise<TickOutcome> {
    // Malformed calls get the runner's own named error, not a TypeError from here.
    if (typeof bundle !== 'object' || bundle === null || typeof input !== 'object' || input === null) return runner.tick(bundle, input);
    // A runner that measures its ticks reports them itself; spans need the wrapper (started before the tick).
    if (this.#instruments?.tracing !== true) {
      let target: NodeRunner | undefined;
      try {
        target = runner.runnerFor ? runner.runnerFor(bundle) : runner;
      } catch {
        target = undefined; // the runner's own tick rejects with it, reported below
      }
      if (target?.tickObserved) return target.tickObserved(bundle, input, this.#observer);
    }
    const started = performance.now();
    const span = this.startSpan('custom-node', bundle.tenantId, bundle.node, bundle.version);
    const heap = this.#sampleHeap() || (input.onUsage !== undefined && input.usageHeap !== false);
    const observed = new ObservedInput(input, heap);
    let running: Promise<TickOutcome>;
    try {
      running = runner.tick(bundle, observed);
    } catch (error) {
      running = Promise.reject(error);
    }
    // `then` rather than an async function with `await`: one promise and one microtask fewer per tick.
    return running.then(
      (outcome) => {
        this.#reportTick(bundle, input, started, outcome, undefined, observed.usage, span);
        return outcome;
      },
      (error: unknown) => {
        this.#reportTick(bundle, input, started, undefined, error, undefined, span);
        throw error;
      },
    );
  }

  /** Runs one script on `engine` and reports it. */
  async run(engine: InterpreterEngine, request: ScriptRequest): Promise<ScriptOutcome> {
    if (typeof request !== 'object' || request === null) return engine.run(request);
    const started = performance.now();
    const kind: ExecutionKind = engine.language;
    const node = INTERPRETER_NODES[kind].type;
    const tenantId = request.tenantId ?? '';
    const span = this.startSpan(kind, tenantId, node, undefined);
    let outcome: ScriptOutcome;
    try {
      outcome = await engine.run(request);
    } catch (error) {
      this.#report(kind, tenantId, node, undefined, started, undefined, undefined, resultOfError(error), span, error);
      throw error;
    }
    this.#report(kind, tenantId, node, undefined, started, undefined, undefined, resultOfScript(outcome), span, undefined);
    return outcome;
  }

  /**
   * Reports a run that never reached the runner or engine (e.g. refused by a rate limit before it):
   * `error` is what the caller is about to throw.
   */
  refused(kind: ExecutionKind, tenantId: string, node: string, version: string | undefined, error: unknown): void {
    const span = this.startSpan(kind, tenantId, node, version);
    this.#report(kind, tenantId, node, version, performance.now(), undefined, undefined, resultOfError(error), span, error);
  }

  /** @internal Starts the span of one execution, when there is a tracer. */
  startSpan(kind: ExecutionKind, tenantId: string, node: string, version: string | undefined): SpanLike | undefined {
    return this.#instruments?.startSpan(kind, tenantId, node, version);
  }

  /** Stops observing the sandbox pool. */
  close(): void {
    this.#instruments?.close();
  }

  /** Whether this tick is one of the sampled ones whose report carries the isolate's heap. */
  #sampleHeap(): boolean {
    return this.#heapEvery !== 0 && ++this.#ticks % this.#heapEvery === 0;
  }

  /** Reports one settled custom-node tick: its `outcome`, or the `error` its runner rejected with. */
  #reportTick(bundle: RunnableBundle, input: TickInput, started: number, outcome: TickOutcome | undefined, error: unknown, usage: TickUsage | undefined, span: SpanLike | undefined): void {
    const result = outcome !== undefined ? resultOfTick(outcome, input.signal?.aborted === true) : resultOfError(error);
    this.#report('custom-node', bundle.tenantId, bundle.node, bundle.version, started, usage?.cpuMs, usage?.heapBytes, result, span, error);
  }

  #report(
    kind: ExecutionKind,
    tenantId: string,
    node: string,
    version: string | undefined,
    started: number,
    cpuMs: number | undefined,
    heapBytes: number | undefined,
    result: ExecutionResult,
    span: SpanLike | undefined,
    error: unknown,
  ): void {
    const event: ExecutionEvent = {
      tenantId,
      node,
      version,
      kind,
      durationMs: performance.now() - started,
      cpuMs,
      heapBytes,
      status: result.status,
      errorCode: result.errorCode,
    };
    try {
      this.#instruments?.record(event, span, error);
    } catch (e) {
      // A broken SDK or exporter must not fail a tenant's tick.
      this.#warnHook(e, 'OpenTelemetry');
    }
    const hook = this.#hook;
    if (!hook) return;
    try {
      const r = hook(event) as unknown;
      // An async hook is not awaited (the tick does not wait for it), but its rejection is caught.
      if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (e: unknown) => this.#warnHook(e, 'onExecution'));
    } catch (e) {
      this.#warnHook(e, 'onExecution');
    }
  }

  /** Logs a failing hook, at most once a minute (with how many failures were not logged). */
  #warnHook(error: unknown, what: string): void {
    this.#hookFailures++;
    const now = performance.now();
    if (now - this.#hookWarnedAt < HOOK_WARNING_EVERY_MS) return;
    this.#hookWarnedAt = now;
    const failures = this.#hookFailures;
    this.#hookFailures = 0;
    this.#logger?.warn(`${what} telemetry failed (${failures} time(s) since the last warning); the ticks were not affected: ${error instanceof Error ? error.message : String(error)}`, { source: 'telemetry' });
  }
}

