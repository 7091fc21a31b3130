/**
 * `@wayfarer-ai/btree-plugins/sdk`: what tenant node authors import.
 *
 * Inside the sandbox the same names come from the guest runtime (the bundle keeps this import
 * external); this module gives authors the types, and a host-side `defineNode` with the same
 * behaviour so that a node can be unit-tested in plain Node.
 *
 * @example
 * ```ts
 * import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
 *
 * export default defineNode({
 *   name: 'Greet',
 *   description: 'Writes a greeting to the blackboard',
 *   ports: [{ name: 'who', type: 'input' }, { name: 'out', type: 'output' }],
 *   props: z.object({ greeting: z.string().min(1), who: z.string().optional(), out: z.string().optional() }),
 *   tick(ctx) {
 *     ctx.setOutput('out', `${ctx.props.greeting}, ${ctx.getInput('who', 'world')}`);
 *     return NodeStatus.SUCCESS;
 *   },
 * });
 * ```
 * @module
 */
import { z } from 'zod';
import { ConfigurationError, InvalidInputError } from '../errors.js';

export { z };

/** btree's `NodeStatus` string enum, as values. */
export const NodeStatus = Object.freeze({ SUCCESS: 'SUCCESS', FAILURE: 'FAILURE', RUNNING: 'RUNNING', IDLE: 'IDLE' } as const);

/** A status a tick may return. */
export type TickStatus = 'SUCCESS' | 'FAILURE' | 'RUNNING';

/** btree `PortDefinition` (metadata only: nothing enforces ports). */
export interface PortDefinition {
  name: string;
  type: 'input' | 'output' | 'inout';
  description?: string;
  defaultValue?: unknown;
  required?: boolean;
}

/** The blackboard a node sees: a per-tick copy of the host blackboard (JSON-safe values). */
export interface NodeBlackboard {
  get(key: string): unknown;
  has(key: string): boolean;
  /** Values must be JSON-serializable; they are copied to the host blackboard after the tick. */
  set(key: string, value: unknown): void;
  delete(key: string): void;
  keys(): string[];
  entries(): Array<[string, unknown]>;
  toJSON(): Record<string, unknown>;
  getPort<T = unknown>(key: string, defaultValue?: T): T;
  setPort(key: string, value: unknown): void;
}

/** Logger of the node: lines go to the host's logger, tagged with tenant, node and version. */
export interface NodeLog {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** What `tick` receives. */
export interface NodeContext<Props> {
  /** The node's props, parsed by its zod schema (defaults applied). */
  props: Props;
  blackboard: NodeBlackboard;
  node: { id: string; name: string };
  timestamp: number;
  /**
   * Reads an input port. Port remapping as in btree: when a prop named `key` holds a string (its
   * zod default included), that string is the blackboard key to read; otherwise `key` itself is.
   */
  getInput<T = unknown>(key: string, defaultValue?: T): T;
  /** Writes an output port, with the same remapping as {@link NodeContext.getInput}. */
  setOutput(key: string, value: unknown): void;
  log: NodeLog;
}

/** The definition given to {@link defineNode}. */
export interface NodeDefinition<Schema extends z.ZodType | undefined> {
  /** The node name (PascalCase); also the class name. */
  name: string;
  /** `action` (default) or `condition`. */
  category?: 'action' | 'condition';
  description?: string;
  ports?: PortDefinition[];
  /** zod schema of the props; published as JSON Schema and checked when the node is built. */
  props?: Schema;
  /** One tick. Keep no state outside the blackboard: a fresh node is built for every tick. */
  tick(ctx: NodeContext<Schema extends z.ZodType ? z.output<Schema> : Record<string, unknown>>): TickStatus | Promise<TickStatus>;
}

/** The metadata a defined node publishes. */
export interface DefinedNodeMetadata {
  category: 'action' | 'condition';
  description: string | undefined;
  ports: readonly PortDefinition[];
  propsSchema: Record<string, unknown> | undefined;
}

/** The class `defineNode` returns: constructed by btree with `{ id, name, ...props }`. */
export interface DefinedNodeClass<Props> {
  new (config: { id: string; name?: string; [key: string]: unknown }): DefinedNode<Props>;
  readonly definition: DefinedNodeMetadata;
}

/** An instance of a defined node (btree ActionNode/ConditionNode surface). */
export interface DefinedNode<Props> {
  readonly id: string;
  readonly name: string;
  readonly props: Props;
  readonly lastError: string | undefined;
  status(): string;
  tick(context: { blackboard: NodeBlackboard; timestamp?: number }): Promise<TickStatus>;
  executeTick(context: { blackboard: NodeBlackboard; timestamp?: number }): Promise<TickStatus>;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const PORT_TYPES = new Set(['input', 'output', 'inout']);

/**
 * Defines a node from a zod props schema and a tick function. Returns an ActionNode (or
 * ConditionNode) subclass; `export default` it from the node's entry file.
 */
export function defineNode<Schema extends z.ZodType | undefined = undefined>(
  def: NodeDefinition<Schema>,
): DefinedNodeClass<Schema extends z.ZodType ? z.output<Schema> : Record<string, unknown>> {
  type Props = Schema extends z.ZodType ? z.output<Schema> : Record<string, unknown>;
  if (def === null || typeof def !== 'object') throw new InvalidInputError('defineNode rejected', 'defineNode(definition): the definition must be an object');
  const { name, tick } = def;
  if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidInputError('defineNode rejected', 'defineNode(definition): name must start with a letter and hold only letters, digits and _');
  if (typeof tick !== 'function') throw new InvalidInputError('defineNode rejected', `defineNode(${name}): tick(ctx) must be a function`);
  const category = def.category ?? 'action';
  if (category !== 'action' && category !== 'condition') throw new InvalidInputError('defineNode rejected', `defineNode(${name}): category must be "action" or "condition"`);
  const schema = def.props as z.ZodType | undefined;
  if (schema !== undefined && (schema === null || typeof (schema as { safeParse?: unknown }).safeParse !== 'function')) {
    throw new InvalidInputError('defineNode rejected', `defineNode(${name}): props must be a zod schema such as z.object({ ... })`);
  }
  const ports = Object.freeze(
    (def.ports ?? []).map((p, i) => {
      if (!p || typeof p.name !== 'string' || !PORT_TYPES.has(p.type)) {
        throw new InvalidInputError('defineNode rejected', `defineNode(${name}): ports[${i}] must be { name: string, type: "input" | "output" | "inout" }`);
      }
      return Object.freeze({ ...p });
    }),
  );
  const description = typeof def.description === 'string' ? def.description : undefined;

  class Defined implements DefinedNode<Props> {
    readonly id: string;
    readonly name: string;
    readonly type: string;
    readonly props: Props;
    protected readonly config: Record<string, unknown>;
    protected _status = 'IDLE';
    protected _lastError: string | undefined;

    constructor(config: { id: string; name?: string; [key: string]: unknown }) {
      this.id = config.id;
      this.name = config.name || config.id;
      this.type = name;
      this.config = config;
      const { id: _id, name: _name, ...rest } = config;
      if (schema) {
        const r = schema.safeParse(rest);
        if (!r.success) {
          const lines = r.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
          throw new ConfigurationError(`Invalid configuration for ${name}:${config.id}:\n${lines}`);
        }
        this.props = r.data as Props;
      } else {
        this.props = rest as Props;
      }
    }

    get lastError(): string | undefined {
      return this._lastError;
    }

    status(): string {
      return this._status;
    }

    async tick(context: { blackboard: NodeBlackboard; timestamp?: number }): Promise<TickStatus> {
      try {
        const status = await this.executeTick(context);
        this._status = status;
        return status;
      } catch (e) {
        this._lastError = e instanceof Error ? e.message : String(e);
        this._status = 'FAILURE';
        return 'FAILURE';
      }
    }

    async executeTick(context: { blackboard: NodeBlackboard; timestamp?: number }): Promise<TickStatus> {
      // btree's BaseNode remapping (`config[key] || key`), where the parsed props come first so
      // that a zod default names the port's blackboard key too. Same rule as in the sandbox.
      const remap = (key: string): string => {
        const p = (this.props as Record<string, unknown> | undefined)?.[key];
        return (typeof p === 'string' && p) || (this.config[key] as string) || key;
      };
      const ctx: NodeContext<Props> = {
        props: this.props,
        blackboard: context.blackboard,
        node: { id: this.id, name: this.name },
        timestamp: context.timestamp ?? Date.now(),
        getInput: <T>(key: string, defaultValue?: T): T => context.blackboard.getPort(remap(key), defaultValue) as T,
        setOutput: (key, value) => context.blackboard.setPort(remap(key), value),
        log: console,
      };
      return tick(ctx as never);
    }

    static get definition(): DefinedNodeMetadata {
      return {
        category,
        description,
        ports,
        propsSchema: schema ? (z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>) : undefined,
      };
    }
  }
  Object.defineProperty(Defined, 'name', { value: name });
  return Defined as unknown as DefinedNodeClass<Props>;
}
