import { describe, expect, it } from 'vitest';
import { ScopedBlackboard } from '../../src/testing/index.js';
import { setTestHostLogging } from '../../src/testing/index.js';
import { applyOutcome, copyBlackboard } from '../../src/temporal/blackboard-copy.js';

setTestHostLogging(false);

describe('blackboard copy for activities', () => {
  it('copies local and inherited keys as JSON, leaving out what JSON cannot carry', () => {
    const parent = new ScopedBlackboard();
    parent.set('inherited', { a: [1, 'x', null, true] });
    const bb = parent.createScope('child');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    bb.set('n', 1);
    bb.set('fn', () => 1);
    bb.set('date', new Date(0));
    bb.set('nan', Number.NaN);
    bb.set('cyclic', cyclic);
    bb.set('nested', { ok: 1, bad: () => 1 });
    const copy = copyBlackboard(bb);
    expect(copy).toEqual({ inherited: { a: [1, 'x', null, true] }, n: 1 });
    // a deep copy: changing it does not change the blackboard
    (copy.inherited as { a: unknown[] }).a.push(2);
    expect((parent.get('inherited') as { a: unknown[] }).a).toHaveLength(4);
  });

  it('hazard: __proto__/constructor keys in writes never reach the blackboard', () => {
    const bb = new ScopedBlackboard();
    const writes = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 1, "toString": 2, "ok": 3}');
    const skipped = applyOutcome(bb, { writes, deletes: ['prototype'] });
    expect(skipped.sort()).toEqual(['__proto__', 'constructor', 'prototype', 'toString']);
    expect(bb.get('polluted')).toBeUndefined();
    expect(bb.toJSON()).toEqual({ ok: 3 });
  });

  it('applies writes then deletes', () => {
    const bb = new ScopedBlackboard();
    bb.set('gone', 1);
    applyOutcome(bb, { writes: { a: 1 }, deletes: ['gone'] });
    expect(bb.toJSON()).toEqual({ a: 1 });
  });
});
