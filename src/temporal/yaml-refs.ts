/**
 * Finds the pinned tenant node types a YAML tree names (`type: SendSlackMessage@1.2.0`,
 * `type: SendSlackMessage@^1`). Runs in the worker (the resolve activity), never in the workflow.
 *
 * @module
 */
import yaml from 'js-yaml';
import { InvalidInputError } from '../errors.js';

const PINNED_TYPE = /^[A-Za-z_][A-Za-z0-9_.-]*@\S+$/;
const MAX_DEPTH = 200;

/**
 * Every distinct `type` string with an `@` in the YAML document(s), in document order.
 *
 * @throws InvalidInputError when the text is not YAML
 */
export function pinnedTypesInYaml(text: string): string[] {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text, undefined, { schema: yaml.JSON_SCHEMA }) as unknown[];
  } catch (e) {
    throw new InvalidInputError('reading the tree failed', `the YAML does not parse: ${(e as Error).message}`, {
      hint: 'fix the YAML syntax of the tree',
      cause: e,
    });
  }
  const found = new Set<string>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    // Only node positions (the root and `children`): props may hold objects with a `type` of their own.
    const node = value as Record<string, unknown>;
    if (typeof node.type === 'string' && PINNED_TYPE.test(node.type)) found.add(node.type);
    if (Array.isArray(node.children)) walk(node.children, depth + 1);
  };
  for (const doc of docs) walk(doc, 0);
  return [...found];
}
