/**
 * `@wayfarer-ai/btree-plugins/workflow`: the workflow-side entry, used inside a host's Temporal
 * workflow function.
 *
 * Tenant code never runs here. {@link registerTenantNodes} resolves the tenant's nodes through an
 * activity (the answer is recorded in history, so a run stays pinned to the versions it started
 * with, even on replay and after the tenant activates another version), then registers proxy node
 * classes whose ticks call activities with a JSON copy of the blackboard and apply the returned
 * writes and deletes.
 *
 * This module imports only `@temporalio/workflow` and pure modules of this package, so Temporal's
 * workflow bundler accepts it without `ignoreModules`.
 *
 * @module
 */
import {
  ActivityCancellationType,
  isCancellation,
  log,
  proxyActivities,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { BtreeModule, HostLeafNode, HostNodeConfiguration, HostNodeMetadata, HostTickContext, NodeStatusValue } from '../btree/host-btree.js';
import { applyOutcome, copyBlackboard } from './blackboard-copy.js';
import { validateAgainstSchema, type JsonSchema } from './props-validator.js';
import { createInterpreterNodeClass, interpreterNodeMetadata } from '../interpreters/interpreter-node.js';
import { JAVASCRIPT_LIMITS, PYTHON_LIMITS } from '../interpreters/props.js';
import type {
  InterpreterEngine,
  InterpreterLanguage,
  InterpreterLimits,
  InterpreterLogger,
  ScriptOutcome,
  ScriptRequest,
} from '../interpreters/types.js';
import {
  ACTIVITY_NAMES,
  NON_RETRYABLE_ERROR_TYPES,
  type JsonValue,
  type PluginActivities,
  type ResolvedNode,
  type TickOutcome,
} from './types.js';

export type { ResolvedNode, ResolveNodesResult, PluginActivities, TickOutcome } from './types.js';
export { ACTIVITY_NAMES, NON_RETRYABLE_ERROR_TYPES } from './types.js';

/**
 * The injected btree module as {@link registerTenantNodes} needs it. Looser than `BtreeModule`
 * on purpose: node constructors and registries of real btree builds differ in their context types
 * (e.g. `TemporalContext` requires `treeRegistry`), and only their shape at run time matters here.
 */
export interface WorkflowBtreeModule {
  NodeStatus: BtreeModule['NodeStatus'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ActionNode: abstract new (config: any) => object;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ConditionNode: abstract new (config: any) => object;
  ConfigurationError: BtreeModule['ConfigurationError'];
}

/** The host's btree `Registry`, the two methods {@link registerTenantNodes} uses. */
export interface WorkflowRegistry {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  register(type: string, ctor: any, metadata?: any): void;
  has(type: string): boolean;
}

/** Options of {@link registerTenantNodes}. */
export interface RegisterTenantNodesOptions {
  /** The tenant whose nodes to register. */
  tenantId: string;
  /** The YAML tree the workflow will load: pinned types it names (`Name@1.2.0`) are registered too. */
  yaml?: string;
  /** More type strings to resolve and register (`Name`, `Name@1.2.0`, `Name@^1`). */
  refs?: string[];
  /** Options of the custom-node tick activity (merged over sensible defaults). */
  activityOptions?: ActivityOptions;
  /** Options of the script activities; `startToCloseTimeout` is raised to cover the node's `timeout`. */
  scriptActivityOptions?: ActivityOptions;
  /** Options of the resolve and usage activities. */
  resolveActivityOptions?: ActivityOptions;
  /**
   * Interpreter limits, when the worker's host overrides them (`new PluginHost({ interpreters })`):
   * props are checked against them when the tree is built. The activity checks again with the
   * worker's own limits.
   */
  interpreterLimits?: { python?: Partial<InterpreterLimits>; javascript?: Partial<InterpreterLimits> };
  /** Register the `PythonInterpreter` / `JavaScriptInterpreter` proxy nodes (default: both). */
  interpreters?: { python?: boolean; javascript?: boolean } | false;
  /** Record which tenant node versions the run ticked, through the usage activity (default: true). */
  recordUsage?: boolean;
}

/** What {@link registerTenantNodes} registered. */
export interface RegisteredTenantNodes {
  /** The pinned versions, as resolved at the start of the run. */
  readonly nodes: readonly ResolvedNode[];
  /** Every type string registered into the host registry (tenant nodes and interpreters). */
  readonly types: readonly string[];
  /** Tenant node versions ticked so far by this run. */
  used(): Array<{ name: string; version: string }>;
  /**
   * btree turns every exception of a tick into FAILURE, including Temporal's cancellation. Call
   * this after running the tree so that a cancelled workflow ends cancelled, not "FAILURE".
   */
  throwIfCancelled(): void;
}

const DEFAULT_TICK_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
};

const DEFAULT_RESOLVE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
};

/** Default `outputKey` of each interpreter node (as in the seed). */
const DEFAULT_OUTPUT_KEYS: Record<InterpreterLanguage, string> = { python: 'pythonResult', javascript: 'jsResult' };

/** Interpreter node type names (fixed: YAML trees name them). */
export const INTERPRETER_TYPES: Record<InterpreterLanguage, string> = { python: 'PythonInterpreter', javascript: 'JavaScriptInterpreter' };

function mergeOptions(defaults: ActivityOptions, override: ActivityOptions | undefined): ActivityOptions {
  if (!override) return defaults;
  return { ...defaults, ...override, retry: { ...defaults.retry, ...override.retry } };
}

const UNIT_MS: Record<string, number> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: 1_000, sec: 1_000, secs: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** Milliseconds of a Temporal duration (`5000`, `'30s'`, `'1 minute'`), or `undefined` if unreadable. */
function msOf(duration: ActivityOptions['startToCloseTimeout']): number | undefined {
  if (typeof duration === 'number') return duration;
  if (typeof duration !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(duration);
  const unit = m ? UNIT_MS[(m[2] || 'ms').toLowerCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

/** A message for `lastError` from whatever an activity call threw. */
function failureMessage(error: unknown): string {
  let e: unknown = error;
  // ActivityFailure wraps the real reason (ApplicationFailure, TimeoutFailure, …) in `cause`.
  while (e instanceof Error && e.cause instanceof Error && e.name === 'ActivityFailure') e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** Captured script output goes to Temporal's workflow logger (replay-aware). */
const workflowLogger: InterpreterLogger = {
  info: (message, fields) => log.info(message, fields ?? {}),
  warn: (message, fields) => log.warn(message, fields ?? {}),
};

interface NodeInternals {
  _lastError?: string;
}

/**
 * Resolves a tenant's nodes through the resolve activity and registers one proxy class per node
 * (class name = node name; registered under the bare name for the active version, and under each
 * pinned type string the YAML names), plus `PythonInterpreter` and `JavaScriptInterpreter`. Types
 * already present in `registry` are left alone.
 *
 * Must be called inside a workflow function, before the tree is built.
 *
 * @example
 * ```ts
 * import * as btree from '@wayfarer-ai/btree';
 * import { registerTenantNodes } from '@wayfarer-ai/btree-plugins/workflow';
 *
 * export async function tenantTree(args: { tenantId: string; yaml: string; input: Record<string, unknown> }) {
 *   const registry = new btree.Registry();
 *   btree.registerStandardNodes(registry);
 *   const plugins = await registerTenantNodes(btree, registry, { tenantId: args.tenantId, yaml: args.yaml });
 *   const root = btree.loadTreeFromYaml(args.yaml, registry);
 *   const result = await new btree.BehaviorTree(root).toWorkflow()({ input: args.input, treeRegistry: registry });
 *   plugins.throwIfCancelled();
 *   return result;
 * }
 * ```
 */
export async function registerTenantNodes(
  btreeModule: WorkflowBtreeModule,
  registry: WorkflowRegistry,
  options: RegisterTenantNodesOptions,
): Promise<RegisteredTenantNodes> {
  const btree = btreeModule as unknown as BtreeModule;
  const { tenantId } = options;
  if (typeof tenantId !== 'string' || tenantId === '') {
    throw new btree.ConfigurationError('registerTenantNodes needs options.tenantId', 'pass the tenant id of this run');
  }
  const control = proxyActivities<PluginActivities>(mergeOptions(DEFAULT_RESOLVE_OPTIONS, options.resolveActivityOptions));
  const tickActivities = proxyActivities<PluginActivities>(mergeOptions(DEFAULT_TICK_OPTIONS, options.activityOptions));

  const resolveInput: { tenantId: string; yaml?: string; refs?: string[] } = { tenantId };
  if (options.yaml !== undefined) resolveInput.yaml = options.yaml;
  if (options.refs !== undefined) resolveInput.refs = options.refs;
  const resolved = await control[ACTIVITY_NAMES.resolveNodes](resolveInput);

  const usedVersions = new Map<string, { name: string; version: string }>();
  let cancellation: unknown;
  const info = workflowInfo();
  const recordUsage = options.recordUsage !== false;

  /** Marks a version as used; the first time, returns the usage activity's promise. */
  const markUsed = (name: string, version: string): Promise<void> | undefined => {
    const key = `${name}@${version}`;
    if (usedVersions.has(key)) return undefined;
    usedVersions.set(key, { name, version });
    if (!recordUsage) return undefined;
    return control[ACTIVITY_NAMES.recordUsage]({ tenantId, workflowId: info.workflowId, runId: info.runId, nodes: [{ name, version }] }).catch(
      (error: unknown) => {
        if (isCancellation(error)) return;
        // Usage is bookkeeping: losing one record must not fail the tenant's tree.
        log.warn('btree-plugins: recording node usage failed', { tenantId, node: key, error: failureMessage(error) });
      },
    );
  };

  /** Runs one activity call for a tick and turns its outcome into a btree status. */
  const runTick = async (
    node: HostLeafNode & NodeInternals,
    ctx: HostTickContext,
    call: (blackboard: Record<string, JsonValue>) => Promise<TickOutcome>,
    what: string,
  ): Promise<NodeStatusValue> => {
    let outcome: TickOutcome;
    try {
      outcome = await call(copyBlackboard(ctx.blackboard));
    } catch (error) {
      if (isCancellation(error)) cancellation ??= error;
      node._lastError = `${what}: ${failureMessage(error)}`;
      return btree.NodeStatus.FAILURE;
    }
    const skipped = applyOutcome(ctx.blackboard, outcome);
    if (skipped.length) log.warn('btree-plugins: refused unsafe blackboard keys', { tenantId, node: what, keys: skipped });
    if (outcome.status === 'FAILURE') node._lastError = outcome.error ?? `${what} failed`;
    return btree.NodeStatus[outcome.status];
  };

  const types: string[] = [];
  const register = (
    type: string,
    ctor: new (config: HostNodeConfiguration) => HostLeafNode,
    node?: ResolvedNode,
    given?: HostNodeMetadata,
  ): void => {
    if (registry.has(type)) {
      log.warn('btree-plugins: node type already registered, kept the existing one', { tenantId, type });
      return;
    }
    const metadata: HostNodeMetadata = given ?? { category: node?.category ?? 'action' };
    if (node?.description) metadata.description = node.description;
    if (node?.ports) metadata.ports = node.ports;
    registry.register(type, ctor, metadata);
    types.push(type);
  };

  for (const node of resolved.nodes) {
    if (node.warning) log.warn('btree-plugins: resolved a deprecated node version', { tenantId, type: node.type, version: node.version, warning: node.warning });
    register(node.type, tenantNodeClass(btree, tenantId, node, tickActivities, markUsed, runTick), node);
  }

  const wanted: { python?: boolean; javascript?: boolean } =
    options.interpreters === false ? {} : { python: true, javascript: true, ...options.interpreters };
  for (const language of ['python', 'javascript'] as const) {
    if (!wanted[language]) continue;
    const typeName = INTERPRETER_TYPES[language];
    const engine = activityEngine(tenantId, language, options.scriptActivityOptions, (error) => {
      cancellation ??= error;
    });
    const nodeClass = createInterpreterNodeClass(btree, engine, {
      typeName,
      defaultOutputKey: DEFAULT_OUTPUT_KEYS[language],
      baseLimits: language === 'python' ? PYTHON_LIMITS : JAVASCRIPT_LIMITS,
      ...(options.interpreterLimits?.[language] ? { limits: options.interpreterLimits[language] } : {}),
      logger: workflowLogger,
      tenantId,
    });
    register(typeName, nodeClass, undefined, interpreterNodeMetadata(typeName, DEFAULT_OUTPUT_KEYS[language]));
  }

  return {
    nodes: resolved.nodes,
    types,
    used: () => [...usedVersions.values()],
    throwIfCancelled: () => {
      if (cancellation !== undefined) throw cancellation;
    },
  };
}

type RunTick = (
  node: HostLeafNode & NodeInternals,
  ctx: HostTickContext,
  call: (blackboard: Record<string, JsonValue>) => Promise<TickOutcome>,
  what: string,
) => Promise<NodeStatusValue>;

/** The node's literal props: its configuration without btree's own `id` / `name`, unless declared. */
function propsOf(config: HostNodeConfiguration, schema: Record<string, JsonValue> | undefined): Record<string, JsonValue> {
  const declared = schema && typeof schema.properties === 'object' && schema.properties !== null ? (schema.properties as Record<string, unknown>) : {};
  const props: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(config)) {
    if ((key === 'id' || key === 'name') && !(key in declared)) continue;
    if (value !== undefined) props[key] = value as JsonValue;
  }
  return props;
}

function tenantNodeClass(
  btree: BtreeModule,
  tenantId: string,
  node: ResolvedNode,
  activities: PluginActivities,
  markUsed: (name: string, version: string) => Promise<void> | undefined,
  runTick: RunTick,
): new (config: HostNodeConfiguration) => HostLeafNode {
  const Base = node.category === 'condition' ? btree.ConditionNode : btree.ActionNode;
  const ConfigurationError = btree.ConfigurationError;
  const label = `${node.name}@${node.version}`;
  // The computed key names the class after the node: btree sets `node.type = constructor.name`.
  const holder = {
    [node.name]: class extends Base {
      readonly props: Record<string, JsonValue>;
      constructor(config: HostNodeConfiguration) {
        super(config);
        this.props = propsOf(config, node.propsSchema);
        if (node.propsSchema) {
          const problems = validateAgainstSchema(node.propsSchema as JsonSchema, this.props);
          if (problems.length) {
            throw new ConfigurationError(
              `Invalid configuration for ${label}:${config.id}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
              `fix the props of node '${config.id}' to match the props schema of ${label}`,
            );
          }
        }
      }
      protected async executeTick(ctx: HostTickContext): Promise<NodeStatusValue> {
        const usage = markUsed(node.name, node.version);
        const status = await runTick(
          this,
          ctx,
          (blackboard) =>
            activities[ACTIVITY_NAMES.runNodeTick]({
              tenantId,
              name: node.name,
              version: node.version,
              sha256: node.sha256,
              props: this.props,
              blackboard,
              nodeId: this.id,
            }),
          label,
        );
        if (usage) await usage;
        return status;
      }
    },
  };
  return holder[node.name] as unknown as new (config: HostNodeConfiguration) => HostLeafNode;
}

/**
 * An {@link InterpreterEngine} whose `run` is the script activity: the interpreter node class of
 * `src/interpreters/` runs unchanged in the workflow (props, input collection, result checks, error
 * messages), and only the script itself runs in the worker.
 */
function activityEngine(
  tenantId: string,
  language: InterpreterLanguage,
  scriptOptions: ActivityOptions | undefined,
  onCancel: (error: unknown) => void,
): InterpreterEngine {
  const activityName = language === 'python' ? ACTIVITY_NAMES.runPython : ACTIVITY_NAMES.runJavaScript;
  const base = mergeOptions(DEFAULT_TICK_OPTIONS, scriptOptions);
  const configured = msOf(base.startToCloseTimeout);
  return {
    language,
    async run(request: ScriptRequest): Promise<ScriptOutcome> {
      // The activity must outlive the script's own deadline, whatever the host configured.
      const floor = request.timeoutMs + 30_000;
      const options = configured !== undefined && configured >= floor ? base : { ...base, startToCloseTimeout: floor };
      const activities = proxyActivities<PluginActivities>(options);
      const { signal: _signal, tenantId: _tenant, ...copyable } = request;
      try {
        return await activities[activityName]({ tenantId, request: copyable });
      } catch (error) {
        if (isCancellation(error)) onCancel(error);
        const outcome = limitOutcome(error);
        if (outcome) return outcome;
        throw error;
      }
    },
    async dispose() {},
  };
}

/** The script outcome a non-retryable limit failure carries in its details, if any. */
function limitOutcome(error: unknown): ScriptOutcome | undefined {
  let e: unknown = error;
  while (e instanceof Error && e.name === 'ActivityFailure' && e.cause instanceof Error) e = e.cause;
  const details = (e as { details?: unknown[] } | undefined)?.details;
  const first = Array.isArray(details) ? (details[0] as ScriptOutcome | undefined) : undefined;
  return first && typeof first === 'object' && 'ok' in first && first.ok === false ? first : undefined;
}
