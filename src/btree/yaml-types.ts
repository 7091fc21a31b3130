/**
 * Reads the node `type` strings a YAML tree names, so that pinned versions (`Name@1.2.0`,
 * `Name@^1.2`) can be registered under exactly that string before btree loads the tree.
 *
 * @module
 */
import yaml from 'js-yaml';

/** The `type` strings of a YAML tree, in document order, without duplicates. */
export type YamlTypes = { ok: true; types: string[] } | { ok: false; message: string };

const MAX_NODES = 10_000;

/**
 * Collects every `type` of a tree definition (the root and, recursively, `children`), the same
 * fields btree's loader reads (btree-contract §4). A document that does not parse is reported, not
 * thrown: btree's own loader will give the precise error when the tree is loaded.
 */
export function collectYamlTypes(text: string): YamlTypes {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
  const types = new Set<string>();
  const stack: unknown[] = [doc];
  let visited = 0;
  while (stack.length > 0) {
    const node = stack.pop();
    if (++visited > MAX_NODES) return { ok: false, message: `the tree has more than ${MAX_NODES} nodes` };
    if (!node || typeof node !== 'object' || Array.isArray(node)) continue;
    const { type, children } = node as { type?: unknown; children?: unknown };
    if (typeof type === 'string' && type.length > 0) types.add(type);
    if (Array.isArray(children)) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return { ok: true, types: [...types] };
}
