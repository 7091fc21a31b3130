/**
 * `BehaviorTree`: a root plus indexes, and `toWorkflow()` (contract §5).
 *
 * @module
 */
import { ScopedBlackboard } from './blackboard.js';
import type { TemporalContext, TreeNode, WorkflowArgs, WorkflowResult } from './types.js';

/**
 * Wraps a root node. It has no `tick`/`run`/`execute` method (contract §5): run it with
 * {@link BehaviorTree.toWorkflow} or tick the root yourself.
 *
 * @example
 * ```ts
 * const run = new BehaviorTree(loadTreeFromYaml(yaml, registry)).toWorkflow();
 * const { status, output } = await run({ input: { orderId: 42 }, treeRegistry: registry });
 * ```
 */
export class BehaviorTree {
  readonly #root: TreeNode;
  readonly #byPath = new Map<string, TreeNode>();
  readonly #byId = new Map<string, TreeNode>();

  constructor(root: TreeNode) {
    this.#root = root;
    this.#index(root, '/');
  }

  getRoot(): TreeNode {
    return this.#root;
  }

  /** Paths look like `/`, `/0`, `/0/1`. */
  findNodeByPath(path: string): TreeNode | undefined {
    return this.#byPath.get(path);
  }

  findNodeById(id: string): TreeNode | undefined {
    return this.#byId.get(id);
  }

  getNodePath(node: TreeNode): string | undefined {
    for (const [path, n] of this.#byPath) if (n === node) return path;
    return undefined;
  }

  /** Deep copy via `root.clone()`. */
  clone(): BehaviorTree {
    return new BehaviorTree(this.#root.clone());
  }

  /**
   * The workflow function (contract §5): a fresh root `ScopedBlackboard` seeded with `args.input`
   * via `set`, no signal / eventEmitter / testData / workflowInfo, `root.tick` exactly once (a RUNNING
   * root is returned as is), `{status, output: blackboard.toJSON()}` (root-scope keys only). The same
   * node instances are reused on every call, so node state carries over (contract §5).
   */
  toWorkflow(): (args: WorkflowArgs) => Promise<WorkflowResult> {
    const root = this.#root;
    return async function behaviorTreeWorkflow(args: WorkflowArgs): Promise<WorkflowResult> {
      const context: TemporalContext = {
        blackboard: new ScopedBlackboard(),
        treeRegistry: args.treeRegistry,
        timestamp: Date.now(),
        sessionId: args.sessionId || `session-${Date.now()}`,
      };
      for (const [key, value] of Object.entries(args.input ?? {})) context.blackboard.set(key, value);
      const status = await root.tick(context); // contract §5: exactly once, nothing loops on RUNNING
      return { status, output: context.blackboard.toJSON() };
    };
  }

  #index(node: TreeNode, path: string): void {
    this.#byPath.set(path, node);
    if (node.id) this.#byId.set(node.id, node);
    (node.children ?? []).forEach((child, i) => this.#index(child, path === '/' ? `/${i}` : `${path}/${i}`));
  }
}
