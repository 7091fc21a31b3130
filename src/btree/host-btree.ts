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

/** btree's `Registry`, the subset the binding uses. */
export interface HostRegistry {
  register(type: string, ctor: new (config: HostNodeConfiguration) => HostLeafNode, metadata?: HostNodeMetadata): void;
  has(type: string): boolean;
}

/** The injected module: `import * as btree from '@wayfarer-ai/btree'`. */
export interface BtreeModule {
  NodeStatus: HostNodeStatus;
  ActionNode: HostLeafNodeClass;
  ConditionNode: HostLeafNodeClass;
  ConfigurationError: HostConfigurationErrorClass;
}
