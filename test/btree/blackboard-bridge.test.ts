import { describe, expect, it } from 'vitest';
import { applyGuestWrites, checkGuestWrites, copyBlackboardForGuest } from '../../src/btree/blackboard-bridge.js';
import { isReservedBlackboardKey } from '../../src/btree/reserved-keys.js';
import { ScopedBlackboard } from '../../src/testing/index.js';

function bb(entries: Record<string, unknown>): ScopedBlackboard {
  const b = new ScopedBlackboard();
  for (const [k, v] of Object.entries(entries)) b.set(k, v);
  return b;
}

describe('blackboard bridge', () => {
  it('reserved keys: empty, __proto__, prototype and every Object.prototype member', () => {
    for (const k of ['', '__proto__', 'prototype', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf']) {
      expect(isReservedBlackboardKey(k)).toBe(true);
    }
    for (const k of ['orderId', 'proto', '__proto', 'Constructor', 'to_string']) expect(isReservedBlackboardKey(k)).toBe(false);
  });

  it('skips whole keys whose value is not plain JSON data, at any depth', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 70; i++) cur = (cur.next = {}) as Record<string, unknown>;
    const copy = copyBlackboardForGuest(
      bb({
        ok: { list: [1, 'two', null, true, { x: -0 }] },
        cyclic,
        deep,
        sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
        big: 10n,
        inf: Infinity,
        map: new Map(),
        bytes: new Uint8Array(2),
        nested: { when: new Date(0) },
        undef: undefined,
        nullProto: Object.assign(Object.create(null), { a: 1 }),
      }),
      1e6,
    );
    expect(copy.ok).toBe(true);
    if (!copy.ok) return;
    expect(copy.value).toEqual({ ok: { list: [1, 'two', null, true, { x: 0 }] }, nullProto: { a: 1 } });
    expect(copy.skipped.sort()).toEqual(['big', 'bytes', 'cyclic', 'deep', 'inf', 'map', 'nested', 'sparse', 'undef']);
  });

  it('shares no reference with the host blackboard', () => {
    const value = { a: [1] };
    const copy = copyBlackboardForGuest(bb({ value }), 1e6);
    expect(copy.ok && copy.value.value).toEqual(value);
    expect(copy.ok && copy.value.value).not.toBe(value);
  });

  it('refuses a copy over the byte limit and says at which key', () => {
    const copy = copyBlackboardForGuest(bb({ small: 'x', big: 'y'.repeat(100) }), 50);
    expect(copy).toMatchObject({ ok: false, message: 'reached at key "big"' });
  });

  it('checks writes all-or-nothing and applies writes before deletes', () => {
    expect(checkGuestWrites({ writes: { a: 1, constructor: 2 }, deletes: [] })).toEqual({ ok: false, message: 'it wrote the reserved blackboard key "constructor"' });
    const checked = checkGuestWrites({ writes: { a: { b: [1] }, gone: 1 }, deletes: ['gone'] });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const target = bb({ keep: true });
    applyGuestWrites(target, checked);
    expect(target.toJSON()).toEqual({ keep: true, a: { b: [1] } });
  });
});
