/**
 * The blackboard rules of every path (in-process custom nodes and the Temporal proxy nodes use the
 * same functions): what goes in, what comes back, and one tick end to end.
 */
import { types } from 'node:util';
import { describe, expect, it } from 'vitest';
import { applyGuestWrites, checkGuestWrites, copyBlackboardForGuest, tickWithBlackboard } from '../../src/binding-core/blackboard.js';
import { isReservedBlackboardKey } from '../../src/binding-core/reserved-keys.js';
import type { TickOutcome } from '../../src/binding-core/types.js';
import { ScopedBlackboard, setTestHostLogging } from '../../src/testing/index.js';

setTestHostLogging(false);

function bb(entries: Record<string, unknown>): ScopedBlackboard {
  const b = new ScopedBlackboard();
  for (const [k, v] of Object.entries(entries)) b.set(k, v);
  return b;
}

const outcome = (o: Partial<TickOutcome>): TickOutcome => ({ status: 'SUCCESS', writes: {}, deletes: [], logs: [], ...o });

describe('reserved blackboard keys', () => {
  it('are the empty string, __proto__, prototype and every Object.prototype member', () => {
    for (const k of ['', '__proto__', 'prototype', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf']) {
      expect(isReservedBlackboardKey(k)).toBe(true);
    }
    for (const k of ['orderId', 'proto', '__proto', 'Constructor', 'to_string']) expect(isReservedBlackboardKey(k)).toBe(false);
  });
});

describe('copyBlackboardForGuest', () => {
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
        fn: () => 1,
        undef: undefined,
        optional: { a: 1, b: undefined },
        nullProto: Object.assign(Object.create(null), { a: 1 }),
      }),
      { maxBytes: 1e6 },
    );
    expect(copy.ok).toBe(true);
    if (!copy.ok) return;
    // undefined members are left out, as JSON.stringify does; an undefined value is no value
    expect(copy.copy.value).toEqual({ ok: { list: [1, 'two', null, true, { x: 0 }] }, optional: { a: 1 }, nullProto: { a: 1 } });
    // The copy is made as JSON text; the object is parsed from it.
    expect(copy.copy.json).toBe('{"ok":{"list":[1,"two",null,true,{"x":0}]},"optional":{"a":1},"nullProto":{"a":1}}');
    expect(copy.copy.bytes).toBe(copy.copy.json.length);
    expect(copy.skipped.sort()).toEqual(['big', 'bytes', 'cyclic', 'deep', 'fn', 'inf', 'map', 'nested', 'sparse', 'undef']);
  });

  it('copies inherited keys too (get semantics) and shares no reference with the host blackboard', () => {
    const parent = bb({ inherited: { a: [1] } });
    const child = parent.createScope('child');
    child.set('own', 2);
    const copy = copyBlackboardForGuest(child, { maxBytes: 1e6 });
    expect(copy.ok && copy.copy.value).toEqual({ inherited: { a: [1] }, own: 2 });
    (copy.ok ? (copy.copy.value.inherited as { a: number[] }).a : []).push(2);
    expect(parent.get('inherited')).toEqual({ a: [1] });
  });

  it('refuses a copy over the byte limit and says at which key', () => {
    const copy = copyBlackboardForGuest(bb({ small: 'x', big: 'y'.repeat(100) }), { maxBytes: 50 });
    expect(copy).toEqual({ ok: false, message: 'reached at key "big"' });
    // The cap counts the whole text: exactly at the cap passes, one character over fails.
    const exact = copyBlackboardForGuest(bb({ a: 'x' }), { maxBytes: '{"a":"x"}'.length });
    expect(exact.ok && exact.copy.json).toBe('{"a":"x"}');
    expect(copyBlackboardForGuest(bb({ a: 'x', b: 1 }), { maxBytes: '{"a":"x"}'.length + 3 })).toEqual({ ok: false, message: 'reached at key "b"' });
  });

  it('hazard: a nested "__proto__" key travels as an own data property, never as a prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}') as Record<string, unknown>;
    const copy = copyBlackboardForGuest(bb({ value }), { maxBytes: 1e6 });
    expect(copy.ok && copy.copy.json).toBe('{"value":{"__proto__":{"polluted":1},"a":1}}');
    const parsed = copy.ok ? (copy.copy.value.value as Record<string, unknown>) : {};
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('hazard: a getter on a blackboard value never runs; the key is skipped', () => {
    let ran = 0;
    const value = {
      get secret() {
        ran++;
        return 1;
      },
    };
    const copy = copyBlackboardForGuest(bb({ value, plain: 1 }), { maxBytes: 1e6 });
    expect(copy).toMatchObject({ ok: true, skipped: ['value'] });
    expect(copy.ok && copy.copy.value).toEqual({ plain: 1 });
    expect(ran).toBe(0);
  });

  it('hazard: a Proxy on the blackboard runs none of its traps when the caller can detect Proxies', () => {
    const trapped: string[] = [];
    const handler: ProxyHandler<object> = new Proxy({}, { get: (_t, name) => (trapped.push(String(name)), undefined) });
    const copy = copyBlackboardForGuest(bb({ p: new Proxy({ a: 1 }, handler), q: [new Proxy([], handler)] }), { maxBytes: 1e6, isProxy: types.isProxy });
    expect(copy).toMatchObject({ ok: true, skipped: ['p', 'q'] });
    expect(copy.ok && copy.copy.json).toBe('{}');
    expect(trapped).toEqual([]);
  });
});

describe('checkGuestWrites / applyGuestWrites', () => {
  it('checks writes all-or-nothing and applies writes before deletes', () => {
    expect(checkGuestWrites({ writes: { a: 1, constructor: 2 }, deletes: [] })).toEqual({ ok: false, message: 'it wrote the reserved blackboard key "constructor"' });
    const checked = checkGuestWrites({ writes: { a: { b: [1] }, gone: 1 }, deletes: ['gone'] });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const target = bb({ keep: true });
    applyGuestWrites(target, checked);
    expect(target.toJSON()).toEqual({ keep: true, a: { b: [1] } });
  });

  it('hazard: __proto__ / constructor / prototype keys in writes or deletes refuse the whole outcome', () => {
    const writes = JSON.parse('{"__proto__": {"polluted": 1}, "ok": 3}') as Record<string, never>;
    expect(checkGuestWrites({ writes, deletes: [] })).toEqual({ ok: false, message: 'it wrote the reserved blackboard key "__proto__"' });
    expect(checkGuestWrites({ writes: { ok: 1 }, deletes: ['prototype'] })).toEqual({ ok: false, message: 'it deleted the reserved blackboard key "prototype"' });
    const nested = JSON.parse('{"a": {"b": {"__proto__": {"polluted": 1}}}}') as Record<string, never>;
    expect(checkGuestWrites({ writes: nested, deletes: [] })).toEqual({ ok: false, message: 'it wrote a value with a nested "__proto__" key under "a"' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a write that is not JSON data, naming the path', () => {
    const r = checkGuestWrites({ writes: { a: { n: Number.NaN } } as never, deletes: [] });
    expect(r).toEqual({ ok: false, message: 'it wrote a value that is not JSON data under "a" (a.n is NaN, which JSON cannot represent. HINT: use null for missing numbers)' });
  });
});

describe('tickWithBlackboard', () => {
  it('runs the guest on a copy, applies its checked writes and deletes, and maps its status', async () => {
    const board = bb({ count: 1, gone: true });
    let seen: unknown;
    const r = await tickWithBlackboard(board, { label: 'Counter@1.0.0' }, async (copy) => {
      seen = copy.value;
      return outcome({ status: 'RUNNING', writes: { count: 2 }, deletes: ['gone'] });
    });
    expect(seen).toEqual({ count: 1, gone: true });
    expect(r.status).toBe('RUNNING');
    expect(board.toJSON()).toEqual({ count: 2 });
  });

  it('fails without running the guest when the blackboard is over the cap', async () => {
    let ran = false;
    const r = await tickWithBlackboard(bb({ big: 'x'.repeat(200) }), { label: 'N@1.0.0', maxBytes: 100 }, async () => ((ran = true), outcome({})));
    expect(ran).toBe(false);
    expect(r).toEqual({ status: 'FAILURE', error: expect.stringMatching(/^N@1\.0\.0 exceeded its 100-byte blackboard input limit \(reached at key "big"\)\. HINT:/) });
  });

  it('applies nothing when one write is refused, and says so', async () => {
    const board = bb({ keep: 1 });
    const r = await tickWithBlackboard(board, { label: 'N@1.0.0' }, async () => outcome({ writes: { a: 1, toString: 2 } as never }));
    expect(r).toMatchObject({ status: 'FAILURE', error: 'N@1.0.0 failed: it wrote the reserved blackboard key "toString"; none of its writes were applied' });
    expect(board.toJSON()).toEqual({ keep: 1 });
  });

  it('reports skipped keys and passes on a FAILURE with its error', async () => {
    const skipped: string[][] = [];
    const r = await tickWithBlackboard(bb({ when: new Date(0) }), { label: 'N@1.0.0', onSkipped: (keys) => skipped.push(keys) }, async () =>
      outcome({ status: 'FAILURE', error: 'no channel' }),
    );
    expect(r).toMatchObject({ status: 'FAILURE', error: 'no channel' });
    expect(skipped).toEqual([['when']]);
  });
});
