/**
 * A tenant node's props as the tree gives them: btree builds every node with one flat
 * configuration, `{ id, name, ...props }` (btree-contract §3, §4), so the node must take its own
 * id and name back out. One rule, used by the in-process node class and the Temporal proxy node.
 *
 * Pure: the Temporal workflow entry uses it.
 *
 * @module
 */
import { copyJsonRecord } from './json-copy.js';
import type { JsonValue } from './types.js';

/** Configuration keys btree itself puts in every node's configuration. */
export const BTREE_CONFIG_KEYS: readonly string[] = Object.freeze(['id', 'name']);

/** Default cap on a node's props, in characters of JSON text (64 KiB). */
export const DEFAULT_MAX_PROPS_BYTES = 64 * 1024;

/** One thing wrong with a node's props. `path` is the prop (or `(props)` for the whole). */
export interface PropsProblem {
  path: string;
  message: string;
}

/** Options of {@link extractNodeProps}. */
export interface ExtractNodePropsOptions {
  /** The node's props JSON Schema: an `id` or `name` it declares in `properties` is a prop. */
  propsSchema?: Record<string, unknown> | undefined;
  /** Cap on the props' JSON text (default {@link DEFAULT_MAX_PROPS_BYTES}). */
  maxBytes?: number;
  /** Detects Proxies so that none of their traps runs (`util.types.isProxy`; absent in the workflow). */
  isProxy?: (value: object) => boolean;
}

/** Outcome of {@link extractNodeProps}: the props (JSON copies) or every problem found. */
export type NodeProps = { ok: true; props: Record<string, JsonValue> } | { ok: false; problems: PropsProblem[] };

/**
 * The props of a node: every configuration key except btree's own `id` and `name` (unless the
 * props schema declares them), as detached JSON copies. A key whose value is `undefined` is absent;
 * a value that is not JSON data, a reserved blackboard key or props over `maxBytes` is a problem.
 * Schema validation is the caller's (the host and the workflow validate differently).
 *
 * @example
 * ```ts
 * extractNodeProps({ id: 'n1', name: 'Notify', channel: '#ops' }, {});
 * // { ok: true, props: { channel: '#ops' } }
 * ```
 */
export function extractNodeProps(config: Readonly<Record<string, unknown>>, options: ExtractNodePropsOptions = {}): NodeProps {
  const declared = declaredProps(options.propsSchema);
  const keys = Object.keys(config).filter((key) => !BTREE_CONFIG_KEYS.includes(key) || declared.has(key));
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PROPS_BYTES;
  const copy = copyJsonRecord(keys, (key) => config[key], {
    onUnsafe: 'skip',
    maxBytes,
    undefinedValues: 'skip',
    ...(options.isProxy ? { isProxy: options.isProxy } : {}),
  });
  if (!copy.ok) {
    return { ok: false, problems: [copy.reason === 'size' ? { path: '(props)', message: `are larger than the ${maxBytes}-byte limit` } : { path: copy.key, message: copy.message }] };
  }
  if (copy.skipped.length > 0) {
    return {
      ok: false,
      problems: copy.skipped.map((s) => ({ path: s.key, message: s.reason === 'reserved' ? 'is a reserved key (an Object.prototype member or __proto__)' : `is not JSON data: ${s.message}` })),
    };
  }
  return { ok: true, props: copy.value };
}

function declaredProps(schema: Record<string, unknown> | undefined): Set<string> {
  const properties = schema?.properties;
  return new Set(properties && typeof properties === 'object' ? Object.keys(properties) : []);
}
