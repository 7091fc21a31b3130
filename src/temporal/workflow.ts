/**
 * `@wayfarer-ai/btree-plugins/workflow`: the workflow-side entry, used inside a host's Temporal
 * workflow function.
 *
 * Tenant code never runs here. {@link registerTenantNodes} resolves the tenant's nodes through an
 * activity (the answer is recorded in history, so a run stays pinned to the versions it started
 * with, even on replay and after the tenant activates another version), then registers proxy node
 * classes whose ticks call activities with a JSON copy of the blackboard and apply the returned
 * writes and deletes. {@link runTenantTree} does that, builds the tree and runs it, turning a tree
 * that cannot be built into a failed run rather than a workflow task retried forever.
 *
 * This module imports only `@temporalio/workflow`, the binding core (`src/binding-core/`) and the
 * pure modules next to it, so Temporal's workflow bundler accepts it without `ignoreModules`; a
 * test checks its import graph.
 *
 * @module
 */
import { ApplicationFailure, isCancellation, log, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { BtreeModule, HostLeafNode, HostNodeConfiguration, HostNodeMetadata } from '../binding-core/host-btree.js';
import { createInterpreterNodeClass, interpreterNodeMetadata } from '../binding-core/interpreter-node.js';
import { INTERPRETER_NODES } from '../binding-core/interpreter-props.js';
import type { InterpreterLimits, InterpreterLogger } from '../binding-core/interpreter-types.js';
import {
  activityFailureMessage,
  checkTickActivityOptions,
  defaultActivityMode,
  DEFAULT_RESOLVE_OPTIONS,
  DEFAULT_TICK_OPTIONS,
  mergeActivityOptions,
  proxyTickActivities,
  readActivityMode,
  type ActivityMode,
  type TickActivityOptions,
} from './activity-options.js';
import { proxyNodeClass } from './proxy-node.js';
import { scriptActivityEngine } from './script-activity-engine.js';
import { ACTIVITY_NAMES, type PluginActivities, type ResolvedNode } from './types.js';

export type { ResolvedNode, ResolveNodesResult, PluginActivities, TickOutcome } from './types.js';
export { ACTIVITY_NAMES, NON_RETRYABLE_ERROR_TYPES } from './types.js';
export { ACTIVITY_MODES, DEFAULT_ACTIVITY_MODE, LOCAL_DEFAULT_PATCH, type ActivityMode, type TickActivityOptions } from './activity-options.js';

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
  /**
   * How custom-node ticks (and, unless {@link scriptActivityMode} says otherwise, script runs) are
   * scheduled: `'local'` (default) as Temporal local activities on the workflow's own worker — no
   * task-queue round trip per tick, no heartbeats, a crash re-runs the workflow task — or
   * `'normal'` as regular activities (heartbeats, `taskQueue` routing; for long runs).
   * docs/temporal.md, "Local or normal activities", has the measured trade-off. When unset, a
   * run started by a version of this library from before local activities (its history has no
   * {@link LOCAL_DEFAULT_PATCH} marker) keeps normal activities, so that it replays.
   *
   * @example
   * ```ts
   * // Ticks on a dedicated sandbox task queue: normal activities.
   * await registerTenantNodes(btree, registry, { tenantId, yaml, activityMode: 'normal', activityOptions: { taskQueue: 'sandboxes' } });
   * ```
   */
  activityMode?: ActivityMode;
  /** How script runs (`PythonInterpreter`, `JavaScriptInterpreter`) are scheduled (default: {@link activityMode}). */
  scriptActivityMode?: ActivityMode;
  /**
   * Options of the custom-node tick activity (merged over sensible defaults). In local mode
   * `taskQueue`, `heartbeatTimeout` and `priority` are refused; `localRetryThreshold` is local only.
   */
  activityOptions?: TickActivityOptions;
  /** Options of the script activities; `startToCloseTimeout` is raised to cover the node's `timeout`. Same mode rules as {@link activityOptions}. */
  scriptActivityOptions?: TickActivityOptions;
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
  /** Cap on the blackboard copy a tenant node's tick sends to the worker, in characters of JSON (default 1 MiB). */
  maxBlackboardBytes?: number;
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

/** Interpreter node type names (fixed: YAML trees name them). */
export const INTERPRETER_TYPES = { python: INTERPRETER_NODES.python.type, javascript: INTERPRETER_NODES.javascript.type } as const;

/** Captured script output goes to Temporal's workflow logger (replay-aware). */
const workflowLogger: InterpreterLogger = {
  info: (message, fields) => log.info(message, fields ?? {}),
  warn: (message, fields) => log.warn(message, fields ?? {}),
};

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
    throw ApplicationFailure.nonRetryable('registerTenantNodes needs options.tenantId. HINT: pass the tenant id of this run', 'InvalidInputError');
  }
  // Options are checked before anything is scheduled: a bad one fails the run at once, naming it.
  const tickMode = readActivityMode(options.activityMode, 'activityMode', defaultActivityMode);
  const scriptMode = readActivityMode(options.scriptActivityMode, 'scriptActivityMode', () => tickMode);
  checkTickActivityOptions(options.activityOptions, tickMode, 'activityOptions');
  checkTickActivityOptions(options.scriptActivityOptions, scriptMode, 'scriptActivityOptions');
  const control = proxyActivities<PluginActivities>(mergeActivityOptions(DEFAULT_RESOLVE_OPTIONS, withFairnessKey(options.resolveActivityOptions, tenantId)));
  const tickActivities = proxyTickActivities(tickMode, mergeActivityOptions<TickActivityOptions>(DEFAULT_TICK_OPTIONS, tickOptions(tickMode, options.activityOptions, tenantId)));

  const resolveInput: { tenantId: string; yaml?: string; refs?: string[] } = { tenantId };
  if (options.yaml !== undefined) resolveInput.yaml = options.yaml;
  if (options.refs !== undefined) resolveInput.refs = options.refs;
  const resolved = await control[ACTIVITY_NAMES.resolveNodes](resolveInput);

  const usedVersions = new Map<string, { name: string; version: string }>();
  let cancellation: unknown;
  const info = workflowInfo();
  const recordUsage = options.recordUsage !== false;

  const markUsed = (name: string, version: string): Promise<void> | undefined => {
    const key = `${name}@${version}`;
    if (usedVersions.has(key)) return undefined;
    usedVersions.set(key, { name, version });
    if (!recordUsage) return undefined;
    return control[ACTIVITY_NAMES.recordUsage]({ tenantId, workflowId: info.workflowId, runId: info.runId, nodes: [{ name, version }] }).catch(
      (error: unknown) => {
        if (isCancellation(error)) return;
        // Usage is bookkeeping: losing one record must not fail the tenant's tree.
        log.warn('btree-plugins: recording node usage failed', { tenantId, node: key, error: activityFailureMessage(error) });
      },
    );
  };
  const onCancel = (error: unknown): void => {
    cancellation ??= error;
  };
  const proxyContext = {
    tenantId,
    activities: tickActivities,
    markUsed,
    onCancel,
    onSkipped: (label: string, keys: string[]) => log.debug('btree-plugins: blackboard keys not copied to the guest (not JSON data or reserved)', { tenantId, node: label, keys }),
    ...(options.maxBlackboardBytes !== undefined ? { maxBlackboardBytes: options.maxBlackboardBytes } : {}),
  };

  const nodes = [...resolved.nodes];
  const types: string[] = [];
  const register = (type: string, ctor: new (config: HostNodeConfiguration) => HostLeafNode, node?: ResolvedNode, given?: HostNodeMetadata): void => {
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
  const registerNode = (node: ResolvedNode): void => {
    if (node.warning) log.warn('btree-plugins: resolved a deprecated node version', { tenantId, type: node.type, version: node.version, warning: node.warning });
    register(node.type, proxyNodeClass(btree, node, proxyContext), node);
  };
  for (const node of resolved.nodes) registerNode(node);

  const wanted: { python?: boolean; javascript?: boolean } =
    options.interpreters === false ? {} : { python: true, javascript: true, ...options.interpreters };
  for (const language of ['python', 'javascript'] as const) {
    if (!wanted[language]) continue;
    const engine = scriptActivityEngine(tenantId, language, scriptMode, tickOptions(scriptMode, options.scriptActivityOptions, tenantId), onCancel);
    const nodeClass = createInterpreterNodeClass(btree, engine, {
      ...(options.interpreterLimits?.[language] ? { limits: options.interpreterLimits[language] } : {}),
      logger: workflowLogger,
      tenantId,
    });
    register(INTERPRETER_NODES[language].type, nodeClass, undefined, interpreterNodeMetadata(language));
  }

  // A type the tree names that nobody registered would make btree's loader throw, which fails the
  // workflow *task* (retried forever). Ask the registry about it instead: it answers with the same
  // clear, non-retryable NotFoundError a pinned version gets (tenant, node, hint), which fails the run.
  for (const type of resolved.treeTypes ?? []) {
    if (registry.has(type)) continue;
    const late = await control[ACTIVITY_NAMES.resolveNodes]({ tenantId, refs: [type] });
    for (const node of late.nodes.filter((n) => n.type === type)) {
      nodes.push(node);
      registerNode(node);
    }
    if (!registry.has(type)) {
      throw ApplicationFailure.nonRetryable(
        `the tree names node type "${type}", which is not registered [tenant=${tenantId}]. HINT: register your own node types before calling registerTenantNodes`,
        'NotFoundError',
      );
    }
  }

  return {
    nodes,
    types,
    used: () => [...usedVersions.values()],
    throwIfCancelled: () => {
      if (cancellation !== undefined) throw cancellation;
    },
  };
}

/**
 * The host's activity options with the tenant as the fairness key (`priority.fairnessKey`), so that
 * a task queue backlogged by one tenant's activities dispatches every tenant's in turn. A host's own
 * `priority` fields win.
 */
export function withFairnessKey(options: ActivityOptions | undefined, tenantId: string): ActivityOptions {
  return { ...options, priority: { fairnessKey: tenantId, ...options?.priority } };
}

/** A tick or script activity's options for `mode`: normal activities carry the tenant's fairness key; local ones are never queued. */
function tickOptions(mode: ActivityMode, options: TickActivityOptions | undefined, tenantId: string): TickActivityOptions | undefined {
  return mode === 'normal' ? withFairnessKey(options, tenantId) : options;
}

/** The btree module as {@link runTenantTree} needs it: the loader and `BehaviorTree` too. */
export interface WorkflowTreeBtreeModule extends WorkflowBtreeModule {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  loadTreeFromYaml(yaml: string, registry: any): any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  BehaviorTree: new (root: any) => { toWorkflow(): (args: { input: Record<string, unknown>; treeRegistry: any }) => Promise<{ status: string; output: Record<string, unknown> }> };
}

/** Options of {@link runTenantTree}: those of {@link registerTenantNodes} (the YAML is required) and the initial blackboard. */
export interface RunTenantTreeOptions extends RegisterTenantNodesOptions {
  yaml: string;
  /** Initial blackboard (btree copies it into the root scope). */
  input?: Record<string, unknown>;
}

/** What {@link runTenantTree} returns: btree's workflow result and what the run pinned and used. */
export interface TenantTreeRun {
  status: string;
  output: Record<string, unknown>;
  /** The pinned versions, as resolved at the start of the run. */
  nodes: readonly ResolvedNode[];
  /** Tenant node versions the run ticked. */
  used: Array<{ name: string; version: string }>;
}

/**
 * Registers the tenant's nodes, builds the tree and runs it once: the whole workflow body of a host
 * that runs tenant trees. A tree that cannot be built (YAML syntax, unknown type, bad props: btree's
 * errors) fails the run with a non-retryable `ApplicationFailure` carrying btree's message and
 * error name, instead of failing the workflow task, which Temporal would retry forever. A cancelled
 * run ends cancelled. Register your own node types into `registry` before calling it.
 *
 * @example
 * ```ts
 * import * as btree from '@wayfarer-ai/btree';
 * import { runTenantTree } from '@wayfarer-ai/btree-plugins/workflow';
 *
 * export async function tenantTree(args: { tenantId: string; yaml: string; input: Record<string, unknown> }) {
 *   const registry = new btree.Registry();
 *   btree.registerStandardNodes(registry);
 *   return runTenantTree(btree, registry, args);
 * }
 * ```
 */
export async function runTenantTree(btreeModule: WorkflowTreeBtreeModule, registry: WorkflowRegistry, options: RunTenantTreeOptions): Promise<TenantTreeRun> {
  const { input = {}, ...registerOptions } = options;
  const plugins = await registerTenantNodes(btreeModule, registry, registerOptions);
  let root: unknown;
  try {
    root = btreeModule.loadTreeFromYaml(options.yaml, registry);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    throw ApplicationFailure.create({
      message: `the tree of tenant ${options.tenantId} does not build: ${e.message}`,
      type: e.name || 'ConfigurationError',
      nonRetryable: true,
      cause: e,
    });
  }
  // Pass the in-workflow registry: a registry sent as workflow input arrives as `{}` (btree-contract §5b).
  const result = await new btreeModule.BehaviorTree(root).toWorkflow()({ input, treeRegistry: registry });
  plugins.throwIfCancelled();
  return { status: result.status, output: result.output, nodes: plugins.nodes, used: plugins.used() };
}
