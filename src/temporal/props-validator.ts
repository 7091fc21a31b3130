/**
 * A small, deterministic JSON Schema validator for node props inside Temporal workflows.
 *
 * ajv compiles schemas to code with `new Function`, which is neither welcome in Temporal's
 * deterministic workflow sandbox nor cheap to bundle; the props schemas a node declares (zod →
 * JSON Schema) use a small vocabulary, which this covers: `type`, `enum`, `const`, `properties`,
 * `required`, `additionalProperties`, `items`, `minLength`, `maxLength`, `pattern`, `minimum`,
 * `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minItems`, `maxItems`, `anyOf`, `oneOf`,
 * `allOf`. Other keywords are ignored here; the sandbox still runs the node's own validation
 * (zod) in the activity, so an ignored keyword only moves the error from tree build to first tick.
 *
 * @module
 */

/** A JSON Schema object (or boolean schema). */
export type JsonSchema = boolean | { [keyword: string]: unknown };

const MAX_PROBLEMS = 20;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function label(path: string): string {
  return path === '' ? '(props)' : path;
}

function check(schema: JsonSchema, value: unknown, path: string, problems: string[]): void {
  if (problems.length >= MAX_PROBLEMS) return;
  if (schema === false) {
    problems.push(`${label(path)}: is not allowed`);
    return;
  }
  if (!isObject(schema)) return;
  const s = schema;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => matchesType(value, t))) {
      problems.push(`${label(path)}: expected ${types.join(' or ')}, got ${typeOf(value)}`);
      return;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) {
    problems.push(`${label(path)}: must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if ('const' in s && !deepEqual(s.const, value)) problems.push(`${label(path)}: must be ${JSON.stringify(s.const)}`);

  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof s.minLength === 'number' && length < s.minLength) problems.push(`${label(path)}: must have at least ${s.minLength} characters`);
    if (typeof s.maxLength === 'number' && length > s.maxLength) problems.push(`${label(path)}: must have at most ${s.maxLength} characters`);
    if (typeof s.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(s.pattern, 'u');
      } catch {
        re = undefined; // an invalid pattern is the schema's fault; the sandbox validation decides
      }
      if (re && !re.test(value)) problems.push(`${label(path)}: must match ${s.pattern}`);
    }
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) problems.push(`${label(path)}: must be >= ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) problems.push(`${label(path)}: must be <= ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) problems.push(`${label(path)}: must be > ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) problems.push(`${label(path)}: must be < ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) problems.push(`${label(path)}: must have at least ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) problems.push(`${label(path)}: must have at most ${s.maxItems} items`);
    if (s.items !== undefined && !Array.isArray(s.items)) {
      value.forEach((item, i) => check(s.items as JsonSchema, item, `${path}[${i}]`, problems));
    }
  }
  if (isObject(value)) {
    const properties = isObject(s.properties) ? (s.properties as Record<string, JsonSchema>) : {};
    if (Array.isArray(s.required)) {
      for (const key of s.required as string[]) {
        if (!Object.prototype.hasOwnProperty.call(value, key) || value[key] === undefined) {
          problems.push(`${path ? `${path}.` : ''}${key}: is required`);
        }
      }
    }
    for (const [key, v] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (Object.prototype.hasOwnProperty.call(properties, key)) check(properties[key] as JsonSchema, v, childPath, problems);
      else if (s.additionalProperties === false) problems.push(`${childPath}: is not a known prop`);
      else if (s.additionalProperties !== undefined) check(s.additionalProperties as JsonSchema, v, childPath, problems);
    }
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf as JsonSchema[]) check(sub, value, path, problems);
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = s[keyword];
    if (!Array.isArray(branches)) continue;
    const passing = (branches as JsonSchema[]).filter((sub) => validateAgainstSchema(sub, value, path).length === 0).length;
    if (keyword === 'anyOf' ? passing === 0 : passing !== 1) {
      problems.push(`${label(path)}: must match ${keyword === 'anyOf' ? 'at least one' : 'exactly one'} of ${branches.length} alternatives`);
    }
  }
}

/**
 * Validates `value` against `schema` and returns every problem found (at most 20), each as
 * `path: what is wrong`. An empty list means valid.
 *
 * @example
 * ```ts
 * validateAgainstSchema({ type: 'object', required: ['channel'] }, {}) // → ['channel: is required']
 * ```
 */
export function validateAgainstSchema(schema: JsonSchema, value: unknown, path = ''): string[] {
  const problems: string[] = [];
  check(schema, value, path, problems);
  return problems.slice(0, MAX_PROBLEMS);
}
