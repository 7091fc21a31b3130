/**
 * `@wayfarer-ai/btree-plugins/testing/harness`: the node author's harness. It runs a node's source
 * or file in the same isolated-vm sandbox and guest runtime as production, with given props,
 * blackboard and stubbed capabilities, and reports `{ status, writes, capabilityCalls, logs, error,
 * cost }`; and it runs a node's declarative tests (`defineNodeTests` in `./testing`).
 *
 * It is a subpath of its own because `./testing` (the btree test host) must stay bundleable into
 * Temporal workflows, which cannot load Node's modules, esbuild or isolated-vm; this harness needs
 * all three. `btree-plugins test` is built on it (docs/cli.md).
 *
 * @example
 * ```ts
 * import { runNode } from '@wayfarer-ai/btree-plugins/testing/harness';
 *
 * const { status, writes, cost } = await runNode({ file: 'src/greet.ts', props: { greeting: 'Hi' }, blackboard: { who: 'Ada' } });
 * ```
 * @module
 */
export {
  NodeHarness,
  runNode,
  type CapabilityStub,
  type CapabilityCallRecord,
  type NodeCost,
  type NodeHarnessOptions,
  type NodeRunInput,
  type NodeRunResult,
  type NodeSourceInput,
} from './node-harness.js';
export { runNodeTests, type NodeTestCaseResult } from './run-node-tests.js';
export { defineNodeTests, type NodeTests, type NodeTestCase, type NodeTestExpectation } from './node-tests.js';
