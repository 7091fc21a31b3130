/**
 * What crosses between a host blackboard and a tenant node: a JSON-safe, size-capped copy goes in,
 * the guest's writes and deletes come back and are checked before they touch the host blackboard.
 *
 * Policy (docs/host-integration.md):
 * - **In**: every key visible on the blackboard (local and inherited, like `get`), except reserved
 *   keys. A value that is not plain JSON data — a function, a class instance (`Date`, `Map`, …), a
 *   Proxy, a cycle, `NaN`/`Infinity`, `undefined`, nesting deeper than 64 — is **skipped**: the key
 *   is left out of the copy entirely, never half-converted, and no trap or getter of it runs. The
 *   copy's JSON text must fit `maxBytes`; a bigger blackboard fails the tick.
 * - **Out**: writes and deletes naming a reserved key are **rejected**: the whole tick fails and
 *   nothing is applied. Values are copied again (no shared references with the runner).
 *
 * @module
 */
import { types } from 'node:util';
import type { HostBlackboard } from './host-btree.js';
import { isReservedBlackboardKey } from './reserved-keys.js';
import type { JsonValue, TickOutcome } from '../sandbox/types.js';

const MAX_DEPTH = 64;

/** The copy of a blackboard handed to a guest. */
export type BlackboardCopy =
  | { ok: true; value: Record<string, JsonValue>; bytes: number; skipped: string[] }
  | { ok: false; bytes: number; message: string };

const SKIP = Symbol('skip');

class Budget {
  bytes = 0;
}

/**
 * Copies one value as plain JSON data, or returns SKIP. Never runs a Proxy trap or a getter.
 * `ancestors` is the stack of containers above `value` (cycle detection; depth ≤ 64 keeps it short).
 */
function copyValue(value: unknown, ancestors: object[], budget: Budget): JsonValue | typeof SKIP {
  switch (typeof value) {
    case 'string':
      budget.bytes += value.length + 2;
      return value;
    case 'boolean':
      budget.bytes += 5;
      return value;
    case 'number':
      if (!Number.isFinite(value)) return SKIP;
      budget.bytes += 8;
      return Object.is(value, -0) ? 0 : value;
    case 'object':
      break;
    default:
      return SKIP; // function, symbol, bigint, undefined
  }
  if (value === null) {
    budget.bytes += 4;
    return null;
  }
  if (ancestors.length >= MAX_DEPTH || types.isProxy(value) || ancestors.includes(value)) return SKIP;
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) return SKIP;
      const out: JsonValue[] = new Array<JsonValue>(value.length);
      budget.bytes += 2 + value.length;
      for (let i = 0; i < value.length; i++) {
        const d = Object.getOwnPropertyDescriptor(value, i);
        if (!d || !('value' in d)) return SKIP; // holes and accessors
        const c = copyValue(d.value, ancestors, budget);
        if (c === SKIP) return SKIP;
        out[i] = c;
      }
      return out;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return SKIP; // Date, Map, class instances, …
    const out: Record<string, JsonValue> = {};
    budget.bytes += 2;
    for (const key of Object.keys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      if (!d || !('value' in d)) return SKIP; // accessors would run host code
      if (d.value === undefined) continue; // as JSON.stringify does
      const c = copyValue(d.value, ancestors, budget);
      if (c === SKIP) return SKIP;
      budget.bytes += key.length + 4;
      defineData(out, key, c);
    }
    return out;
  } finally {
    ancestors.pop();
  }
}

/** Assigns without ever invoking the `__proto__` setter. */
function defineData(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export { isReservedBlackboardKey };

/**
 * The JSON-safe copy of `blackboard` a guest sees. Skipped keys are listed (for a debug log); a copy
 * whose JSON text would exceed `maxBytes` is refused. The size is an estimate of
 * `JSON.stringify(copy).length` that does not count string escapes or long number forms; the
 * sandbox re-checks the exact size.
 */
export function copyBlackboardForGuest(blackboard: HostBlackboard, maxBytes: number): BlackboardCopy {
  const out: Record<string, JsonValue> = {};
  const skipped: string[] = [];
  const budget = new Budget();
  budget.bytes += 2;
  for (const key of blackboard.keys()) {
    if (isReservedBlackboardKey(key)) {
      skipped.push(key);
      continue;
    }
    const c = copyValue(blackboard.get(key), [], budget);
    if (c === SKIP) {
      skipped.push(key);
      continue;
    }
    budget.bytes += key.length + 4;
    out[key] = c;
    if (budget.bytes > maxBytes) {
      return { ok: false, bytes: budget.bytes, message: `reached at key ${JSON.stringify(key)}` };
    }
  }
  return { ok: true, value: out, bytes: budget.bytes, skipped };
}

/** Guest writes and deletes checked and copied, ready to apply. */
export type CheckedWrites =
  | { ok: true; writes: Array<[string, JsonValue]>; deletes: string[] }
  | { ok: false; message: string };

/**
 * Checks a tick's writes and deletes: reserved top-level keys, nested `__proto__` keys (an
 * `Object.assign` by host code would turn them into a prototype swap), and JSON-safety of values.
 * All or nothing: one bad entry refuses them all.
 */
export function checkGuestWrites(outcome: Pick<TickOutcome, 'writes' | 'deletes'>): CheckedWrites {
  const writes: Array<[string, JsonValue]> = [];
  const entries = outcome.writes && typeof outcome.writes === 'object' ? Object.entries(outcome.writes) : [];
  for (const [key, value] of entries) {
    if (isReservedBlackboardKey(key)) return { ok: false, message: `it wrote the reserved blackboard key ${JSON.stringify(key)}` };
    const c = copyValue(value, [], new Budget());
    if (c === SKIP) return { ok: false, message: `it wrote a value that is not JSON data under ${JSON.stringify(key)}` };
    const nested = findProtoKey(c);
    if (nested) return { ok: false, message: `it wrote a value with a nested "__proto__" key under ${JSON.stringify(key)}` };
    writes.push([key, c]);
  }
  const deletes: string[] = [];
  for (const key of Array.isArray(outcome.deletes) ? outcome.deletes : []) {
    if (isReservedBlackboardKey(key)) return { ok: false, message: `it deleted the reserved blackboard key ${JSON.stringify(key)}` };
    deletes.push(key);
  }
  return { ok: true, writes, deletes };
}

function findProtoKey(value: JsonValue): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(findProtoKey);
  return Object.keys(value).some((k) => k === '__proto__' || findProtoKey(value[k]!));
}

/** Applies checked writes (first) and deletes to the host blackboard. */
export function applyGuestWrites(blackboard: HostBlackboard, checked: { writes: Array<[string, JsonValue]>; deletes: string[] }): void {
  for (const [key, value] of checked.writes) blackboard.set(key, value);
  for (const key of checked.deletes) blackboard.delete(key);
}
