/**
 * Core types of the test host, shaped like `@wayfarer-ai/btree`'s `src/types.ts`
 * (btree-contract.md §1).
 *
 * @module
 */
import type { NodeEventEmitter } from './events.js';

/** Node status. A string enum: the values show up as these strings in a `WorkflowResult` (contract §1). */
export enum NodeStatus {
  SUCCESS = 'SUCCESS',
  FAILURE = 'FAILURE',
  RUNNING = 'RUNNING',
  IDLE = 'IDLE',
}

/** Constructor configuration: `id`, `name` and every YAML prop, flat (contract §1, §4). */
export interface NodeConfiguration {
  id: string;
  name?: string;
  [key: string]: unknown;
}

/** A port: metadata only, nothing enforces it (contract §1). */
export interface PortDefinition {
  name: string;
  type: 'input' | 'output' | 'inout';
  description?: string;
  defaultValue?: unknown;
  required?: boolean;
}

/** Registry metadata of a node type. */
export interface NodeMetadata {
  type: string;
  category: 'action' | 'condition' | 'decorator' | 'composite' | 'subtree';
  description?: string | undefined;
  ports?: PortDefinition[];
}

/** The blackboard interface nodes see (contract §6). */
export interface IScopedBlackboard {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  has(key: string): boolean;
  delete(key: string): void;
  clear(): void;
  createScope(name: string): IScopedBlackboard;
  getParentScope(): IScopedBlackboard | null;
  getScopeName(): string;
  getPort<T>(key: string, defaultValue?: T): T;
  setPort<T>(key: string, value: T): void;
  keys(): string[];
  entries(): [string, unknown][];
  toJSON(): Record<string, unknown>;
  clone(): IScopedBlackboard;
  getFullScopePath(): string;
}

/** What `Registry` offers to nodes that look trees up (SubTree); `Registry` satisfies it. */
export interface ITreeRegistry {
  hasTree(id: string): boolean;
  cloneTree(id: string): { getRoot(): TreeNode };
  getAllTreeIds(): string[];
}

/** Context of one tick (contract §1). */
export interface TickContext {
  blackboard: IScopedBlackboard;
  treeRegistry: ITreeRegistry;
  timestamp: number;
  signal?: AbortSignal;
  deltaTime?: number;
  testData?: Map<string, unknown>;
  sessionId?: string;
  eventEmitter?: NodeEventEmitter;
}

/** `TickContext` plus the optional workflow info that `toWorkflow()` never fills in (contract §1). */
export interface TemporalContext extends TickContext {
  workflowInfo?: { workflowId: string; runId: string; namespace: string };
}

/** A node instance (contract §1). */
export interface TreeNode {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  tick(context: TemporalContext): Promise<NodeStatus>;
  halt(): void;
  reset(): void;
  clone(): TreeNode;
  status(): NodeStatus;
  providedPorts?(): PortDefinition[];
  readonly lastError?: string | undefined;
  parent?: TreeNode;
  children?: TreeNode[];
}

/** The only constructor signature `Registry` knows (contract §1). */
export type NodeConstructor<T extends TreeNode = TreeNode> = new (config: NodeConfiguration) => T;

/** Arguments of the function `BehaviorTree.toWorkflow()` returns (contract §1, §5). */
export interface WorkflowArgs {
  input?: Record<string, unknown>;
  treeRegistry: ITreeRegistry;
  sessionId?: string;
}

/** Result of that function: the root status and the root blackboard's local keys (contract §5). */
export interface WorkflowResult {
  status: NodeStatus;
  output: Record<string, unknown>;
}
