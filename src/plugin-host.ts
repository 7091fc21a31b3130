/**
 * `PluginHost`: the one object a host application creates. It owns the tenant registry, the
 * sandbox pool that runs tenant bundles, the interpreter engines, and registers tenant nodes into
 * the host's btree `Registry`. It only wires these together: publishing is the registry's, which
 * gets the sandbox as its inspector.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import { GuestLogForwarder, type GuestLogSink } from './binding-core/guest-log.js';
import {
  javascriptInterpreterProvider,
  pythonInterpreterProvider,
  type InterpreterNodeProvider,
  type InterpreterNodeSettings,
} from './btree/builtin-interpreters.js';
import type { HostRegistry, InjectedBtreeModule } from './binding-core/host-btree.js';
import { BundleMemo, type BundleMemoOptions } from './btree/bundle-memo.js';
import { silentLogger, type PluginLogger } from './btree/logger.js';
import type { TenantNodeClass } from './btree/node-class.js';
import type { QuickJsEngineOptions } from './interpreters/javascript.js';
import type { PythonEngineOptions } from './interpreters/python.js';
import type { InterpreterEngine, InterpreterLanguage, InterpreterLimits } from './binding-core/interpreter-types.js';
import type { NodeMetadata } from './binding-core/types.js';
import { PropsValidatorCache } from './btree/props-validator.js';
import {
  registerTenantNodes,
  type BuiltinNodeProvider,
  type RegisterNodesOptions,
  type RegisterNodesResult,
  type ResolvedTenantNode,
  type TenantNodeCatalog,
} from './btree/register-nodes.js';
import { DisposedError, InvalidInputError } from './errors.js';
import { TenantRegistry, type TenantRegistryOptions } from './registry/tenant-registry.js';
import type { NodeInspector, ResolvedNode } from './registry/types.js';
import { resolveLimits, type SandboxLimits } from './sandbox/limits.js';
import type { SandboxPool, SandboxPoolOptions, TenantSandboxOptions } from './sandbox/pool.js';
import { settingsOfTenant, type PerTenant } from './sandbox/tenant-options.js';
import type { Capability } from './sandbox/tenant-sandbox.js';
import type { NodeRunner, RunnableBundle } from './sandbox/types.js';
import { resolveExecutionOptions, type ExecutionOptions } from './execution/isolation.js';
import type { TieredRunner } from './execution/tiered-runner.js';
import type { StorageAdapter } from './storage-adapters/types.js';
import { Marketplace } from './marketplace/marketplace.js';
import { ExecutionLimits, type TenantRateLimitOptions } from './rate-limits/execution-limits.js';
import type { RateLimiter, TenantRateLimits } from './rate-limits/types.js';
import { catalogWithInstalls } from './marketplace/install-catalog.js';
import { ExecutionTelemetry, type TelemetryOptions } from './telemetry/execution-telemetry.js';
import type { ExecutionHook } from './telemetry/execution-event.js';
import { refusalReporter } from './telemetry/refusals.js';
import type { CatalogueStore } from './marketplace/catalogue-store.js';

/** Options of {@link PluginHost}. */
export interface PluginHostOptions {
  /** The host's own btree: `import * as btree from '@wayfarer-ai/btree'` (or the test host). */
  btree: InjectedBtreeModule;
  /** Where tenant nodes are stored (memory, fs, S3, GCS adapter). */
  storage: StorageAdapter;
  /** Sandbox limits for every tenant, over the defaults (see docs/host-integration.md). */
  limits?: Partial<SandboxLimits>;
  /**
   * Host functions tenant nodes call by name through `proxyActivities` (e.g. `sendSlackMessage`).
   * Each gets `(ctx: { tenantId, node, version, signal }, ...args)` with JSON-copied arguments.
   */
  capabilities?: Record<string, Capability>;
  /**
   * Per-tenant limits and capabilities, as a map or a lookup; `rateLimits` is the tenant's
   * execution limits (over the host's `rateLimits`, see docs/operations.md). A lookup should return
   * the same object while a tenant's settings do not change (compiled limits are cached by identity).
   */
  tenants?: PerTenant<TenantSandboxOptions & TenantRateLimitOptions>;
  /**
   * Execution limits of every tenant: runs per second with a burst, concurrent runs with a bounded
   * queue, a daily quota (UTC), with entries per node and per interpreter. A tenant's own
   * (`tenants[id].rateLimits`, or {@link PluginHost.setRateLimits}) win field by field. Default: none.
   * See docs/operations.md, "Rate limits and quotas".
   */
  rateLimits?: TenantRateLimits;
  /**
   * Where rate and daily-quota counters live. Default: an {@link InProcessRateLimiter} (exact, per
   * process). Share one budget across workers with `PostgresRateLimiter` (`./metadata/postgres`) or
   * `RedisRateLimiter` (`./rate-limits/redis`).
   */
  rateLimiter?: RateLimiter;
  /**
   * Called synchronously after every custom-node tick and interpreter run (in a tree, in a Temporal
   * activity, in the playground) with `{ tenantId, node, version, kind, durationMs, cpuMs, heapBytes,
   * status, errorCode }`. A hook that throws or rejects is logged (once a minute) and never fails
   * the tick; it is not awaited, so keep it cheap (queue heavy work). See docs/operations.md.
   */
  onExecution?: ExecutionHook;
  /**
   * OpenTelemetry metrics and spans of those executions (`openTelemetry: true` for the global
   * providers of the optional `@opentelemetry/api`, or your own `meter` / `tracer`), their
   * cardinality caps, and how often the heap is sampled. Default: none. See docs/operations.md.
   */
  telemetry?: TelemetryOptions;
  /** Host logger: guest console lines (tagged, rate-limited) and the library's own warnings. */
  logger?: PluginLogger;
  /** Options of the {@link TenantRegistry} (`requireApproval`, `blockOn`, `compile`, …). */
  registry?: Omit<TenantRegistryOptions, 'storage' | 'inspector'>;
  /** Sandbox sizing: most live isolates, their memory budget, compiled-bundle cache bounds (see docs/host-integration.md). */
  sandbox?: Pick<SandboxPoolOptions, 'maxIsolates' | 'memoryBudgetMb' | 'bundleCache'>;
  /**
   * Where tenant code runs: `thread` (default: worker threads, off the host's event loop),
   * `process` (child processes killed on overrun) or `inline` (the host's thread); tier sizes.
   * A tenant's own `tenants[id].isolation` wins. See docs/security.md.
   */
  execution?: ExecutionOptions;
  /** Loaded bundles kept in memory so ticks do not read storage (default 64 MiB). */
  bundleMemory?: BundleMemoOptions;
  /**
   * The interpreter nodes to register with every tenant's nodes (default: none).
   * `{ javascript: true, python: { limits: { defaultTimeoutMs: 2000 } } }`.
   */
  interpreters?: {
    javascript?: boolean | InterpreterNodeSettings<QuickJsEngineOptions>;
    python?: boolean | InterpreterNodeSettings<PythonEngineOptions>;
  };
  /** More node types to register for every tenant (host-provided nodes built per tenant). */
  builtins?: BuiltinNodeProvider[];
  /**
   * Where the marketplace keeps its documents (publishers, listings, installs, reviews). Default:
   * documents in `storage`, next to the registry's. See docs/marketplace.md.
   */
  marketplace?: { store?: CatalogueStore };
  /** Runs tenant bundles. Default: a {@link TieredRunner} (isolated-vm isolates in the tier `execution` names) built from the options above. */
  runner?: NodeRunner;
}

/**
 * Wires storage, registry, sandbox and interpreters together for a host.
 *
 * @example
 * ```ts
 * import * as btree from '@wayfarer-ai/btree';
 * import { PluginHost } from '@wayfarer-ai/btree-plugins';
 * import { FsStorage } from '@wayfarer-ai/btree-plugins/storage/fs';
 *
 * const host = new PluginHost({
 *   btree,
 *   storage: new FsStorage({ root: '/var/lib/nodes' }),
 *   capabilities: { sendSlackMessage: async (ctx, channel, message) => slack.post(String(channel), String(message)) },
 * });
 * const registry = new btree.Registry();
 * btree.registerStandardNodes(registry);
 * await host.registerNodes(registry, 'acme', { yaml });
 * const result = await new btree.BehaviorTree(btree.loadTreeFromYaml(yaml, registry)).toWorkflow()({ input: {}, treeRegistry: registry });
 * await host.dispose();
 * ```
 */
export class PluginHost {
  readonly #btree: InjectedBtreeModule;
  readonly #logger: PluginLogger;
  readonly #registry: TenantRegistry;
  readonly #marketplace: Marketplace;
  readonly #catalog: TenantNodeCatalog;
  readonly #builtins: BuiltinNodeProvider[];
  readonly #interpreters: InterpreterNodeProvider[];
  readonly #validators = new PropsValidatorCache();
  readonly #classes = new LRUCache<string, TenantNodeClass>({ max: 1000 });
  readonly #bundles: BundleMemo;
  /** One forwarder for custom nodes and interpreters: a tenant has one log rate, whatever it runs. */
  readonly #guestLogs: GuestLogForwarder;
  readonly #sandbox: LazySandbox;
  readonly #options: Pick<PluginHostOptions, 'limits' | 'tenants'>;
  readonly #rateLimits: ExecutionLimits;
  readonly #ownsLimiter: boolean;
  /** `undefined` when the host asked for no telemetry: the runner and engines are then not wrapped. */
  readonly #telemetry: ExecutionTelemetry | undefined;
  #disposed = false;

  constructor(options: PluginHostOptions) {
    if (!options || typeof options !== 'object') throw new InvalidInputError('invalid PluginHost options', 'options are required', { hint: 'pass `{ btree, storage }`' });
    checkBtree(options.btree);
    if (!options.storage) throw new InvalidInputError('invalid PluginHost options', '`storage` is required', { hint: 'pass a storage adapter, e.g. `new MemoryStorage()`' });
    this.#btree = options.btree;
    this.#options = { limits: options.limits, tenants: options.tenants };
    // A bad limit or execution option fails here, named, rather than on the first tick.
    resolveLimits(options.limits);
    resolveExecutionOptions(options.execution, 1);
    this.#logger = options.logger ?? silentLogger;
    this.#telemetry = ExecutionTelemetry.create({
      ...options.telemetry,
      onExecution: options.onExecution,
      logger: this.#logger,
      // Read when the pool gauges are observed, by then the sandbox exists.
      startedRunner: () => this.#sandbox.started(),
    });
    this.#rateLimits = new ExecutionLimits({
      defaults: options.rateLimits,
      tenants: options.tenants,
      limiter: options.rateLimiter,
      onRefused: this.#telemetry && refusalReporter(this.#telemetry),
    });
    this.#ownsLimiter = options.rateLimiter === undefined;
    this.#guestLogs = new GuestLogForwarder(toGuestLogSink(this.#logger));
    this.#sandbox = new LazySandbox(options.runner ? () => Promise.resolve(options.runner!) : () => createSandboxPool(options, this.#logger, this.#guestLogs));
    // Publishing runs each new bundle once in the sandbox to read its metadata (category, ports, props schema).
    this.#registry = new TenantRegistry({ ...options.registry, storage: options.storage, inspector: this.#sandbox });
    this.#marketplace = new Marketplace({
      storage: options.storage,
      registry: this.#registry,
      ...(options.marketplace?.store ? { store: options.marketplace.store } : {}),
      ...(options.registry?.clock ? { clock: options.registry.clock } : {}),
    });
    this.#catalog = catalogWithInstalls(registryCatalog(this.#registry), this.#marketplace);
    this.#bundles = new BundleMemo(options.bundleMemory);
    this.#interpreters = interpreterProviders(options.interpreters, this.#logger, this.#guestLogs, this.#rateLimits, this.#telemetry);
    this.#builtins = [...this.#interpreters, ...(options.builtins ?? [])];
  }

  /** The tenant registry: publish, approve, activate, deprecate, rollback, resolve, audit. */
  get registry(): TenantRegistry {
    this.#assertAlive();
    return this.#registry;
  }

  /**
   * The marketplace: publishers, listings of approved versions, installs pinned by reference,
   * forks and reviews, across this platform's tenants (docs/marketplace.md).
   */
  get marketplace(): Marketplace {
    this.#assertAlive();
    return this.#marketplace;
  }

  /**
   * Where `registerNodes` and the Temporal activities find a tenant's nodes: its registry's active
   * and pinned versions, and its marketplace installs.
   */
  nodeCatalog(): TenantNodeCatalog {
    this.#assertAlive();
    return this.#catalog;
  }

  /** False once {@link dispose} was called. */
  get alive(): boolean {
    return !this.#disposed;
  }

  /**
   * Registers into the host's btree `registry`: the enabled interpreter nodes, every active node of
   * `tenantId` under its name, and every pinned type the YAML names (`Name@1.2.0`, `Name@^1.2`)
   * under that exact string. Idempotent for the same versions; a different version under a taken
   * type is a `ConflictError` (btree has no unregister: use one Registry per tenant or per run).
   */
  async registerNodes(registry: HostRegistry, tenantId: string, options: RegisterNodesOptions = {}): Promise<RegisterNodesResult> {
    this.#assertAlive();
    const runner = await this.#getRunner();
    const pool = runner as Partial<Pick<SandboxPool, 'limitsFor'>>;
    const result = await registerTenantNodes(
      {
        btree: this.#btree,
        catalog: this.#catalog,
        runner,
        builtins: this.#builtins,
        logger: this.#logger,
        validators: this.#validators,
        classCache: this.#classes,
        bundles: this.#bundles,
        rateLimits: this.#rateLimits,
        ...(typeof pool.limitsFor === 'function' ? { maxBlackboardBytes: (t: string) => pool.limitsFor!(t).blackboardInBytes } : {}),
      },
      registry,
      tenantId,
      options,
    );
    for (const warning of result.warnings) this.#logger.warn(warning, { tenantId });
    return result;
  }

  /**
   * The sandbox limits one tick of `tenantId` runs under: the defaults, the host's `limits`, then
   * the tenant's own (what the upload API's `GET /tenant` reports to authors).
   */
  limitsFor(tenantId: string): SandboxLimits {
    this.#assertAlive();
    return resolveLimits(this.#options.limits, settingsOfTenant(this.#options.tenants, tenantId)?.limits);
  }

  /**
   * Changes one tenant's execution limits from the next run on (over the host's `rateLimits`);
   * `undefined` goes back to the `tenants` option. Runs in progress are not affected.
   *
   * @throws InvalidInputError naming the bad field (nothing changes then).
   * @example
   * ```ts
   * host.setRateLimits('acme', { runsPerSecond: 5, dailyQuota: 10_000, nodes: { SendSlackMessage: { runsPerSecond: 1 } } });
   * ```
   */
  setRateLimits(tenantId: string, limits: TenantRateLimits | undefined): void {
    this.#assertAlive();
    this.#rateLimits.set(tenantId, limits);
  }

  /** Changes the host-wide execution limits (the `rateLimits` option) from the next run on. @throws InvalidInputError */
  setDefaultRateLimits(limits: TenantRateLimits | undefined): void {
    this.#assertAlive();
    this.#rateLimits.setDefaults(limits);
  }

  /** The host's execution limits: what every run of a tenant's node or script is admitted by (for the Temporal activities). */
  executionLimits(): ExecutionLimits {
    this.#assertAlive();
    return this.#rateLimits;
  }

  /**
   * The runner of tenant bundles (the {@link TieredRunner}, created on first use); for the Temporal
   * activities and the playground. With `onExecution` or `telemetry` set, a wrapper that reports each
   * tick (its `stats`, `limitsFor`, `evict` and `isolationOf` are the runner's own).
   */
  nodeRunner(): Promise<NodeRunner> {
    return this.#getRunner();
  }

  /**
   * The engine of an enabled interpreter (created on first use), or `undefined` when the host did
   * not enable that language; for the Temporal activities.
   */
  async interpreterEngine(language: InterpreterLanguage): Promise<InterpreterEngine | undefined> {
    this.#assertAlive();
    return this.#interpreters.find((p) => p.language === language)?.engine();
  }

  /**
   * Starts every enabled interpreter now instead of on its first tick: the JavaScript workers, and
   * Pyodide with its wheels and memory snapshot (loaded from the snapshot cache, or made and cached
   * there). One line at worker start; without it the first interpreter tick pays for this.
   *
   * @example
   * ```ts
   * const host = new PluginHost({ btree, storage, interpreters: { javascript: true, python: true } });
   * await host.warmUpInterpreters();
   * ```
   */
  async warmUpInterpreters(): Promise<void> {
    this.#assertAlive();
    await Promise.all(this.#interpreters.map((p) => p.warmUp()));
  }

  /**
   * The interpreter languages this host enabled (`interpreters` option), each with the limits its
   * interpreter nodes run under: the language's defaults with the host's overrides. Cheap: it
   * creates no engine (the upload API's `GET /session` and playground ask it per request).
   *
   * @example
   * ```ts
   * const host = new PluginHost({ btree, storage, interpreters: { javascript: true } });
   * host.enabledInterpreters().javascript?.defaultTimeoutMs; // → 5000
   * host.enabledInterpreters().python; // → undefined
   * ```
   */
  enabledInterpreters(): Partial<Record<InterpreterLanguage, Readonly<InterpreterLimits>>> {
    this.#assertAlive();
    return Object.fromEntries(this.#interpreters.map((p) => [p.language, p.limits]));
  }

  /**
   * Disposes the sandbox pool, the interpreter engines and the registry's background work (its
   * index cache's change feed). Idempotent; every later use throws
   * `DisposedError`. A failure while disposing one part does not stop the others; the first one is
   * rethrown at the end.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    let first: unknown;
    const parts: Array<() => Promise<void> | undefined> = [
      ...[...this.#builtins].reverse().map((b) => () => b.dispose?.()),
      () => this.#sandbox.dispose(),
      () => this.#registry.close(),
      () => {
        this.#telemetry?.close();
        return undefined;
      },
      () => (this.#ownsLimiter ? this.#rateLimits.limiter.dispose?.() : undefined),
    ];
    for (const part of parts) {
      try {
        await part();
      } catch (e) {
        first ??= e;
      }
    }
    this.#classes.clear();
    this.#validators.clear();
    this.#bundles.clear();
    if (first !== undefined) throw first;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #assertAlive(): void {
    if (this.#disposed) throw new DisposedError('PluginHost', { hint: 'create a new PluginHost' });
  }

  #getRunner(): Promise<NodeRunner> {
    this.#assertAlive();
    const telemetry = this.#telemetry;
    if (!telemetry) return this.#sandbox.runner();
    // Every tick path (trees, Temporal activities, playground) gets its runner here: wrapped once, ticks are reported once.
    return Promise.all([this.#sandbox.runner(), telemetry.ready]).then(([runner]) => telemetry.observeRunner(runner));
  }
}

/**
 * The host's runner of tenant bundles, built on first use so that importing this library never
 * loads isolated-vm by itself. It is also the registry's {@link NodeInspector}: a registry kept
 * after `dispose` refuses to publish instead of starting a new pool.
 */
class LazySandbox implements NodeInspector {
  readonly #create: () => Promise<NodeRunner>;
  #runner: Promise<NodeRunner> | undefined;
  #disposed = false;

  constructor(create: () => Promise<NodeRunner>) {
    this.#create = create;
  }

  runner(): Promise<NodeRunner> {
    if (this.#disposed) return Promise.reject(new DisposedError('PluginHost', { hint: 'create a new PluginHost' }));
    this.#runner ??= this.#create();
    return this.#runner;
  }

  /** The runner if one was created (the pool gauges must not create one). */
  started(): Promise<NodeRunner> | undefined {
    return this.#disposed ? undefined : this.#runner;
  }

  async inspect(bundle: RunnableBundle): Promise<NodeMetadata> {
    return (await this.runner()).inspect(bundle);
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    await this.#runner?.then((r) => r.dispose());
  }
}

function createSandboxPool(o: PluginHostOptions, logger: PluginLogger, logForwarder: GuestLogForwarder): Promise<NodeRunner> {
  return import('./execution/tiered-runner.js').then(
    ({ TieredRunner }) =>
      new TieredRunner({
        ...o.sandbox,
        ...(o.execution ? { execution: o.execution } : {}),
        ...(o.limits ? { limits: o.limits } : {}),
        ...(o.capabilities ? { capabilities: o.capabilities } : {}),
        ...(o.tenants ? { tenants: o.tenants } : {}),
        logger: toGuestLogSink(logger),
        logForwarder,
      }),
  );
}

function checkBtree(btree: unknown): asserts btree is InjectedBtreeModule {
  const b = btree as Partial<InjectedBtreeModule> | undefined;
  const missing = ['NodeStatus', 'ActionNode', 'ConditionNode', 'ConfigurationError'].filter((k) => !b || !(b as Record<string, unknown>)[k]);
  if (missing.length > 0) {
    throw new InvalidInputError('invalid PluginHost options', `\`btree\` lacks ${missing.join(', ')}`, {
      hint: "pass the host's module: `import * as btree from '@wayfarer-ai/btree'` (or `@wayfarer-ai/btree-plugins/testing` in tests)",
    });
  }
}

function interpreterProviders(
  settings: PluginHostOptions['interpreters'],
  logger: PluginLogger,
  logForwarder: GuestLogForwarder,
  rateLimits: ExecutionLimits,
  telemetry: ExecutionTelemetry | undefined,
): InterpreterNodeProvider[] {
  const out: InterpreterNodeProvider[] = [];
  const js = settings?.javascript;
  if (js) out.push(javascriptInterpreterProvider(js === true ? {} : js, { logger, logForwarder, rateLimits, telemetry }));
  const py = settings?.python;
  if (py) out.push(pythonInterpreterProvider(py === true ? {} : py, { logger, logForwarder, rateLimits, telemetry }));
  return out;
}

/** The binding's view of a {@link TenantRegistry}. */
export function registryCatalog(registry: TenantRegistry): TenantNodeCatalog {
  const tenantNode = (r: ResolvedNode): ResolvedTenantNode => ({ name: r.name, version: r.version, sha256: r.sha256, metadata: r.metadata, ...(r.warning ? { warnings: [r.warning] } : {}) });
  const resolve = async (tenantId: string, spec: string): Promise<ResolvedTenantNode> => tenantNode(await registry.resolve(tenantId, spec));
  return {
    async activeNodes(tenantId) {
      return (await registry.activeNodes(tenantId)).map(tenantNode);
    },
    resolve,
    loadBundle: (tenantId, name, version) => registry.loadBundle(tenantId, name, version),
  };
}

function toGuestLogSink(logger: PluginLogger): GuestLogSink {
  return {
    debug: (m, f) => logger.debug?.(m, f),
    info: (m, f) => logger.info(m, f),
    warn: (m, f) => logger.warn(m, f),
    error: (m, f) => (logger.error ?? logger.warn).call(logger, m, f),
  };
}
