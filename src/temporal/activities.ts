/**
 * `@wayfarer-ai/btree-plugins/temporal`: the worker side of the Temporal integration.
 *
 * {@link createPluginActivities} returns the activities the workflow entry (`./workflow`) calls. A
 * host spreads them into its existing worker:
 *
 * ```ts
 * const worker = await Worker.create({
 *   taskQueue, workflowsPath,
 *   activities: { ...hostActivities, ...createPluginActivities(pluginHost) },
 * });
 * ```
 *
 * Tenant code runs here, in the worker's sandboxes. The same activities serve both activity modes
 * of the workflow entry (`activityMode`): run as normal activities, long runs heartbeat, so a dead
 * worker is noticed within the heartbeat timeout and the run retried elsewhere; run as local
 * activities they do not heartbeat (they cannot), and a dead worker's workflow task is retried
 * elsewhere. In both, activity cancellation aborts the sandbox run; a limit breach fails without
 * retry; a storage outage fails with retry.
 *
 * @module
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { type BtreePluginsError, IntegrityError, InvalidInputError, isBtreePluginsError, LimitExceededError, NotFoundError, type RateLimitedError } from '../errors.js';
import type { RunKind } from '../rate-limits/execution-limits.js';
import { withRunPermit, type RunAdmission } from '../rate-limits/run-gates.js';
import { JAVASCRIPT_LIMITS, PYTHON_LIMITS, resolveInterpreterLimits } from '../binding-core/interpreter-props.js';
import type { InterpreterEngine, InterpreterLanguage, InterpreterLimits, ScriptOutcome } from '../binding-core/interpreter-types.js';
import type { ResolvedTenantNode } from '../btree/register-nodes.js';
import type { PluginHost } from '../plugin-host.js';
import type { NodeRunner, RunnableBundle, TickInput, TickOutcome } from '../sandbox/types.js';
import {
  ACTIVITY_NAMES,
  NON_RETRYABLE_ERROR_TYPES,
  type PluginActivities,
  type RecordUsageInput,
  type ResolvedNode,
  type ResolveNodesInput,
  type ResolveNodesResult,
  type RunNodeTickInput,
  type RunScriptInput,
} from './types.js';
import { isPinnedType, readTreeTypes } from '../btree/tree-yaml.js';

export * from './types.js';

/** One resolved version, without the type string it is registered under. */
export type ResolvedVersion = Omit<ResolvedNode, 'type'>;

/**
 * What the activities need from the host, as plain functions. {@link createPluginActivities}
 * builds it from a `PluginHost`; tests and unusual hosts can pass their own to
 * {@link createPluginActivitiesFromBackend}.
 */
export interface PluginActivitiesBackend {
  /** The active version of every node of the tenant. */
  activeNodes(tenantId: string): Promise<ResolvedVersion[]>;
  /** Resolves `Name`, `Name@1.2.0` or `Name@^1.2` to one version. */
  resolve(tenantId: string, ref: string): Promise<ResolvedVersion>;
  /** Loads a version's bundle, integrity-checked. */
  loadBundle(tenantId: string, name: string, version: string): Promise<RunnableBundle>;
  /** Runs tenant bundles. */
  runner(): NodeRunner | Promise<NodeRunner>;
  /** The interpreter engine of a language, or `undefined` when the worker has none configured. */
  engine(language: InterpreterLanguage): InterpreterEngine | undefined | Promise<InterpreterEngine | undefined>;
  /** Records which versions a workflow run used. */
  recordUsage(tenantId: string, workflowId: string, nodes: Array<{ name: string; version: string }>): Promise<void>;
  /**
   * Execution limits checked before each tick and script run (`host.executionLimits()`); a refused
   * run fails the activity as retryable, with Temporal's next retry after `retryAfterMs`.
   */
  rateLimits?: RunAdmission;
}

/** Options of {@link createPluginActivities}. */
export interface PluginActivitiesOptions {
  /** Runs tenant bundles instead of the host's own (`host.nodeRunner()`). */
  runner?: NodeRunner;
  /**
   * Interpreter engines instead of the host's (`host.interpreterEngine(language)`, enabled with
   * `new PluginHost({ interpreters: { python: true, javascript: true } })`).
   */
  engines?: Partial<Record<InterpreterLanguage, InterpreterEngine>>;
  /**
   * The worker's interpreter limits (over each language's defaults). A script request is clamped
   * to them whatever the workflow asked for.
   */
  interpreterLimits?: Partial<Record<InterpreterLanguage, Partial<InterpreterLimits>>>;
  /**
   * Heartbeat period when the activity has no heartbeat timeout. With one, the period is a third
   * of it (at most 1 s). Heartbeats are also how a worker hears of cancellation. Default 5 s.
   */
  heartbeatIntervalMs?: number;
}

function toResolvedVersion(node: ResolvedTenantNode): ResolvedVersion {
  const m = node.metadata;
  const out: ResolvedVersion = { name: node.name, version: node.version, sha256: node.sha256, category: m.category };
  if (m.description !== undefined) out.description = m.description;
  if (m.ports?.length) out.ports = m.ports.map(({ defaultValue: _ignored, ...port }) => port);
  if (m.propsSchema !== undefined) out.propsSchema = m.propsSchema as ResolvedVersion['propsSchema'];
  if (node.warnings?.length) out.warning = node.warnings.join('; ');
  return out;
}

/**
 * Creates the activities to register on the host's worker, from the host's `PluginHost`.
 *
 * @example
 * ```ts
 * import { createPluginActivities } from '@wayfarer-ai/btree-plugins/temporal';
 * const host = new PluginHost({ btree, storage, capabilities, interpreters: { python: true, javascript: true } });
 * const worker = await Worker.create({
 *   taskQueue, workflowsPath,
 *   activities: { ...myActivities, ...createPluginActivities(host) },
 * });
 * ```
 */
/**
 * The nodes a tenant's registry records usages of: marketplace installs are left out (an install
 * pins its version by itself; the catalogue keeps every version), unless the tenant's own node of
 * the same name hides the install.
 */
async function ownNodes(host: PluginHost, tenantId: string, nodes: ReadonlyArray<{ name: string; version: string }>): Promise<Array<{ name: string; version: string }>> {
  const installs = new Map((await host.marketplace.installs(tenantId)).map((i) => [i.as, i.version]));
  if (installs.size === 0) return [...nodes];
  const own = await Promise.all(
    nodes.map(async (n) => {
      if (installs.get(n.name) !== n.version) return true;
      return host.registry.versions(tenantId, n.name).then(
        () => true,
        (e: unknown) => !isBtreePluginsError(e, 'NotFoundError'),
      );
    }),
  );
  return nodes.filter((_, i) => own[i]);
}

export function createPluginActivities(host: PluginHost, options: PluginActivitiesOptions = {}): PluginActivities {
  const catalog = host.nodeCatalog();
  const backend: PluginActivitiesBackend = {
    activeNodes: async (tenantId) => (await catalog.activeNodes(tenantId)).map(toResolvedVersion),
    resolve: async (tenantId, ref) => toResolvedVersion(await catalog.resolve(tenantId, ref)),
    loadBundle: (tenantId, name, version) => catalog.loadBundle(tenantId, name, version),
    runner: () => options.runner ?? host.nodeRunner(),
    engine: async (language) => options.engines?.[language] ?? (await host.interpreterEngine(language)),
    recordUsage: async (tenantId, workflowId, nodes) => host.registry.recordUsage(tenantId, workflowId, await ownNodes(host, tenantId, nodes)),
    rateLimits: host.executionLimits(),
  };
  return createPluginActivitiesFromBackend(backend, options);
}

/** Creates the activities over a {@link PluginActivitiesBackend} (tests, hosts without a `PluginHost`). */
export function createPluginActivitiesFromBackend(backend: PluginActivitiesBackend, options: PluginActivitiesOptions = {}): PluginActivities {
  const fallbackInterval = options.heartbeatIntervalMs ?? 5_000;
  const limits: Record<InterpreterLanguage, InterpreterLimits> = {
    javascript: resolveInterpreterLimits(options.interpreterLimits?.javascript, JAVASCRIPT_LIMITS),
    python: resolveInterpreterLimits(options.interpreterLimits?.python, PYTHON_LIMITS),
  };

  return {
    async [ACTIVITY_NAMES.resolveNodes](input: ResolveNodesInput): Promise<ResolveNodesResult> {
      return guard(async () => {
        const tenantId = requireString(input?.tenantId, 'tenantId');
        const nodes: ResolvedNode[] = (await backend.activeNodes(tenantId)).map((v) => ({ type: v.name, ...v }));
        const refs = new Set<string>();
        let treeTypes: string[] | undefined;
        if (input.yaml !== undefined) {
          const read = readTreeTypes(requireString(input.yaml, 'yaml'));
          if (!read.ok) {
            throw new InvalidInputError('reading the tree failed', `the YAML is not a tree: ${read.message}`, {
              context: { tenant: tenantId },
              hint: 'fix the YAML of the tree (one document whose root is a node with a type)',
            });
          }
          treeTypes = read.types;
          for (const type of read.types.filter(isPinnedType)) refs.add(type);
        }
        for (const ref of input.refs ?? []) refs.add(requireString(ref, 'refs[]'));
        for (const ref of refs) if (!nodes.some((n) => n.type === ref)) nodes.push({ type: ref, ...(await backend.resolve(tenantId, ref)) });
        return treeTypes ? { tenantId, nodes, treeTypes } : { tenantId, nodes };
      });
    },

    async [ACTIVITY_NAMES.runNodeTick](input: RunNodeTickInput): Promise<TickOutcome> {
      return guard(() =>
        withHeartbeat(fallbackInterval, async (signal) => {
          const tenantId = requireString(input?.tenantId, 'tenantId');
          const bundle = await backend.loadBundle(tenantId, requireString(input.name, 'name'), requireString(input.version, 'version'));
          if (bundle.sha256 !== input.sha256) {
            // The run was pinned to other bytes: never run something else under the same version.
            throw new IntegrityError(`tick refused [tenant=${tenantId}, node=${input.name}, version=${input.version}]`, input.sha256, bundle.sha256);
          }
          const runner = await backend.runner();
          const tickInput: TickInput = { props: input.props ?? {}, blackboard: input.blackboard ?? {}, signal };
          if (typeof input.nodeId === 'string') tickInput.nodeId = input.nodeId;
          const outcome = await limited(tenantId, 'node', input.name, signal, () => runner.tick(bundle, tickInput));
          throwIfCancelled(signal);
          const limit = limitOf(outcome);
          if (limit) {
            throw ApplicationFailure.create({
              message: outcome.error ?? `${input.name}@${input.version} exceeded its ${limit} limit`,
              type: 'LimitExceededError',
              nonRetryable: true,
              details: [outcome],
            });
          }
          return outcome;
        }),
      );
    },

    async [ACTIVITY_NAMES.runPython](input: RunScriptInput): Promise<ScriptOutcome> {
      return runScript('python', input);
    },

    async [ACTIVITY_NAMES.runJavaScript](input: RunScriptInput): Promise<ScriptOutcome> {
      return runScript('javascript', input);
    },

    async [ACTIVITY_NAMES.recordUsage](input: RecordUsageInput): Promise<void> {
      return guard(async () => {
        const tenantId = requireString(input?.tenantId, 'tenantId');
        await backend.recordUsage(tenantId, requireString(input.workflowId, 'workflowId'), input.nodes ?? []);
      });
    },
  } as PluginActivities;

  /** Runs one tick or script under the execution limits: a refused run throws RateLimitedError (retried by Temporal after its delay). */
  function limited<T>(tenantId: string, kind: RunKind, name: string, signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    return backend.rateLimits ? withRunPermit(backend.rateLimits, tenantId, kind, name, signal, run) : run();
  }

  async function runScript(language: InterpreterLanguage, input: RunScriptInput): Promise<ScriptOutcome> {
    return guard(() =>
      withHeartbeat(fallbackInterval, async (signal) => {
        const tenantId = requireString(input?.tenantId, 'tenantId');
        const engine = await backend.engine(language);
        if (!engine) {
          throw new NotFoundError(
            `${language} scripts cannot run [tenant=${tenantId}]`,
            `this worker has no ${language === 'python' ? 'Python' : 'JavaScript'} interpreter configured`,
            { hint: 'configure the interpreter on the PluginHost of every worker polling this task queue' },
          );
        }
        const request = clampRequest(input.request, limits[language]);
        const outcome = await limited(tenantId, 'interpreter', language, signal, () => engine.run({ ...request, tenantId, signal }));
        throwIfCancelled(signal);
        if (!outcome.ok && (outcome.error.kind === 'timeout' || outcome.error.kind === 'memory' || outcome.error.kind === 'output')) {
          throw ApplicationFailure.create({
            message: outcome.error.message,
            type: 'LimitExceededError',
            nonRetryable: true,
            details: [outcome],
          });
        }
        return outcome;
      }),
    );
  }
}

/**
 * Checks a script request from the workflow and clamps it to the worker's limits: the workflow
 * validated the props, but the worker's limits are the ones that hold.
 */
function clampRequest(request: RunScriptInput['request'], limits: InterpreterLimits): RunScriptInput['request'] {
  if (!request || typeof request !== 'object') throw new InvalidInputError('script request rejected', '`request` is missing');
  const script = requireString(request.script, 'request.script');
  if (script.length > limits.maxScriptBytes) {
    throw new InvalidInputError('script request rejected', `the script is ${script.length} characters, over this worker's limit of ${limits.maxScriptBytes}`);
  }
  const inputs = request.inputs;
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) throw new InvalidInputError('script request rejected', '`request.inputs` must be an object');
  const cap = (value: unknown, max: number, fallback: number): number =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.min(value, max) : fallback;
  return {
    script,
    inputs,
    timeoutMs: cap(request.timeoutMs, limits.maxTimeoutMs, limits.defaultTimeoutMs),
    memoryLimitBytes: cap(request.memoryLimitBytes, limits.maxMemoryBytes, limits.defaultMemoryBytes),
    maxResultBytes: cap(request.maxResultBytes, limits.maxResultBytes, limits.maxResultBytes),
    maxResultDepth: cap(request.maxResultDepth, limits.maxDepth, limits.maxDepth),
    maxOutputLines: cap(request.maxOutputLines, limits.maxOutputLines, limits.maxOutputLines),
    maxOutputBytes: cap(request.maxOutputBytes, limits.maxOutputBytes, limits.maxOutputBytes),
  };
}

/**
 * Heartbeats while `run` is in progress (a third of the heartbeat timeout, or `fallbackMs`), and
 * hands it the activity's cancellation signal. A local activity (`activityMode: 'local'`) cannot
 * heartbeat and needs not: its cancellation comes from its own worker, straight to the signal.
 */
async function withHeartbeat<T>(fallbackMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  if (ctx.info.isLocal) return run(ctx.cancellationSignal);
  const timeout = ctx.info.heartbeatTimeoutMs;
  // Heartbeats are also how cancellation reaches the worker; the SDK throttles what it sends.
  const period = timeout ? Math.max(50, Math.min(1_000, Math.floor(timeout / 3))) : fallbackMs;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), period);
  timer.unref?.();
  try {
    return await run(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

function throwIfCancelled(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof CancelledFailure ? reason : new CancelledFailure('activity cancelled', [], reason instanceof Error ? reason : undefined);
}

/** The name of the limit a tick outcome says was broken, if any. */
function limitOf(outcome: TickOutcome): string | undefined {
  const tagged = (outcome as TickOutcome & { limit?: unknown }).limit;
  return outcome.status === 'FAILURE' && typeof tagged === 'string' && tagged !== '' ? tagged : undefined;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidInputError('activity input rejected', `${field} must be a non-empty string, got ${JSON.stringify(value) ?? 'undefined'}`, {
      hint: 'call the plugin activities through registerTenantNodes from @wayfarer-ai/btree-plugins/workflow',
    });
  }
  return value;
}

/**
 * Runs an activity body and turns this library's errors into Temporal failures: a storage outage
 * the adapter calls retryable stays retryable; bad input, unknown nodes, integrity and limit
 * failures are not retried (they would fail the same way).
 */
async function guard<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toFailure(error);
  }
}

/** Maps an error thrown inside an activity to what Temporal should see. Exported for tests. */
export function toFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure || error instanceof CancelledFailure) return error;
  if (!isBtreePluginsError(error)) return error; // unknown: Temporal's retry policy decides
  const e: BtreePluginsError = error;
  if (e.name === 'RateLimitedError') {
    // Retried by Temporal after the limiter's delay (never a sleep inside the activity). The attempt counts toward maximumAttempts.
    const { retryAfterMs, limit, tenantId, node } = e as RateLimitedError;
    return ApplicationFailure.create({ message: e.message, type: 'RateLimitedError', nonRetryable: false, nextRetryDelay: retryAfterMs, details: [{ retryAfterMs, limit, tenantId, node }], cause: e });
  }
  if (e.name === 'StorageError') {
    const retryable = (e as unknown as { retryable?: boolean }).retryable === true;
    return ApplicationFailure.create({ message: e.message, type: 'StorageError', nonRetryable: !retryable, cause: e });
  }
  const nonRetryable = (NON_RETRYABLE_ERROR_TYPES as readonly string[]).includes(e.name) || e instanceof LimitExceededError;
  return ApplicationFailure.create({ message: e.message, type: e.name, nonRetryable, cause: e });
}
