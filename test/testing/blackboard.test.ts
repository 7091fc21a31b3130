import { describe, expect, it } from 'vitest';
import { ScopedBlackboard } from '../../src/testing/index.js';

describe('ScopedBlackboard (contract §6)', () => {
  it('set stores by reference, locally; get and has walk up to the parents', () => {
    const root = new ScopedBlackboard();
    const value = { n: 1 };
    root.set('v', value);
    expect(root.get('v')).toBe(value);
    const child = root.createScope('c');
    expect(child.get('v')).toBe(value);
    expect(child.has('v')).toBe(true);
    child.set('w', 2);
    expect(root.has('w')).toBe(false);
    expect(child.getFullScopePath()).toBe('root.c');
    expect(root.createScope('c')).toBe(child);
  });

  it('delete is local: the parent value shows through', () => {
    const root = new ScopedBlackboard();
    root.set('k', 'parent');
    const child = root.createScope('c');
    child.set('k', 'child');
    child.delete('k');
    expect(child.get('k')).toBe('parent');
  });

  it('getPort returns the default only for undefined, not for a stored null', () => {
    const bb = new ScopedBlackboard();
    bb.set('n', null);
    expect(bb.getPort('n', 'd')).toBeNull();
    expect(bb.getPort('missing', 'd')).toBe('d');
  });

  it('toJSON is a shallow copy of local keys only; keys()/entries() include inherited ones', () => {
    const root = new ScopedBlackboard();
    root.set('a', { deep: 1 });
    const child = root.createScope('c');
    child.set('b', 2);
    expect(child.toJSON()).toEqual({ b: 2 });
    expect(root.toJSON().a).toBe(root.get('a'));
    expect(child.keys().sort()).toEqual(['a', 'b']);
    expect(child.entries()).toEqual([['b', 2], ['a', { deep: 1 }]]);
  });

  it('clone deep-copies with structuredClone, which throws on functions', () => {
    const bb = new ScopedBlackboard();
    bb.set('o', { x: 1 });
    const copy = bb.clone();
    expect(copy.get('o')).toEqual({ x: 1 });
    expect(copy.get('o')).not.toBe(bb.get('o'));
    bb.set('f', () => 1);
    expect(() => bb.clone()).toThrow();
  });

  it('gotcha: `key in` lookups see Object.prototype members', () => {
    const bb = new ScopedBlackboard();
    expect(bb.has('toString')).toBe(true);
    expect(typeof bb.get('constructor')).toBe('function');
  });

  it('gotcha: set("__proto__", obj) swaps the prototype: toJSON is {} while get("polluted") resolves', () => {
    const bb = new ScopedBlackboard();
    bb.set('__proto__', { polluted: 'yes' });
    expect(bb.toJSON()).toEqual({});
    expect(bb.get('polluted')).toBe('yes');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
