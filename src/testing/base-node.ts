/**
 * Node base classes with btree's semantics and quirks (contract §2).
 *
 * @module
 */
import { handleNodeError } from './errors.js';
import { NodeEventType, type NodeEventEmitter } from './events.js';
import { hostLog } from './log.js';
import {
  NodeStatus,
  type NodeConfiguration,
  type PortDefinition,
  type TemporalContext,
  type TreeNode,
} from './types.js';

type Rebuild<T> = new (config: NodeConfiguration) => T;

/** Base of every node (contract §2). */
export abstract class BaseNode implements TreeNode {
  readonly id: string;
  readonly name: string;
  /** The JS class name, not the registry key (contract §2): anonymous classes give `""`. */
  readonly type: string;
  protected _status: NodeStatus = NodeStatus.IDLE;
  protected _lastError?: string | undefined;
  protected config: NodeConfiguration;
  protected _eventEmitter?: NodeEventEmitter | undefined;
  parent?: TreeNode;
  children?: TreeNode[];

  constructor(config: NodeConfiguration) {
    this.id = config.id;
    this.name = config.name || config.id;
    this.type = this.constructor.name; // contract §2: type = constructor.name
    this.config = config;
  }

  abstract tick(context: TemporalContext): Promise<NodeStatus>;
  abstract clone(): TreeNode;

  /** Calls `onHalt()` and goes back to IDLE only when RUNNING (contract §2). */
  halt(): void {
    hostLog(`[${this.type}:${this.name}] Halting...`);
    this.#emit(NodeEventType.HALT);
    if (this._status === NodeStatus.RUNNING) {
      // contract §2: halt acts only when RUNNING
      this.onHalt();
      this._status = NodeStatus.IDLE;
    }
  }

  /** Back to IDLE, clears `lastError`, calls `onReset()` (contract §2). */
  reset(): void {
    hostLog(`[${this.type}:${this.name}] Resetting...`);
    this.#emit(NodeEventType.RESET);
    this._status = NodeStatus.IDLE;
    this._lastError = undefined;
    this.onReset();
  }

  status(): NodeStatus {
    return this._status;
  }

  get lastError(): string | undefined {
    return this._lastError;
  }

  providedPorts(): PortDefinition[] {
    return [];
  }

  protected onHalt(): void {}
  protected onReset(): void {}

  /**
   * Port remapping (contract §2): the config value under `key` names the blackboard key to read, so
   * props `{who: 'user'}` make `getInput(ctx, 'who')` read `bb.user`. Read literal props from
   * `this.config` instead.
   */
  protected getInput<T>(context: TemporalContext, key: string, defaultValue?: T): T {
    const fullKey = (this.config[key] as string) || key; // contract §2 port remapping
    return context.blackboard.getPort<T>(fullKey, defaultValue);
  }

  /** Port remapping for writes (contract §2). */
  protected setOutput<T>(context: TemporalContext, key: string, value: T): void {
    const fullKey = (this.config[key] as string) || key; // contract §2 port remapping
    context.blackboard.setPort(fullKey, value);
  }

  /** `console.log('[type:name] msg')`, silenced by `setTestHostLogging(false)` (contract §2, §9). */
  protected log(message: string, ...args: unknown[]): void {
    hostLog(`[${this.type}:${this.name}] ${message}`, ...args);
  }

  #emit(type: NodeEventType, data?: unknown): void {
    this._eventEmitter?.emit({ type, nodeId: this.id, nodeName: this.name, nodeType: this.type, timestamp: Date.now(), data });
  }

  /**
   * @internal The shared try/catch tick wrapper (contract §2). Leaves store the returned status in
   * `_status`; decorators and composites do not, so their subclasses must (contract §2 quirk).
   */
  protected async runTickWrapper(
    context: TemporalContext,
    execute: (context: TemporalContext) => Promise<NodeStatus>,
    storeStatus: boolean,
  ): Promise<NodeStatus> {
    try {
      if (storeStatus) this._eventEmitter = context.eventEmitter; // only leaves keep the emitter for halt/reset
      const emitter = context.eventEmitter;
      emitter?.emit({ type: NodeEventType.TICK_START, nodeId: this.id, nodeName: this.name, nodeType: this.type, timestamp: Date.now() });
      const status = await execute(context);
      if (storeStatus) this._status = status; // contract §2: only ActionNode/ConditionNode store the status
      emitter?.emit({ type: NodeEventType.TICK_END, nodeId: this.id, nodeName: this.name, nodeType: this.type, timestamp: Date.now(), data: { status } });
      return status;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this._lastError = message; // contract §2: a throw sets lastError and FAILURE
      this._status = NodeStatus.FAILURE;
      const emitter = context.eventEmitter;
      const base = { nodeId: this.id, nodeName: this.name, nodeType: this.type };
      emitter?.emit({ type: NodeEventType.ERROR, ...base, timestamp: Date.now(), data: { error: message } });
      emitter?.emit({ type: NodeEventType.TICK_END, ...base, timestamp: Date.now(), data: { status: NodeStatus.FAILURE } });
      return handleNodeError(error); // contract §2: rethrows ConfigurationError / OperationCancelledError by instanceof
    }
  }
}

/**
 * A leaf that does work. Subclasses implement `executeTick`. The wrapper stores the returned status;
 * a successful tick does not clear a stale `lastError` (contract §2); a subclass may set
 * `this._lastError` before returning FAILURE.
 */
export abstract class ActionNode extends BaseNode {
  /** `new this.constructor({...config})`: no Registry validation, runtime fields not copied (contract §2). */
  clone(): TreeNode {
    return new (this.constructor as Rebuild<this>)({ ...this.config });
  }

  tick(context: TemporalContext): Promise<NodeStatus> {
    return this.runTickWrapper(context, (c) => this.executeTick(c), true);
  }

  protected abstract executeTick(context: TemporalContext): Promise<NodeStatus>;
}

/** The identical twin of {@link ActionNode}, registered with category `condition` (contract §2). */
export abstract class ConditionNode extends BaseNode {
  clone(): TreeNode {
    return new (this.constructor as Rebuild<this>)({ ...this.config });
  }

  tick(context: TemporalContext): Promise<NodeStatus> {
    return this.runTickWrapper(context, (c) => this.executeTick(c), true);
  }

  protected abstract executeTick(context: TemporalContext): Promise<NodeStatus>;
}

/** A node with exactly one child. Its tick does NOT store `_status`: subclasses must (contract §2). */
export abstract class DecoratorNode extends BaseNode {
  protected child?: TreeNode;

  clone(): TreeNode {
    const copy = new (this.constructor as Rebuild<this>)({ ...this.config });
    if (this.child) copy.setChild(this.child.clone());
    return copy;
  }

  tick(context: TemporalContext): Promise<NodeStatus> {
    return this.runTickWrapper(context, (c) => this.executeTick(c), false); // contract §2 quirk
  }

  protected abstract executeTick(context: TemporalContext): Promise<NodeStatus>;

  /** Sets `children = [child]` and `child.parent` (contract §2). */
  setChild(child: TreeNode): void {
    if (!child) throw new Error('Cannot set undefined child on decorator node');
    this.child = child;
    this.children = [child];
    child.parent = this;
  }

  override halt(): void {
    super.halt();
    if (this.child && this.child.status() === NodeStatus.RUNNING) this.child.halt();
  }

  override reset(): void {
    super.reset();
    this.child?.reset();
  }
}

/** A node with children. Its tick does NOT store `_status`: subclasses must (contract §2). */
export abstract class CompositeNode extends BaseNode {
  protected _children: TreeNode[] = [];

  /** Deep-clones the children (contract §2). */
  clone(): TreeNode {
    const copy = new (this.constructor as Rebuild<this>)({ ...this.config });
    copy.addChildren(this._children.map((c) => c.clone()));
    return copy;
  }

  tick(context: TemporalContext): Promise<NodeStatus> {
    return this.runTickWrapper(context, (c) => this.executeTick(c), false); // contract §2 quirk
  }

  protected abstract executeTick(context: TemporalContext): Promise<NodeStatus>;

  addChild(child: TreeNode): void {
    if (!child) throw new Error('Cannot add undefined child to composite node');
    this._children.push(child);
    this.children = this._children;
    child.parent = this;
  }

  addChildren(children: TreeNode[]): void {
    for (const child of children) this.addChild(child);
  }

  /** Halts RUNNING children (contract §2). */
  override halt(): void {
    super.halt();
    for (const child of this._children) if (child.status() === NodeStatus.RUNNING) child.halt();
  }

  override reset(): void {
    super.reset();
    for (const child of this._children) child.reset();
  }

  protected haltChildren(startIndex = 0): void {
    for (const child of this._children.slice(startIndex)) if (child.status() === NodeStatus.RUNNING) child.halt();
  }
}
