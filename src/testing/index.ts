/**
 * `@wayfarer-ai/btree-plugins/testing`: a faithful btree-compatible test host (the subset of
 * `@wayfarer-ai/btree` that tenant nodes and hosts use, quirks included — see
 * `docs/writing-nodes.md`), an in-memory storage, and {@link defineNodeTests}, which declares the
 * cases `btree-plugins test` runs. The harness that runs a node in the production sandbox and
 * reports its cost is `./testing/harness`: this entry stays free of Node modules, so that Temporal
 * workflows can bundle the test host.
 *
 * Use it in unit tests of tenant nodes and hosts, and wherever `@wayfarer-ai/btree` is not
 * installed. It is noisy like the real btree; `setTestHostLogging(false)` silences it.
 *
 * @example
 * ```ts
 * import * as btree from '@wayfarer-ai/btree-plugins/testing';
 * const registry = new btree.Registry();
 * btree.registerStandardNodes(registry);
 * const root = btree.loadTreeFromYaml(yaml, registry);
 * const { status, output } = await new btree.BehaviorTree(root).toWorkflow()({ input: {}, treeRegistry: registry });
 * ```
 *
 * @module
 */
export * from './types.js';
export * from './events.js';
export {
  ConfigurationError,
  OperationCancelledError,
  ValidationError,
  YamlSyntaxError,
  StructureValidationError,
  ConfigValidationError,
  SemanticValidationError,
  ValidationErrors,
} from './errors.js';
export { setTestHostLogging, isTestHostLoggingEnabled } from './log.js';
export { ScopedBlackboard } from './blackboard.js';
export { BaseNode, ActionNode, ConditionNode, DecoratorNode, CompositeNode } from './base-node.js';
export { Sequence, Selector, Parallel, type ParallelStrategy, type ParallelConfiguration } from './composites.js';
export { Invert, ForceSuccess, ForceFailure } from './decorators.js';
export { SuccessNode, FailureNode, RunningNode, CounterAction } from './test-nodes.js';
export {
  SchemaRegistry,
  schemaRegistry,
  nodeConfigurationSchema,
  createNodeSchema,
  treeDefinitionSchema,
  validateConfiguration,
  zodErrorToConfigurationError,
  type TreeDefinition,
} from './schemas.js';
export { Registry } from './registry.js';
export { registerStandardNodes } from './register-standard-nodes.js';
export { BehaviorTree } from './behavior-tree.js';
export { parseYaml, loadTreeFromYaml, validateYaml, validateSemantics, toYaml, type LoadOptions, type ValidationOptions, type ValidationResult } from './yaml.js';
export { MemoryStorage, MemoryBackend, type MemoryStorageOptions } from '../storage-adapters/memory.js';
export { defineNodeTests, type NodeTests, type NodeTestCase, type NodeTestExpectation } from '../authoring/node-tests.js';
export type { CapabilityStub, NodeRunResult, NodeCost, CapabilityCallRecord } from '../authoring/node-harness.js';
