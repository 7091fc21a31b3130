/**
 * Leak check: the debug build of QuickJS runs its leak sanitizer after every job, and the worker
 * counts live runtimes. Every path through a run — success, each failure kind, promise jobs, output
 * capture — must dispose every handle, context and runtime it created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuickJsEngine } from '../../src/interpreters/javascript.js';

let engine: QuickJsEngine;
beforeAll(async () => {
  engine = new QuickJsEngine({ debug: true, hardKillGraceMs: 5_000 });
  await engine.warmUp();
});
afterAll(async () => {
  await engine.dispose();
});

describe('QuickJsEngine leak check (debug build)', () => {
  it('every kind of run disposes all its QuickJS handles, contexts and runtimes', async () => {
    const cases: Array<[string, string]> = [
      ['result = { sum: items.reduce((a, b) => a + b, 0) }; console.log("hi", { a: 1 })', 'ok'],
      ['const x = ;', 'syntax'],
      ['null.x', 'runtime'],
      ['throw { weird: true }', 'runtime'],
      ['while (true) {}', 'timeout'],
      ['let s = "x"; for (;;) s += s', 'memory'],
      ['function r() { return r() + 1 } r()', 'memory'],
      ['result = { n: NaN }', 'result'],
      ['result = {}; result.self = result', 'result'],
      ['(async () => { result = await Promise.resolve(7) })()', 'ok'],
      ['(async () => { throw new Error("async") })()', 'runtime'],
      ['new Promise(() => {})', 'runtime'],
      ['for (let i = 0; i < 50; i++) console.log(i)', 'ok'],
    ];
    for (const [script, expected] of cases) {
      const out = await engine.run({ script, inputs: { items: [1, 2, 3] }, timeoutMs: 2_000, memoryLimitBytes: 4 << 20, maxOutputLines: 10 });
      expect(out.ok ? 'ok' : out.error.kind, script).toBe(expected);
    }
    expect(engine.leaks).toEqual([]);
    expect(engine.restarts).toBe(0);
  });
});
