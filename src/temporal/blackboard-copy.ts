/**
 * Moving blackboard data across the workflow/activity boundary: a JSON-safe copy goes out, the
 * guest's writes and deletes come back and are applied. Pure and deterministic, so the workflow
 * entry can use it.
 *
 * @module
 */
import type { HostBlackboard } from '../btree/host-btree.js';
import type { JsonValue, TickOutcome } from '../sandbox/types.js';

/**
 * True when `key` may cross to or from a host blackboard. btree's blackboard stores data in a plain
 * object and looks keys up with `in` (btree-contract §6): `__proto__` would swap its prototype and
 * every `Object.prototype` member (`constructor`, `toString`, …) reads as present. Same policy as
 * the in-process binding (`src/btree/blackboard-bridge.ts`, which needs `node:util` and so cannot
 * be imported here).
 */
export function isSafeBlackboardKey(key: string): boolean {
  return typeof key === 'string' && key !== '' && key !== '__proto__' && key !== 'prototype' && !(key in Object.prototype);
}

function toJsonSafe(value: unknown, seen: Set<object>): JsonValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object': {
      if (seen.has(value)) return undefined;
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          const out: JsonValue[] = [];
          for (const item of value) {
            const copied = toJsonSafe(item, seen);
            if (copied === undefined) return undefined;
            out.push(copied);
          }
          return out;
        }
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) return undefined; // Map, Date, class instances
        const out: Record<string, JsonValue> = {};
        for (const [k, v] of Object.entries(value)) {
          if (v === undefined) continue;
          const copied = toJsonSafe(v, seen);
          if (copied === undefined) return undefined;
          out[k] = copied;
        }
        return out;
      } finally {
        seen.delete(value);
      }
    }
    default:
      return undefined; // functions, symbols, bigint, undefined
  }
}

/**
 * A JSON-safe deep copy of every key visible on `blackboard` (local and inherited). Values that
 * JSON cannot carry faithfully (functions, cycles, class instances, NaN) are left out rather than
 * silently changed; the guest simply does not see them.
 */
export function copyBlackboard(blackboard: HostBlackboard): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of blackboard.keys()) {
    if (!isSafeBlackboardKey(key)) continue;
    const copied = toJsonSafe(blackboard.get(key), new Set());
    if (copied !== undefined) out[key] = copied;
  }
  return out;
}

/**
 * Applies a guest's writes, then its deletes, to the host blackboard. Unsafe keys are skipped
 * (the sandbox already refuses them; this is the second lock).
 *
 * @returns the keys that were skipped
 */
export function applyOutcome(blackboard: HostBlackboard, outcome: Pick<TickOutcome, 'writes' | 'deletes'>): string[] {
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(outcome.writes ?? {})) {
    if (isSafeBlackboardKey(key)) blackboard.set(key, value);
    else skipped.push(key);
  }
  for (const key of outcome.deletes ?? []) {
    if (isSafeBlackboardKey(key)) blackboard.delete(key);
    else skipped.push(key);
  }
  return skipped;
}
