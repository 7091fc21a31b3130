import { describe, expect, it } from 'vitest';
import { formatJsonPath, toJsonSafe } from '../../src/interpreters/json-safe.js';

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
