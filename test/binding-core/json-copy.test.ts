import { describe, expect, it } from 'vitest';
import { types } from 'node:util';
import { checkJsonSafe, copyJsonRecord, formatJsonPath, isFrozenJsonCopy, toJsonSafe } from '../../src/binding-core/json-copy.js';

function problem(value: unknown, options = {}) {
  const r = toJsonSafe(value, { root: 'result', ...options });
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.value)}`);
  return r;
}

describe('toJsonSafe', () => {
  it('accepts JSON values and returns a detached copy with the JSON length', () => {
    const input = { a: [1, 'two', true, null, { b: -1.5 }], s: 'é"\n' };
    const r = toJsonSafe(input);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual(input);
    expect(r.value).not.toBe(input);
    expect((r.value as { a: unknown[] }).a).not.toBe(input.a);
    expect(r.bytes).toBe(JSON.stringify(input).length);
  });

  it('counts exactly the characters JSON.stringify writes, for strings and keys with and without escapes', () => {
    const strings = ['plain', '', 'q"uote', 'back\\slash', 'line\nbreak', '\u0000\u001f', '\u007f', 'é€', '\u2028\u2029', '😀', '\ud800 lone', 'lone \udfff', '\udfff\ud800', '<\/script>'];
    for (const s of strings) {
      const value = { [s]: s, list: [s, { [s]: [s] }] };
      const r = checkJsonSafe(value);
      expect(r.ok && r.bytes, JSON.stringify(s)).toBe(JSON.stringify(value).length);
      // The size cap falls on the exact character.
      expect(toJsonSafe(value, { maxBytes: JSON.stringify(value).length }).ok).toBe(true);
      expect(toJsonSafe(value, { maxBytes: JSON.stringify(value).length - 1 }).ok).toBe(false);
    }
  });

  it('freeze: the copy is frozen to the last level and known as checked; nothing else passes for one', () => {
    const original = { a: [{ b: 1 }], c: 'x' };
    const r = toJsonSafe(original, { freeze: true, maxDepth: 8 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const copy = r.value as { a: Array<{ b: number }> };
    expect(Object.isFrozen(copy) && Object.isFrozen(copy.a) && Object.isFrozen(copy.a[0])).toBe(true);
    expect(() => {
      'use strict';
      copy.a[0]!.b = 2;
    }).toThrow(TypeError);
    expect(isFrozenJsonCopy(copy, 8)).toBe(true);
    // Checked under depth 8: not good enough for a check at depth 4.
    expect(isFrozenJsonCopy(copy, 4)).toBe(false);
    // The original, a copy made without freeze, a value frozen by someone else, an inner part: not known.
    expect(isFrozenJsonCopy(original)).toBe(false);
    expect(isFrozenJsonCopy((toJsonSafe(original) as { value: unknown }).value)).toBe(false);
    expect(isFrozenJsonCopy(Object.freeze({ n: Number.NaN }))).toBe(false);
    expect(isFrozenJsonCopy(copy.a)).toBe(false);
    const record = copyJsonRecord(['k'], () => ({ deep: [1] }), { onUnsafe: 'reject', freeze: true });
    expect(record.ok && isFrozenJsonCopy(record.value) && Object.isFrozen((record.value.k as { deep: number[] }).deep)).toBe(true);
  });

  it('converts -0 to 0, as JSON.stringify does', () => {
    const r = toJsonSafe({ z: -0 });
    expect(r.ok && Object.is((r.value as { z: number }).z, 0)).toBe(true);
  });

  it('keeps an own __proto__ key as data instead of setting the prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    const r = toJsonSafe(input);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(Object.keys(r.value as object)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts null-prototype objects', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.x = 1;
    expect(toJsonSafe(o)).toMatchObject({ ok: true, value: { x: 1 } });
  });

  it.each([
    ['NaN', { items: [{ x: NaN }] }, 'result.items[0].x', 'number', /NaN/],
    ['Infinity', { v: Infinity }, 'result.v', 'number', /Infinity/],
    ['-Infinity', [-Infinity], 'result[0]', 'number', /-Infinity/],
    ['BigInt', { n: 10n }, 'result.n', 'type', /BigInt/],
    ['undefined in an object', { u: undefined }, 'result.u', 'type', /undefined/],
    ['undefined in an array', [1, undefined], 'result[1]', 'type', /undefined/],
    ['a function', { f: () => 1 }, 'result.f', 'type', /function/],
    ['a symbol value', { s: Symbol('x') }, 'result.s', 'type', /symbol/],
    ['a Map', { m: new Map() }, 'result.m', 'type', /Map.*Object\.fromEntries/],
    ['a Set', { s: new Set([1]) }, 'result.s', 'type', /Set.*Array\.from/],
    ['a Date', { d: new Date(0) }, 'result.d', 'type', /Date.*toISOString/],
    ['a RegExp', { r: /x/ }, 'result.r', 'type', /RegExp/],
    ['bytes (Uint8Array)', { b: new Uint8Array(2) }, 'result.b', 'type', /bytes.*base64/],
    ['bytes (ArrayBuffer)', { b: new ArrayBuffer(2) }, 'result.b', 'type', /bytes/],
    ['bytes (Buffer)', { b: Buffer.from('x') }, 'result.b', 'type', /bytes/],
    ['an Error', { e: new Error('x') }, 'result.e', 'type', /Error/],
    ['a Promise', { p: Promise.resolve(1) }, 'result.p', 'type', /Promise/],
    ['a class instance', { c: new (class Point { x = 1 })() }, 'result.c', 'type', /instance of Point/],
    ['a sparse array', { a: [1, , 3] }, 'result.a[1]', 'hole', /hole/],
    ['a symbol key', { o: { [Symbol('k')]: 1 } }, 'result.o', 'key', /symbol key/],
  ])('rejects %s, naming the path', (_name, value, path, reason, message) => {
    const r = problem(value);
    expect(r.path).toBe(path);
    expect(r.reason).toBe(reason);
    expect(r.message.startsWith(`${path} is `) || r.message.startsWith(`${path} has `)).toBe(true);
    expect(r.message).toMatch(message);
  });

  it('rejects cycles, naming where the cycle closes', () => {
    const o: Record<string, unknown> = { list: [{}] };
    (o.list as Array<Record<string, unknown>>)[0]!.back = o;
    const r = problem(o);
    expect(r.reason).toBe('cycle');
    expect(r.path).toBe('result.list[0].back');
  });

  it('accepts a shared (non-cyclic) reference twice', () => {
    const shared = { x: 1 };
    expect(toJsonSafe({ a: shared, b: shared })).toMatchObject({ ok: true, value: { a: { x: 1 }, b: { x: 1 } } });
  });

  it('rejects nesting deeper than maxDepth', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10; i++) deep = [deep];
    expect(toJsonSafe(deep, { maxDepth: 10 }).ok).toBe(true);
    expect(problem(deep, { maxDepth: 9 }).reason).toBe('depth');
  });

  it('survives a very deep value without overflowing the host stack', () => {
    let deep: unknown = null;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(problem(deep).reason).toBe('depth');
  });

  it('rejects values whose JSON text is longer than maxBytes', () => {
    const value = { s: 'x'.repeat(100) };
    const exact = JSON.stringify(value).length;
    expect(toJsonSafe(value, { maxBytes: exact }).ok).toBe(true);
    const r = problem(value, { maxBytes: exact - 1 });
    expect(r.reason).toBe('size');
    expect(r.message).toMatch(/limit/);
  });

  it('stops counting early on a huge array instead of walking all of it', () => {
    const big = new Array(1_000_000).fill(1);
    expect(problem(big, { maxBytes: 1000 }).reason).toBe('size');
  });
});

describe('formatJsonPath', () => {
  it('writes identifiers with dots, indexes and other keys in brackets', () => {
    expect(formatJsonPath('result', ['items', 3, 'x'])).toBe('result.items[3].x');
    expect(formatJsonPath('result', ['a b', 'ok'])).toBe('result["a b"].ok');
    expect(formatJsonPath('bb', [])).toBe('bb');
  });
});

describe('toJsonSafe runs no code of the value', () => {
  it('hazard: a getter is refused, never called', () => {
    let calls = 0;
    const value = Object.defineProperty({ a: 1 }, 'b', { enumerable: true, get: () => ++calls });
    expect(problem(value)).toMatchObject({ path: 'result.b', reason: 'accessor' });
    const arr = [0];
    Object.defineProperty(arr, 0, { get: () => ++calls });
    expect(problem(arr)).toMatchObject({ path: 'result[0]', reason: 'accessor' });
    expect(calls).toBe(0);
  });

  it('hazard: with an isProxy test, a Proxy is refused before any trap runs', () => {
    const trapped: string[] = [];
    const handler: ProxyHandler<object> = new Proxy({}, { get: (_t, name) => (trapped.push(String(name)), undefined) });
    expect(problem({ p: new Proxy({}, handler) }, { isProxy: types.isProxy })).toMatchObject({ path: 'result.p', message: /Proxy/ });
    expect(problem([new Proxy([], handler)], { isProxy: types.isProxy })).toMatchObject({ path: 'result[0]' });
    expect(trapped).toEqual([]);
  });

  it('a class instance is named from its constructor without reading through getters on the instance', () => {
    class Order {
      get then(): never {
        throw new Error('a getter ran');
      }
    }
    expect(problem({ o: new Order() })).toMatchObject({ path: 'result.o', message: /instance of Order/ });
  });

  it("undefinedMembers: 'omit' leaves undefined members out (as JSON.stringify); the default rejects them", () => {
    expect(toJsonSafe({ a: 1, b: undefined, c: [{ d: undefined }] }, { undefinedMembers: 'omit' })).toEqual({ ok: true, value: { a: 1, c: [{}] }, bytes: 16 });
    expect(JSON.stringify({ a: 1, c: [{}] }).length).toBe(16);
    expect(problem({ a: 1, b: undefined })).toMatchObject({ path: 'result.b', reason: 'type' });
    // in arrays, undefined is never omitted: that would shift the indexes
    expect(problem([undefined], { undefinedMembers: 'omit' })).toMatchObject({ path: 'result[0]', reason: 'type' });
  });
});

describe('copyJsonRecord', () => {
  const source: Record<string, unknown> = { a: 1, when: new Date(0), constructor: 'x', b: { c: [true] } };
  const get = (k: string): unknown => (Object.hasOwn(source, k) ? source[k] : undefined);

  it("onUnsafe: 'skip' leaves unsafe and reserved keys out and lists them with the reason", () => {
    const r = copyJsonRecord(['a', 'when', 'constructor', 'b'], get, { onUnsafe: 'skip' });
    expect(r).toEqual({
      ok: true,
      value: { a: 1, b: { c: [true] } },
      bytes: JSON.stringify({ a: 1, b: { c: [true] } }).length,
      skipped: [
        { key: 'when', reason: 'type', message: expect.stringMatching(/^when is a Date/) },
        { key: 'constructor', reason: 'reserved', message: expect.stringMatching(/reserved blackboard key/) },
      ],
    });
  });

  it("onUnsafe: 'reject' fails at the first unsafe key, naming it and the path inside it", () => {
    expect(copyJsonRecord(['a', 'when', 'b'], get, { onUnsafe: 'reject' })).toEqual({
      ok: false,
      key: 'when',
      path: 'when',
      reason: 'type',
      message: expect.stringMatching(/^when is a Date/),
    });
    expect(copyJsonRecord(['constructor'], get, { onUnsafe: 'reject' })).toMatchObject({ ok: false, key: 'constructor', reason: 'reserved' });
  });

  it('counts the exact JSON text of the whole record against maxBytes, in both modes', () => {
    const text = JSON.stringify({ a: 1, b: { c: [true] } });
    expect(copyJsonRecord(['a', 'b'], get, { onUnsafe: 'skip', maxBytes: text.length })).toMatchObject({ ok: true, bytes: text.length });
    for (const onUnsafe of ['skip', 'reject'] as const) {
      expect(copyJsonRecord(['a', 'b'], get, { onUnsafe, maxBytes: text.length - 1 })).toMatchObject({ ok: false, key: 'b', reason: 'size' });
    }
  });

  it("undefinedValues: 'skip' treats a missing value as no key at all", () => {
    expect(copyJsonRecord(['a', 'missing'], get, { onUnsafe: 'reject', undefinedValues: 'skip' })).toMatchObject({ ok: true, value: { a: 1 }, skipped: [] });
    expect(copyJsonRecord(['a', 'missing'], get, { onUnsafe: 'reject' })).toMatchObject({ ok: false, key: 'missing', reason: 'type' });
  });
});

describe("toJsonSafe protoKeys: 'reject'", () => {
  it('refuses a __proto__ key at any depth as reserved, naming its path; the default copies it as data', () => {
    const value = JSON.parse('{"a": [{"b": {"__proto__": {"polluted": 1}}}]}') as unknown;
    expect(problem(value, { protoKeys: 'reject' })).toMatchObject({ path: 'result.a[0].b.__proto__', reason: 'reserved' });
    expect(toJsonSafe(value)).toMatchObject({ ok: true });
  });
});

describe('checkJsonSafe: the same check without the copy', () => {
  it('returns the value itself when it is safe, with the JSON text length', () => {
    const value = { a: [1, 'two', null, { b: true }], c: -0 };
    const r = checkJsonSafe(value);
    expect(r.ok && r.value).toBe(value);
    expect(r.ok && r.bytes).toBe(JSON.stringify(value).length);
  });

  it('refuses exactly what toJsonSafe refuses, at the same path', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = { back: cyclic };
    const getter = Object.defineProperty({}, 'x', { get: () => 1, enumerable: true });
    const unsafe: unknown[] = [NaN, Infinity, 1n, undefined, () => 1, Symbol('s'), new Date(0), new Map(), [1, , 2], cyclic, { deep: { getter } }, { [Symbol('k')]: 1 }]; // eslint-disable-line no-sparse-arrays
    for (const value of unsafe) {
      const copied = toJsonSafe(value, { root: 'v' });
      expect(copied.ok).toBe(false);
      expect(checkJsonSafe(value, { root: 'v' })).toEqual(copied);
    }
    const proxy = new Proxy({}, {});
    expect(checkJsonSafe({ p: proxy }, { isProxy: types.isProxy })).toEqual(toJsonSafe({ p: proxy }, { isProxy: types.isProxy }));
  });
});
