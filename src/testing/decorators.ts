/**
 * The decorators the test host implements: Invert, ForceSuccess, ForceFailure (contract §7).
 *
 * @module
 */
import { DecoratorNode } from './base-node.js';
import { checkSignal, ConfigurationError } from './errors.js';
import { NodeStatus, type TemporalContext } from './types.js';

/** SUCCESS ↔ FAILURE; RUNNING passes through. */
export class Invert extends DecoratorNode {
  protected async executeTick(context: TemporalContext): Promise<NodeStatus> {
    checkSignal(context.signal);
    if (!this.child) throw new ConfigurationError(`${this.name}: Decorator must have a child`);
    const status = await this.child.tick(context);
    const out =
      status === NodeStatus.SUCCESS ? NodeStatus.FAILURE : status === NodeStatus.FAILURE ? NodeStatus.SUCCESS : status;
    this._status = out; // decorators set _status themselves (contract §2)
    return out;
  }
}

/** SUCCESS once the child finishes, whatever its result; RUNNING passes through. */
export class ForceSuccess extends DecoratorNode {
  protected async executeTick(context: TemporalContext): Promise<NodeStatus> {
    checkSignal(context.signal);
    if (!this.child) throw new ConfigurationError('ForceSuccess requires a child');
    const status = await this.child.tick(context);
    this._status = status === NodeStatus.RUNNING ? NodeStatus.RUNNING : NodeStatus.SUCCESS;
    return this._status;
  }
}

/** FAILURE once the child finishes, whatever its result; RUNNING passes through. */
export class ForceFailure extends DecoratorNode {
  protected async executeTick(context: TemporalContext): Promise<NodeStatus> {
    checkSignal(context.signal);
    if (!this.child) throw new ConfigurationError('ForceFailure requires a child');
    const status = await this.child.tick(context);
    this._status = status === NodeStatus.RUNNING ? NodeStatus.RUNNING : NodeStatus.FAILURE;
    return this._status;
  }
}
