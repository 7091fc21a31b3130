/**
 * Node events (contract §8). They fire only when `ctx.eventEmitter` is set; `toWorkflow()` never
 * sets it.
 *
 * @module
 */

/** Event types: lowercase strings (contract §8). `status_change` is never emitted. */
export enum NodeEventType {
  TICK_START = 'tick_start',
  TICK_END = 'tick_end',
  STATUS_CHANGE = 'status_change',
  ERROR = 'error',
  HALT = 'halt',
  RESET = 'reset',
  LOG = 'log',
}

/** One event; `nodeType` is the node's class name (contract §8). */
export interface NodeEvent<TData = unknown> {
  type: NodeEventType;
  nodeId: string;
  nodeName: string;
  nodeType: string;
  timestamp: number;
  data?: TData;
}

/** Listener of {@link NodeEventEmitter}. */
export type NodeEventCallback<TData = unknown> = (event: NodeEvent<TData>) => void;

/** Synchronous event emitter; a throwing listener is reported on `console.error` and skipped (contract §8). */
export class NodeEventEmitter {
  readonly #byType = new Map<NodeEventType, Set<NodeEventCallback>>();
  readonly #all = new Set<NodeEventCallback>();

  on<T>(type: NodeEventType, callback: NodeEventCallback<T>): void {
    let set = this.#byType.get(type);
    if (!set) this.#byType.set(type, (set = new Set()));
    set.add(callback as NodeEventCallback);
  }
  onAll<T>(callback: NodeEventCallback<T>): void {
    this.#all.add(callback as NodeEventCallback);
  }
  off<T>(type: NodeEventType, callback: NodeEventCallback<T>): void {
    this.#byType.get(type)?.delete(callback as NodeEventCallback);
  }
  offAll<T>(callback: NodeEventCallback<T>): void {
    this.#all.delete(callback as NodeEventCallback);
  }
  emit<T>(event: NodeEvent<T>): void {
    for (const cb of [...(this.#byType.get(event.type) ?? []), ...this.#all]) {
      try {
        cb(event as NodeEvent);
      } catch (error) {
        console.error(`Error in event callback for ${event.type}:`, error);
      }
    }
  }
  clear(): void {
    this.#byType.clear();
    this.#all.clear();
  }
  listenerCount(type: NodeEventType): number {
    return this.#byType.get(type)?.size ?? 0;
  }
  hasListeners(type: NodeEventType): boolean {
    return this.listenerCount(type) > 0 || this.#all.size > 0;
  }
}
