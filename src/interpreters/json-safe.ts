/**
 * Checks that a value is JSON-safe and returns a detached copy of it, or says exactly where and why
 * it is not. Used for the blackboard values an interpreter node exposes to a script and for the
 * `result` a script leaves behind (both languages).
 *
 * API (stable):
 * - `toJsonSafe(value, { root, maxDepth, maxBytes }) → { ok: true, value, bytes } | { ok: false, path, reason, message }`
 * - `formatJsonPath(root, segments)` → `result.items[3].x`, `result["a b"]`
 *
 * Policy: **reject, never silently convert** (docs/interpreters.md). A JSON-safe value is `null`, a
 * boolean, a finite number, a string, a dense array of JSON-safe values or a plain object (prototype
 * `Object.prototype` or `null`) whose own enumerable string keys hold JSON-safe values. Rejected, with
 * the offending path: `NaN`, `±Infinity`, `BigInt`, `undefined` (also inside objects and arrays), array
 * holes, functions, symbols (as values and as keys), `Map`, `Set`, `Date`, `RegExp`, bytes (typed
 * arrays, `ArrayBuffer`, `Buffer`), class instances, cycles, nesting deeper than `maxDepth` and JSON
 * text longer than `maxBytes` characters. The one conversion is `-0` → `0`, as `JSON.stringify` does.
 *
 * The copy is made in the same pass as the check, so a value cannot change between being checked and
 * being used, and the caller never shares a reference with the original.
 *
 * Pure code without Node imports: safe inside Temporal's workflow sandbox.
 *
 * @module
 */
import type { JsonValue } from './types.js';

/** Options of {@link toJsonSafe}. */
export interface JsonSafeOptions {
  /** Name of the root in paths, e.g. `result` or the blackboard key. Default `value`. */
  root?: string;
  /** Maximum nesting depth (the root is depth 0). Default 64. */
  maxDepth?: number;
  /** Maximum length of the value's JSON text, in characters. Default unlimited. */
  maxBytes?: number;
}

/** Why a value is not JSON-safe. */
export type JsonSafeReason = 'type' | 'number' | 'cycle' | 'depth' | 'size' | 'key' | 'hole';

/** Outcome of {@link toJsonSafe}. `bytes` is the length of the value's JSON text. */
export type JsonSafeResult =
  | { ok: true; value: JsonValue; bytes: number }
  | { ok: false; path: string; reason: JsonSafeReason; message: string };

/** Default maximum nesting depth. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Formats a path the way a JavaScript reader would write it.
 *
 * @example
 * ```ts
 * formatJsonPath('result', ['items', 3, 'x']) // 'result.items[3].x'
 * formatJsonPath('result', ['a b'])           // 'result["a b"]'
 * ```
 */
export function formatJsonPath(root: string, segments: ReadonlyArray<string | number>): string {
  let out = root;
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENTIFIER.test(s) && s.length <= 64) out += `.${s}`;
    else out += `[${JSON.stringify(s.length > 64 ? `${s.slice(0, 60)}…` : s)}]`;
  }
  return out;
}

class Unsafe {
  constructor(
    readonly reason: JsonSafeReason,
    readonly problem: string,
  ) {}
}

/** Names the kind of a non-plain object, with advice on what to do instead. */
function describeObject(value: object): string {
  if (value instanceof Map) return 'is a Map, which JSON cannot represent. HINT: convert it with Object.fromEntries(map)';
  if (value instanceof Set) return 'is a Set, which JSON cannot represent. HINT: convert it with Array.from(set)';
  if (value instanceof Date) return 'is a Date, which JSON cannot represent. HINT: convert it with date.toISOString()';
  if (value instanceof RegExp) return 'is a RegExp, which JSON cannot represent. HINT: use its source string';
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return 'is bytes, which JSON cannot represent. HINT: encode them as a base64 string';
  }
  if (value instanceof Error) return 'is an Error, which JSON cannot represent. HINT: use its message string';
  if (typeof (value as { then?: unknown }).then === 'function') return 'is a Promise or thenable, which JSON cannot represent. HINT: await it first';
  let name = 'unknown';
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor = proto && typeof proto === 'object' ? (proto as { constructor?: { name?: unknown } }).constructor : undefined;
    if (ctor && typeof ctor.name === 'string' && ctor.name) name = ctor.name;
  } catch {
    // a revoked proxy or a hostile getter: keep the generic name
  }
  return `is an instance of ${name}, not a plain object. HINT: copy the fields you need into a plain object`;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks `value` and returns a detached JSON-safe copy, or the first offending path.
 *
 * @example
 * ```ts
 * const r = toJsonSafe({ items: [{ x: NaN }] }, { root: 'result' });
 * // r.ok === false, r.path === 'result.items[0].x', r.message === 'result.items[0].x is NaN, …'
 * ```
 */
export function toJsonSafe(value: unknown, options: JsonSafeOptions = {}): JsonSafeResult {
  const root = options.root ?? 'value';
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const path: Array<string | number> = [];
  const ancestors = new Set<object>();
  let bytes = 0;

  const add = (n: number): void => {
    bytes += n;
    if (bytes > maxBytes) throw new Unsafe('size', `makes the JSON text longer than the ${maxBytes}-character limit`);
  };

  const visit = (v: unknown, depth: number): JsonValue => {
    switch (typeof v) {
      case 'string':
        add(JSON.stringify(v).length);
        return v;
      case 'boolean':
        add(v ? 4 : 5);
        return v;
      case 'number':
        if (Number.isNaN(v)) throw new Unsafe('number', 'is NaN, which JSON cannot represent. HINT: use null for missing numbers');
        if (!Number.isFinite(v)) throw new Unsafe('number', `is ${v}, which JSON cannot represent. HINT: use null or a large finite number`);
        add(String(v).length);
        return Object.is(v, -0) ? 0 : v;
      case 'bigint':
        throw new Unsafe('type', 'is a BigInt, which JSON cannot represent. HINT: convert it to a string or a Number');
      case 'undefined':
        throw new Unsafe('type', 'is undefined, which JSON cannot represent. HINT: use null, or leave the key out');
      case 'function':
        throw new Unsafe('type', 'is a function, which JSON cannot represent');
      case 'symbol':
        throw new Unsafe('type', 'is a symbol, which JSON cannot represent');
      default:
        break;
    }
    if (v === null) {
      add(4);
      return null;
    }
    const obj = v as object;
    if (ancestors.has(obj)) throw new Unsafe('cycle', 'refers back to one of its own containers (a cycle), which JSON cannot represent');
    if (depth >= maxDepth) throw new Unsafe('depth', `is nested deeper than the ${maxDepth}-level limit`);
    ancestors.add(obj);
    try {
      if (Array.isArray(obj)) {
        if (Object.getPrototypeOf(obj) !== Array.prototype) throw new Unsafe('type', describeObject(obj));
        const out: JsonValue[] = new Array<JsonValue>(obj.length);
        add(2 + Math.max(0, obj.length - 1));
        for (let i = 0; i < obj.length; i++) {
          path.push(i);
          if (!(i in obj)) throw new Unsafe('hole', 'is a hole in a sparse array, which JSON cannot represent. HINT: fill it with null');
          out[i] = visit(obj[i], depth + 1);
          path.pop();
        }
        return out;
      }
      if (!isPlainObject(obj)) throw new Unsafe('type', describeObject(obj));
      const symbols = Object.getOwnPropertySymbols(obj).filter((s) => Object.prototype.propertyIsEnumerable.call(obj, s));
      if (symbols.length > 0) throw new Unsafe('key', `has a symbol key (${String(symbols[0])}), which JSON cannot represent`);
      const out: Record<string, JsonValue> = {};
      const keys = Object.keys(obj);
      add(2 + Math.max(0, keys.length - 1));
      for (const key of keys) {
        path.push(key);
        add(JSON.stringify(key).length + 1);
        const copied = visit((obj as Record<string, unknown>)[key], depth + 1);
        // `__proto__` from JSON.parse is an own key; plain assignment would set the prototype instead.
        if (key === '__proto__') Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
        else out[key] = copied;
        path.pop();
      }
      return out;
    } finally {
      ancestors.delete(obj);
    }
  };

  try {
    const copy = visit(value, 0);
    return { ok: true, value: copy, bytes };
  } catch (e) {
    if (!(e instanceof Unsafe)) throw e;
    const where = formatJsonPath(root, path);
    return { ok: false, path: where, reason: e.reason, message: `${where} ${e.problem}` };
  }
}
