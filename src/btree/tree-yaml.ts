/**
 * Reads the node `type` strings a YAML tree names, the way btree's own loader reads the tree
 * (btree-contract §4: js-yaml `load`, one document, a node is `{ type, id?, name?, props?,
 * children? }`). Both paths use it: `registerNodes` (pinned versions such as `Name@1.2.0` are
 * registered under exactly that string before btree loads the tree) and the Temporal resolve
 * activity (which also reports every type, so the workflow can fail fast on one nobody registered).
 *
 * @module
 */
import yaml from 'js-yaml';

/** The `type` strings of a YAML tree, in document order, without duplicates; or why it cannot be read. */
export type TreeTypes = { ok: true; types: string[] } | { ok: false; message: string };

/** Largest tree read (nodes); a bigger one is reported, not walked. */
export const MAX_TREE_NODES = 10_000;

/**
 * Collects every `type` of a tree definition: the root and, recursively, `children` — the only
 * node positions btree reads (props may hold objects with a `type` of their own). A document that
 * does not parse is reported, not thrown: btree's loader gives the precise error when it loads it.
 *
 * @example
 * ```ts
 * readTreeTypes('type: Sequence\nchildren:\n  - type: Notify@^1\n');
 * // { ok: true, types: ['Sequence', 'Notify@^1'] }
 * ```
 */
export function readTreeTypes(text: string): TreeTypes {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, message: 'the document is not a tree node (a mapping with a type)' };
  const types = new Set<string>();
  const stack: unknown[] = [doc];
  let visited = 0;
  while (stack.length > 0) {
    const node = stack.pop();
    if (++visited > MAX_TREE_NODES) return { ok: false, message: `the tree has more than ${MAX_TREE_NODES} nodes` };
    if (!node || typeof node !== 'object' || Array.isArray(node)) continue;
    const { type, children } = node as { type?: unknown; children?: unknown };
    if (typeof type === 'string' && type.length > 0) types.add(type);
    if (Array.isArray(children)) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return { ok: true, types: [...types] };
}

/** True for a type string that pins a version or range (`Name@1.2.0`, `Name@^1`). */
export function isPinnedType(type: string): boolean {
  return type.includes('@');
}
