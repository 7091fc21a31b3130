/**
 * The one JSON-safety walk: checks that a value is plain JSON data and returns a detached copy of
 * it in the same pass, or says exactly where and why it is not. Every value that crosses between a
 * host and tenant code goes through it: blackboard copies handed to custom nodes (in process and
 * under Temporal), guest writes coming back, node props, interpreter inputs and results.
 *
 * Policy: **never convert, never run host code**. A JSON-safe value is `null`, a boolean, a finite
 * number, a string, a dense array (prototype `Array.prototype`) of JSON-safe values, or a plain
 * object (prototype `Object.prototype` or `null`) whose own enumerable string keys hold JSON-safe
 * data properties. Refused, with the offending path: `NaN`, `±Infinity`, BigInt, `undefined`
 * (unless `undefinedMembers: 'omit'`), functions, symbols (as values and as keys), array holes,
 * getters and setters (reading them would run code), Proxies (when an `isProxy` test is given),
 * `Map`, `Set`, `Date`, `RegExp`, bytes, class instances, cycles, nesting deeper than `maxDepth`
 * and JSON text longer than `maxBytes` characters. The one conversion is `-0` → `0`, as
 * `JSON.stringify` does. A `__proto__` key is copied as an own data property, never as a prototype.
 *
 * For a set of keyed values (a blackboard, props, script inputs) {@link copyJsonRecord} applies the
 * walk to each key with one choice: `skip` leaves an unsafe key out and lists it, `reject` fails the
 * whole record at the first unsafe key. Reserved blackboard keys count as unsafe in both modes.
 *
 * Pure, with no imports outside this folder: the Temporal workflow entry uses it.
 *
 * @module
 */
import { isReservedBlackboardKey } from './reserved-keys.js';
import type { JsonValue } from './types.js';

/** Why a value is not JSON-safe. */
export type JsonSafeReason = 'type' | 'number' | 'cycle' | 'depth' | 'size' | 'key' | 'hole' | 'accessor' | 'reserved';

/** Options of {@link toJsonSafe}. */
export interface JsonSafeOptions {
  /** Name of the root in paths, e.g. `result` or the blackboard key. Default `value`. */
  root?: string;
  /** Maximum nesting depth (the root is depth 0). Default {@link DEFAULT_MAX_JSON_DEPTH}. */
  maxDepth?: number;
  /** Maximum length of the value's JSON text, in characters. Default unlimited. */
  maxBytes?: number;
  /**
   * What an object member whose value is `undefined` means: `reject` (default) refuses it;
   * `omit` leaves the member out, as `JSON.stringify` does (blackboard copies, where host code
   * commonly leaves optional fields undefined).
   */
  undefinedMembers?: 'reject' | 'omit';
  /**
   * Detects Proxies, so that none of their traps runs (`util.types.isProxy` on Node). Pure code
   * cannot tell a Proxy apart; where no test is given (the Temporal workflow sandbox), a Proxy's
   * traps may run while it is checked.
   */
  isProxy?: (value: object) => boolean;
  /**
   * What an object key `__proto__` means: `copy` (default) copies it as an own data property;
   * `reject` refuses it as `reserved`, at any depth (values host code may `Object.assign`, where
   * such a key would swap a prototype).
   */
  protoKeys?: 'copy' | 'reject';
  /**
   * Deep-freeze the copy ({@link toJsonSafe}, {@link copyJsonRecord}) and remember it, so that a
   * later check of the same value ({@link isFrozenJsonCopy}) needs no second walk. For a copy made to
   * be handed on at once (script inputs: the node copies them, the engine checks them again).
   */
  freeze?: boolean;
}

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

/** Names the kind of a non-plain object, with advice on what to do instead. Runs no code of `value`. */
function describeObject(value: object): string {
  if (value instanceof Map) return 'is a Map, which JSON cannot represent. HINT: convert it with Object.fromEntries(map)';
  if (value instanceof Set) return 'is a Set, which JSON cannot represent. HINT: convert it with Array.from(set)';
  if (value instanceof Date) return 'is a Date, which JSON cannot represent. HINT: convert it with date.toISOString()';
  if (value instanceof RegExp) return 'is a RegExp, which JSON cannot represent. HINT: use its source string';
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return 'is bytes, which JSON cannot represent. HINT: encode them as a base64 string';
  }
  if (value instanceof Error) return 'is an Error, which JSON cannot represent. HINT: use its message string';
  if (value instanceof Promise) return 'is a Promise, which JSON cannot represent. HINT: await it first';
  let name = 'unknown';
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor = proto && typeof proto === 'object' ? Object.getOwnPropertyDescriptor(proto, 'constructor')?.value : undefined;
    if (typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name) name = ctor.name;
  } catch {
    // a revoked proxy: keep the generic name
  }
  return `is an instance of ${name}, not a plain object. HINT: copy the fields you need into a plain object`;
}

/** Characters `JSON.stringify` escapes in a string: quotes, backslashes, controls, and surrogates (paired ones are kept, but the fallback decides). */
const ESCAPED_IN_JSON = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Length of `JSON.stringify(s)` without building it when nothing in `s` needs escaping (the common case). */
function jsonStringLength(s: string): number {
  return ESCAPED_IN_JSON.test(s) ? JSON.stringify(s).length : s.length + 2;
}

/** Assigns without ever invoking the `__proto__` setter. */
function defineData(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * The state of one walk. Module-level functions take it instead of closures over locals, so that a
 * walk allocates nothing per value but the copy itself (this runs on every tick, for every
 * blackboard key).
 */
class Walk {
  readonly path: Array<string | number> = [];
  /** The containers being walked (at most `maxDepth` deep, so a scan is cheap). */
  readonly ancestors: object[] = [];
  bytes = 0;
  constructor(
    readonly copy: boolean,
    readonly maxDepth: number,
    readonly maxBytes: number,
    readonly omitUndefined: boolean,
    readonly rejectProtoKeys: boolean,
    readonly isProxy: ((value: object) => boolean) | undefined,
    readonly freeze: boolean,
  ) {}

  add(n: number): void {
    this.bytes += n;
    if (this.bytes > this.maxBytes) throw new Unsafe('size', `makes the JSON text longer than the ${this.maxBytes}-character limit`);
  }
}

function walkOf(options: JsonSafeOptions, copy: boolean, maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY): Walk {
  return new Walk(
    copy,
    options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH,
    maxBytes,
    options.undefinedMembers === 'omit',
    options.protoKeys === 'reject',
    options.isProxy,
    copy && options.freeze === true,
  );
}

/** Copies made with `freeze`, with the depth limit they were checked against. Frozen, so they stay as checked. */
const frozenCopies = new WeakMap<object, number>();

/** Records a frozen copy (its containers are frozen already) as checked under `maxDepth`. */
function rememberFrozen<T>(copy: T, maxDepth: number): T {
  if (typeof copy === 'object' && copy !== null) frozenCopies.set(copy, maxDepth);
  return copy;
}

/**
 * Whether `value` is a copy this module made with `freeze` (so JSON-safe, deep-frozen since, within
 * the byte cap it was made with) under a depth limit no looser than `maxDepth`: a check of it would
 * pass, so it can be skipped.
 */
export function isFrozenJsonCopy(value: unknown, maxDepth = DEFAULT_MAX_JSON_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const depth = frozenCopies.get(value);
  return depth !== undefined && depth <= maxDepth;
}

function dataOf(descriptor: PropertyDescriptor | undefined): unknown {
  if (descriptor && !('value' in descriptor)) {
    throw new Unsafe('accessor', 'is a getter or setter, which would run code to read. HINT: store plain data, not objects with accessors');
  }
  return descriptor?.value;
}

/** Checks `v` (and copies it when the walk copies; otherwise returns `v` itself). Throws {@link Unsafe}. */
function visit(w: Walk, v: unknown, depth: number): JsonValue {
  switch (typeof v) {
    case 'string':
      w.add(jsonStringLength(v));
      return v;
    case 'boolean':
      w.add(v ? 4 : 5);
      return v;
    case 'number':
      if (Number.isNaN(v)) throw new Unsafe('number', 'is NaN, which JSON cannot represent. HINT: use null for missing numbers');
      if (!Number.isFinite(v)) throw new Unsafe('number', `is ${v}, which JSON cannot represent. HINT: use null or a large finite number`);
      w.add(String(v).length);
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
    w.add(4);
    return null;
  }
  const obj = v as object;
  if (w.isProxy?.(obj)) throw new Unsafe('type', 'is a Proxy, whose traps would run code. HINT: store the plain data behind it');
  if (w.ancestors.includes(obj)) throw new Unsafe('cycle', 'refers back to one of its own containers (a cycle), which JSON cannot represent');
  if (depth >= w.maxDepth) throw new Unsafe('depth', `is nested deeper than the ${w.maxDepth}-level limit`);
  w.ancestors.push(obj);
  const path = w.path;
  const proto: unknown = Object.getPrototypeOf(obj);
  if (Array.isArray(obj)) {
    if (proto !== Array.prototype) throw new Unsafe('type', describeObject(obj));
    const out: JsonValue[] | undefined = w.copy ? new Array<JsonValue>(obj.length) : undefined;
    w.add(2 + Math.max(0, obj.length - 1));
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      const d = Object.getOwnPropertyDescriptor(obj, i);
      if (!d) throw new Unsafe('hole', 'is a hole in a sparse array, which JSON cannot represent. HINT: fill it with null');
      const item = visit(w, dataOf(d), depth + 1);
      if (out) out[i] = item;
      path.pop();
    }
    w.ancestors.pop();
    if (!out) return obj as JsonValue[];
    return w.freeze ? (Object.freeze(out) as JsonValue[]) : out;
  }
  if (proto !== Object.prototype && proto !== null) throw new Unsafe('type', describeObject(obj));
  const symbols = Object.getOwnPropertySymbols(obj);
  for (const s of symbols) {
    if (Object.prototype.propertyIsEnumerable.call(obj, s)) throw new Unsafe('key', `has a symbol key (${String(s)}), which JSON cannot represent`);
  }
  const out: Record<string, JsonValue> | undefined = w.copy ? {} : undefined;
  let members = 0;
  w.add(2);
  for (const key of Object.keys(obj)) {
    path.push(key);
    if (key === '__proto__' && w.rejectProtoKeys) {
      throw new Unsafe('reserved', 'is a "__proto__" key, which would swap a prototype where host code merges this value into an object');
    }
    const member = dataOf(Object.getOwnPropertyDescriptor(obj, key));
    if (member === undefined && w.omitUndefined) {
      path.pop();
      continue;
    }
    w.add(jsonStringLength(key) + 1 + (members > 0 ? 1 : 0));
    const item = visit(w, member, depth + 1);
    if (out) defineData(out, key, item);
    members++;
    path.pop();
  }
  w.ancestors.pop();
  if (!out) return obj as Record<string, JsonValue>;
  return w.freeze ? Object.freeze(out) : out;
}

/** Runs a walk; an {@link Unsafe} becomes the failure naming the path it was found at. */
function runWalk(w: Walk, value: unknown, root: string): JsonSafeResult {
  try {
    const copy = visit(w, value, 0);
    return { ok: true, value: w.freeze ? rememberFrozen(copy, w.maxDepth) : copy, bytes: w.bytes };
  } catch (e) {
    if (!(e instanceof Unsafe)) throw e;
    const where = formatJsonPath(root, w.path);
    return { ok: false, path: where, reason: e.reason, message: `${where} ${e.problem}` };
  }
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
  return runWalk(walkOf(options, true), value, options.root ?? 'value');
}

/**
 * Whether `value` is a string, a boolean, a finite number or null: JSON data with nothing to walk
 * (what {@link toJsonSafe} accepts without looking further). A fast path for callers that meet
 * mostly such values.
 */
export function isJsonScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    default:
      return value === null;
  }
}

/**
 * The same check as {@link toJsonSafe} without the copy: on success `value` is the value given, not
 * a copy. For callers that serialise the value at once (nothing can change it in between), which
 * then need neither the copy nor its allocations.
 */
export function checkJsonSafe(value: unknown, options: JsonSafeOptions = {}): JsonSafeResult {
  return runWalk(walkOf(options, false), value, options.root ?? 'value');
}

/** Options of {@link copyJsonRecord}. */
export interface JsonRecordOptions extends Omit<JsonSafeOptions, 'root' | 'maxBytes'> {
  /** `skip`: leave an unsafe key out and list it; `reject`: fail the whole record at the first one. */
  onUnsafe: 'skip' | 'reject';
  /** Cap on the JSON text of the whole record, in characters. Over it, the record fails in both modes. */
  maxBytes?: number;
  /** What a top-level `undefined` means; default: unsafe like any other non-JSON value. */
  undefinedValues?: 'unsafe' | 'skip';
}

/** A key {@link copyJsonRecord} left out (mode `skip`). */
export interface SkippedKey {
  key: string;
  reason: JsonSafeReason;
  message: string;
}

/** Outcome of {@link copyJsonRecord}. A failure names the key and, inside its value, the path. */
export type JsonRecordResult =
  | { ok: true; value: Record<string, JsonValue>; bytes: number; skipped: SkippedKey[] }
  | { ok: false; key: string; path: string; reason: JsonSafeReason; message: string };

/**
 * Copies a set of keyed values (a blackboard, a node's props, script inputs) as one JSON object:
 * each value through {@link toJsonSafe}, reserved blackboard keys refused, the total JSON text
 * capped by `maxBytes`. `get` is called once per key.
 *
 * @example
 * ```ts
 * const copy = copyJsonRecord(['a', 'when'], (k) => ({ a: 1, when: new Date(0) })[k], { onUnsafe: 'skip' });
 * // copy.ok === true, copy.value => { a: 1 }, copy.skipped[0].key === 'when'
 * ```
 */
export function copyJsonRecord(keys: Iterable<string>, get: (key: string) => unknown, options: JsonRecordOptions): JsonRecordResult {
  const { onUnsafe, maxBytes = Number.POSITIVE_INFINITY, undefinedValues = 'unsafe', ...walk } = options;
  const value: Record<string, JsonValue> = {};
  const skipped: SkippedKey[] = [];
  let bytes = 2;
  let members = 0;
  for (const key of keys) {
    let result: JsonSafeResult;
    if (isReservedBlackboardKey(key)) {
      result = reservedKey(key);
    } else {
      const item = get(key);
      if (item === undefined && undefinedValues === 'skip') continue;
      const keyBytes = JSON.stringify(key).length + 1 + (members > 0 ? 1 : 0);
      result = runWalk(walkOf(walk, true, maxBytes - bytes - keyBytes), item, key);
      if (result.ok) {
        bytes += keyBytes + result.bytes;
        defineData(value, key, result.value);
        members++;
        continue;
      }
    }
    if (result.reason === 'size' || onUnsafe === 'reject') return { ok: false, key, path: result.path, reason: result.reason, message: result.message };
    skipped.push({ key, reason: result.reason, message: result.message });
  }
  if (walk.freeze !== true) return { ok: true, value, bytes, skipped };
  return { ok: true, value: rememberFrozen(Object.freeze(value), walk.maxDepth ?? DEFAULT_MAX_JSON_DEPTH), bytes, skipped };
}

function reservedKey(key: string): Extract<JsonSafeResult, { ok: false }> {
  return { ok: false, path: key, reason: 'reserved', message: `${JSON.stringify(key)} is a reserved blackboard key (an Object.prototype member or __proto__)` };
}
