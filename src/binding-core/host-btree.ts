/**
 * Structural types of the parts of the host's `@wayfarer-ai/btree` that this library uses.
 *
 * The package is not on the npm registry, so it is injected (`new PluginHost({ btree })` with the
 * host's `import * as btree from '@wayfarer-ai/btree'`) and typed here by shape only, following
 * `btree-contract.md`. The test host in `src/testing/` satisfies these types, and so does the real
 * module.
 *
 * @module
 */

/** btree's string enum `NodeStatus`. */
export interface HostNodeStatus {
  readonly SUCCESS: 'SUCCESS';
  readonly FAILURE: 'FAILURE';
  readonly RUNNING: 'RUNNING';
  readonly IDLE: 'IDLE';
}

/** A status value as btree returns it. */
export type NodeStatusValue = 'SUCCESS' | 'FAILURE' | 'RUNNING' | 'IDLE';

/** btree's `NodeConfiguration`: every YAML prop lands flat here. */
export interface HostNodeConfiguration {
  id: string;
  name?: string;
  [key: string]: unknown;
}

/** btree's `IScopedBlackboard`, the subset the binding reads and writes. */
export interface HostBlackboard {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  has(key: string): boolean;
  delete(key: string): void;
  keys(): string[];
  toJSON(): Record<string, unknown>;
}

/** btree's `TickContext` / `TemporalContext`, the subset the binding uses. */
export interface HostTickContext {
  blackboard: HostBlackboard;
  timestamp: number;
  signal?: AbortSignal;
  [key: string]: unknown;
}

/** An instance of a btree leaf node (ActionNode / ConditionNode subclass). */
export interface HostLeafNode {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  tick(context: HostTickContext): Promise<NodeStatusValue>;
  status(): NodeStatusValue;
  readonly lastError?: string | undefined;
  halt(): void;
  reset(): void;
}

/**
 * The abstract leaf classes as seen from a subclass: the constructor takes the configuration,
 * `executeTick` is implemented by the subclass, `_lastError` may be set before returning FAILURE.
 */
export type HostLeafNodeClass = abstract new (config: HostNodeConfiguration) => HostLeafNode;

/** Constructor of btree's `ConfigurationError(message, hint?)`. */
export type HostConfigurationErrorClass = new (message: string, hint?: string) => Error;

/** Registry metadata accepted by `Registry.register`. */
export interface HostNodeMetadata {
  category?: 'action' | 'condition' | 'decorator' | 'composite' | 'subtree';
  description?: string;
  ports?: Array<{ name: string; type: 'input' | 'output' | 'inout'; description?: string; defaultValue?: unknown; required?: boolean }>;
}

/**
 * btree's `Registry`, the subset the binding uses. `ctor` is typed loosely on purpose: btree's own
 * `NodeConstructor<TreeNode>` uses its enum and context types, which a structural type cannot name,
 * and a host must be able to pass its real `Registry` here without casts.
 */
export interface HostRegistry {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  register(type: string, ctor: any, metadata?: HostNodeMetadata): void;
  has(type: string): boolean;
}

/** The injected module as this library's own code uses it (subclassing `ActionNode` directly). */
export interface BtreeModule {
  NodeStatus: HostNodeStatus;
  ActionNode: HostLeafNodeClass;
  ConditionNode: HostLeafNodeClass;
  ConfigurationError: HostConfigurationErrorClass;
}

/**
 * btree's `ActionNode` / `ConditionNode` as seen from a host: an abstract class taking the
 * configuration. Looser than {@link HostLeafNodeClass} on purpose: btree's own classes take a
 * `TemporalContext` (with a required `treeRegistry`) and return its `NodeStatus` enum, which a
 * structural type cannot name.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type HostNodeBaseClass = abstract new (config: any) => object;

/**
 * The module a host injects: `import * as btree from '@wayfarer-ai/btree'` (or
 * `@wayfarer-ai/btree-plugins/testing`). Both satisfy it without casts; public entry points
 * (`PluginHost`, `createTenantNodeClass`, `registerTenantNodes`) accept it.
 */
export interface InjectedBtreeModule {
  NodeStatus: HostNodeStatus;
  ActionNode: HostNodeBaseClass;
  ConditionNode: HostNodeBaseClass;
  ConfigurationError: HostConfigurationErrorClass;
}
