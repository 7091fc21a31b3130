/**
 * The composites the test host implements: Sequence, Selector, Parallel (contract §7).
 *
 * @module
 */
import { CompositeNode } from './base-node.js';
import { checkSignal } from './errors.js';
import { NodeStatus, type NodeConfiguration, type TemporalContext } from './types.js';

/**
 * Ticks children in order; FAILURE on the first failure, RUNNING resumes at the running child,
 * SUCCESS when all succeed (and with no children).
 */
export class Sequence extends CompositeNode {
  private currentChildIndex = 0;

  protected async executeTick(context: TemporalContext): Promise<NodeStatus> {
    this.log('Ticking with', this._children.length, 'children');
    if (this._children.length === 0) return NodeStatus.SUCCESS; // note: _status not set (contract §2 quirk)
    while (this.currentChildIndex < this._children.length) {
      checkSignal(context.signal); // contract §2: cancellation is checked by composites
      const child = this._children[this.currentChildIndex]!;
      const status = await child.tick(context);
      if (status === NodeStatus.SUCCESS) {
        this.currentChildIndex++;
      } else if (status === NodeStatus.FAILURE) {
        this._status = NodeStatus.FAILURE; // composites set _status themselves (contract §2)
        this.currentChildIndex = 0;
        return NodeStatus.FAILURE;
      } else if (status === NodeStatus.RUNNING) {
        this._status = NodeStatus.RUNNING;
        return NodeStatus.RUNNING;
      } else {
        throw new Error(`Unexpected status from child: ${String(status)}`);
      }
    }
    this._status = NodeStatus.SUCCESS;
    this.currentChildIndex = 0;
    return NodeStatus.SUCCESS;
  }

  protected override onHalt(): void {
    this.haltChildren(this.currentChildIndex);
    this.currentChildIndex = 0;
  }

  protected override onReset(): void {
    this.currentChildIndex = 0;
  }
}

/** Ticks children in order until one succeeds; FAILURE when all fail (and with no children). */
export class Selector extends CompositeNode {
  private currentChildIndex = 0;

  protected async executeTick(context: TemporalContext): Promise<NodeStatus> {
    this.log('Ticking with', this._children.length, 'children');
    if (this._children.length === 0) return NodeStatus.FAILURE;
    while (this.currentChildIndex < this._children.length) {
      checkSignal(context.signal);
      const child = this._children[this.currentChildIndex]!;
      const status = await child.tick(context);
      if (status === NodeStatus.SUCCESS) {
        this._status = NodeStatus.SUCCESS;
        this.currentChildIndex = 0;
        return NodeStatus.SUCCESS;
      } else if (status === NodeStatus.FAILURE) {
        this.currentChildIndex++;
      } else if (status === NodeStatus.RUNNING) {
        this._status = NodeStatus.RUNNING;
        return NodeStatus.RUNNING;
      } else {
        throw new Error(`Unexpected status from child: ${String(status)}`);
      }
    }
    this._status = NodeStatus.FAILURE;
    this.currentChildIndex = 0;
    return NodeStatus.FAILURE;
  }

  protected override onHalt(): void {
    this.haltChildren(this.currentChildIndex);
    this.currentChildIndex = 0;
  }

  protected override onReset(): void {
    this.currentChildIndex = 0;
  }
}

/** `strict`: all children must succeed; `any`: at least one (contract §7). */
export type ParallelStrategy = 'strict' | 'any';

/** Configuration of {@link Parallel} (schema: contract §7). */
export interface ParallelConfiguration extends NodeConfiguration {
  strategy?: ParallelStrategy;
  successThreshold?: number;
  failureThreshold?: number;
}

/**
 * Ticks the children that are IDLE or RUNNING concurrently (`Promise.all`, contract §5), then decides
 * from every child's `status()`: RUNNING if any runs; else the thresholds, when set; else the strategy.
 * Like the real one, it never sets its own `_status` (contract §2 quirk).
 */
export class Parallel extends CompositeNode {
  private readonly strategy: ParallelStrategy;
  private readonly successThreshold: number | undefined;
  private readonly failureThreshold: number | undefined;

  constructor(config: ParallelConfiguration) {
    super(config);
    this.strategy = config.strategy ?? 'strict';
    this.successThreshold = config.successThreshold;
    this.failureThreshold = config.failureThreshold;
  }

  protected async executeTick(context: TemporalContext): Promise<NodeStatus> {
    this.log(`Ticking with ${this._children.length} children (strategy: ${this.strategy})`);
    if (this._children.length === 0) return NodeStatus.SUCCESS;
    // Children that already finished keep their status and are not ticked again.
    const active = this._children.filter((c) => c.status() === NodeStatus.IDLE || c.status() === NodeStatus.RUNNING);
    checkSignal(context.signal);
    if (active.length > 0) await Promise.all(active.map((c) => c.tick(context)));
    const statuses = this._children.map((c) => c.status());
    if (statuses.includes(NodeStatus.RUNNING)) return NodeStatus.RUNNING;
    const successes = statuses.filter((s) => s === NodeStatus.SUCCESS).length;
    const failures = statuses.filter((s) => s === NodeStatus.FAILURE).length;
    if (this.successThreshold !== undefined && successes >= this.successThreshold) return NodeStatus.SUCCESS;
    if (this.failureThreshold !== undefined && failures >= this.failureThreshold) return NodeStatus.FAILURE;
    if (this.strategy === 'strict') return successes === this._children.length ? NodeStatus.SUCCESS : NodeStatus.FAILURE;
    return successes > 0 ? NodeStatus.SUCCESS : NodeStatus.FAILURE;
  }

  protected override onHalt(): void {
    for (const child of this._children) if (child.status() === NodeStatus.RUNNING) child.halt();
  }
}
