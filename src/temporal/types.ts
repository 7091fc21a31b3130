/**
 * Payloads exchanged between the workflow entry (`./workflow`) and the activities (`./temporal`).
 *
 * Everything here is a plain JSON shape: it is recorded in Temporal's history, so it must stay small
 * and serialisable, and this module must stay importable by Temporal's workflow bundler (types and
 * constants only, no imports with side effects).
 *
 * @module
 */
import type { ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';
import type { JsonValue, TickOutcome } from '../binding-core/types.js';

export type { JsonValue, TickOutcome } from '../binding-core/types.js';
export type { ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';

/**
 * Activity names. They carry a prefix so that spreading them into a host's existing
 * `Worker.create({ activities: { ...hostActivities, ...pluginActivities } })` cannot clash.
 */
export const ACTIVITY_NAMES = {
  resolveNodes: 'btreePluginsResolveNodes',
  runNodeTick: 'btreePluginsRunNodeTick',
  runPython: 'btreePluginsRunPython',
  runJavaScript: 'btreePluginsRunJavaScript',
  recordUsage: 'btreePluginsRecordUsage',
} as const;

/** Error types that Temporal must never retry (a retry would fail the same way). */
export const NON_RETRYABLE_ERROR_TYPES = [
  'LimitExceededError',
  'InvalidInputError',
  'NotFoundError',
  'IntegrityError',
  'ConflictError',
  'ConfigurationError',
  'CompileError',
  'MissingDependencyError',
  'RuntimeCompatibilityError',
] as const;

/** Input of the resolve activity. */
export interface ResolveNodesInput {
  tenantId: string;
  /**
   * The tree the run will build. The activity reads the tenant node types it names (`Name`,
   * `Name@1.2.0`, `Name@^1.2`) so that each pinned type string is resolved too.
   */
  yaml?: string;
  /** Extra type strings to resolve besides the tenant's active nodes and the YAML's types. */
  refs?: string[];
}

/** One tenant node as the workflow sees it: what to register, never code. */
export interface ResolvedNode {
  /** The type string to register: the bare name for an active version, or the YAML's `Name@range`. */
  type: string;
  name: string;
  version: string;
  /** sha256 of the bundle; the tick activity refuses to run any other bytes. */
  sha256: string;
  category: 'action' | 'condition';
  description?: string;
  ports?: Array<{ name: string; type: 'input' | 'output' | 'inout'; description?: string; required?: boolean }>;
  /** JSON Schema of the props (validated in the workflow by a small deterministic validator). */
  propsSchema?: Record<string, JsonValue>;
  /** Set when the resolved version is deprecated. */
  warning?: string;
}

/** Output of the resolve activity. Recorded in history: a run is pinned to these versions. */
export interface ResolveNodesResult {
  tenantId: string;
  nodes: ResolvedNode[];
  /**
   * Every node type the input's YAML names (root and children), when it had one: the workflow
   * checks each is registered before btree loads the tree, so an unknown one fails the run at once.
   */
  treeTypes?: string[];
}

/** Input of the custom-node tick activity. */
export interface RunNodeTickInput {
  tenantId: string;
  name: string;
  version: string;
  /** The sha256 recorded at resolve time; a different stored bundle is an integrity failure. */
  sha256: string;
  props: Record<string, JsonValue>;
  /** JSON-safe copy of the workflow's blackboard. */
  blackboard: Record<string, JsonValue>;
  /** The tree node's id, for logs. */
  nodeId?: string;
}

/**
 * Input of the Python / JavaScript script activities: the interpreter engine's request as the
 * workflow-side node built it (inputs already collected from the blackboard, props checked).
 */
export interface RunScriptInput {
  tenantId: string;
  request: Omit<ScriptRequest, 'signal' | 'tenantId'>;
  /** The tree node's id, for logs. */
  nodeId?: string;
}

/** Input of the usage activity. */
export interface RecordUsageInput {
  tenantId: string;
  workflowId: string;
  runId?: string;
  nodes: Array<{ name: string; version: string }>;
}

/**
 * The activities as the workflow calls them. `createPluginActivities(host)` implements them; the
 * workflow entry reaches them with `proxyActivities<PluginActivities>()`.
 */
export interface PluginActivities {
  btreePluginsResolveNodes(input: ResolveNodesInput): Promise<ResolveNodesResult>;
  btreePluginsRunNodeTick(input: RunNodeTickInput): Promise<TickOutcome>;
  btreePluginsRunPython(input: RunScriptInput): Promise<ScriptOutcome>;
  btreePluginsRunJavaScript(input: RunScriptInput): Promise<ScriptOutcome>;
  btreePluginsRecordUsage(input: RecordUsageInput): Promise<void>;
}
