/**
 * A few of btree's test/example leaves (contract §7), handy in unit tests.
 *
 * @module
 */
import { ActionNode } from './base-node.js';
import { NodeStatus, type NodeConfiguration, type TemporalContext } from './types.js';

/** Always SUCCESS. */
export class SuccessNode extends ActionNode {
  protected async executeTick(_context: TemporalContext): Promise<NodeStatus> {
    this.log('Executing (SUCCESS)');
    return NodeStatus.SUCCESS;
  }
}

/** Always FAILURE. */
export class FailureNode extends ActionNode {
  protected async executeTick(_context: TemporalContext): Promise<NodeStatus> {
    this.log('Executing (FAILURE)');
    return NodeStatus.FAILURE;
  }
}

/** Always RUNNING. */
export class RunningNode extends ActionNode {
  protected async executeTick(_context: TemporalContext): Promise<NodeStatus> {
    this.log('Executing (RUNNING)');
    return NodeStatus.RUNNING;
  }
}

/** Adds `increment` (default 1) to the number under `counterKey` (default `counter`). */
export class CounterAction extends ActionNode {
  private readonly counterKey: string;
  private readonly increment: number;

  constructor(config: NodeConfiguration & { counterKey?: string; increment?: number }) {
    super(config);
    this.counterKey = config.counterKey || 'counter';
    this.increment = config.increment || 1;
  }

  protected async executeTick(context: TemporalContext): Promise<NodeStatus> {
    const current = (context.blackboard.get(this.counterKey) as number) || 0;
    context.blackboard.set(this.counterKey, current + this.increment);
    return NodeStatus.SUCCESS;
  }
}
