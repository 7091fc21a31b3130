import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import { QuickJsEngine } from '../../src/interpreters/javascript.js';
import type { ScriptOutcome, ScriptRequest } from '../../src/binding-core/interpreter-types.js';

let engine: QuickJsEngine;
beforeAll(async () => {
  engine = new QuickJsEngine();
  await engine.warmUp();
});
afterAll(async () => {
  await engine.dispose();
  expect(engine.liveWorkers).toBe(0);
});

function run(script: string, extra: Partial<ScriptRequest> = {}): Promise<ScriptOutcome> {
  return engine.run({ script, inputs: {}, timeoutMs: 2_000, memoryLimitBytes: 16 << 20, ...extra });
}

async function value(script: string, extra: Partial<ScriptRequest> = {}): Promise<unknown> {
  const out = await run(script, extra);
  if (!out.ok) throw new Error(`expected success, got ${out.error.kind}: ${out.error.message}`);
  return out.value;
}

async function error(script: string, extra: Partial<ScriptRequest> = {}) {
  const out = await run(script, extra);
  if (out.ok) throw new Error(`expected a failure, got ${JSON.stringify(out.value)}`);
  return out;
}

describe('QuickJsEngine: results', () => {
  it('exposes inputs as variables and reads back result', async () => {
    expect(await value('result = { sum: items.reduce((a, b) => a + b, 0), who: user.name }', { inputs: { items: [1, 2, 3], user: { name: 'ada' } } })).toEqual({ sum: 6, who: 'ada' });
  });

  it('reads result declared with let, var or assigned', async () => {
    expect(await value('let result = 1')).toBe(1);
    expect(await value('var result = 2')).toBe(2);
    expect(await value('result = 3')).toBe(3);
  });

  it('writes null when the script leaves no result (a final expression is not the result)', async () => {
    expect(await value('const x = 5; x * 2')).toBeNull();
  });

  it('lets a script reassign and shadow an input without touching the caller', async () => {
    const inputs = { n: 1 };
    expect(await value('n = n + 1; result = n', { inputs })).toBe(2);
    expect(inputs.n).toBe(1);
  });

  it('parses each input on its first read: the same object on every read, writable, deletable, enumerable, and written before read it is the written value', async () => {
    const inputs = { order: { id: 7, lines: [{ sku: 'a' }] }, user: { name: 'ada' }, unused: { big: 'x'.repeat(10_000) }, n: 1, gone: 2, text: 'q"uote\\' };
    expect(
      await value(
        `const first = order; order.extra = 1;
         user = 'replaced';
         delete gone;
         result = { same: first === order, extra: order.extra, user, gone: typeof gone, n: n + 1, text,
                    keys: Object.keys(globalThis).filter((k) => k !== 'result').sort() }`,
        { inputs },
      ),
    ).toEqual({ same: true, extra: 1, user: 'replaced', gone: 'undefined', n: 2, text: 'q"uote\\', keys: ['n', 'order', 'text', 'unused', 'user'] });
  });

  it('inputs arrive intact even when the script replaced JSON.parse and String.prototype.slice before reading them', async () => {
    expect(
      await value("JSON.parse = () => 'forged'; String.prototype.slice = () => '0'; result = [a.x, b[1]]", { inputs: { a: { x: 'ok' }, b: [1, 2] } }),
    ).toEqual(['ok', 2]);
  });

  it('awaits promise jobs: an async function may set result', async () => {
    expect(await value('(async () => { const v = await Promise.resolve(21); result = v * 2; })()')).toBe(42);
  });

  it('fails when the promise the script ends with rejects or never settles', async () => {
    const rejected = await error('(async () => {\n  throw new TypeError("nope");\n})()');
    expect(rejected.error).toMatchObject({ kind: 'runtime', message: 'TypeError: nope', line: 2 });
    expect((await error('new Promise(() => {})')).error.message).toMatch(/never settled/);
  });

  it('rejects a Promise as result with a hint', async () => {
    expect((await error('result = Promise.resolve(1)')).error).toMatchObject({ kind: 'result', message: expect.stringMatching(/^result is a Promise.*HINT/) });
  });

  it('converts -0 to 0 and keeps unicode intact', async () => {
    expect(await value('result = { z: -0, s: "é✓\\u2028\\ud83d\\ude00" }')).toEqual({ z: 0, s: 'é✓\u2028😀' });
  });
});

describe('QuickJsEngine: errors with line numbers', () => {
  it('reports a syntax error with its line', async () => {
    expect((await error('const a = 1;\nconst b = ;\n')).error).toEqual({ kind: 'syntax', message: "SyntaxError: unexpected token in expression: ';'", line: 2 });
  });

  it('reports a syntax error on the first line', async () => {
    expect((await error('const = 1')).error).toMatchObject({ kind: 'syntax', line: 1 });
  });

  it('reports a runtime error with the line where it was thrown, also on line 1', async () => {
    expect((await error('x.y')).error).toEqual({ kind: 'runtime', message: "ReferenceError: 'x' is not defined", line: 1 });
    expect((await error('\n\nfunction g() {\n  return null.x;\n}\ng();')).error).toEqual({ kind: 'runtime', message: "TypeError: cannot read property 'x' of null", line: 4 });
  });

  it('reports a runtime SyntaxError (JSON.parse) as runtime, not syntax', async () => {
    expect((await error('JSON.parse("{")')).error.kind).toBe('runtime');
  });

  it('describes thrown non-errors', async () => {
    expect((await error('throw "boom"')).error.message).toBe('Uncaught boom');
    expect((await error('throw { code: 7 }')).error.message).toBe('Uncaught {"code":7}');
  });

  it('keeps the output printed before the failure', async () => {
    expect(await error('console.log("before");\nthrow new Error("x")')).toMatchObject({ output: ['before'], error: { line: 2 } });
  });
});

describe('QuickJsEngine: console capture', () => {
  it('captures console.* in order, with levels and formatted values', async () => {
    const out = await run('console.log("a", 1, { b: [2] }); console.info("i"); console.debug("d"); console.warn("w"); console.error(new TypeError("t"), null, undefined)');
    expect(out.output).toEqual(['a 1 {"b":[2]}', 'i', 'd', 'warn: w', 'error: TypeError: t null undefined']);
    expect(out.truncatedOutput).toBeUndefined();
  });

  it('formats at call time, survives a replaced eval, and lets the script replace console', async () => {
    expect((await run('eval = null; Function = null; const o = { a: 1 }; console.log(o); o.a = 2; console.log(o)')).output).toEqual(['{"a":1}', '{"a":2}']);
    expect(await run('console = { log() {} }; console.log("hidden"); result = typeof console.log')).toEqual({ ok: true, value: 'function', output: [] });
  });

  it('caps lines and characters, with a marker', async () => {
    const lines = await run('for (let i = 0; i < 50; i++) console.log(i)', { maxOutputLines: 10 });
    expect(lines.output).toHaveLength(11);
    expect(lines.output[10]).toBe('… output truncated: 40 more lines dropped');
    expect(lines.truncatedOutput).toBe(true);
    const chars = await run('console.log("x".repeat(500))', { maxOutputBytes: 100 });
    expect(chars.output).toEqual(['x'.repeat(100), '… output truncated']);
  });
});

describe('QuickJsEngine: requests', () => {
  it('rejects malformed requests from any caller with InvalidInputError', async () => {
    await expect(engine.run({ script: ' ', inputs: {}, timeoutMs: 100, memoryLimitBytes: 1 << 20 })).rejects.toThrow(/script must be a non-empty string/);
    await expect(engine.run({ script: 'x', inputs: { 'a b': 1 }, timeoutMs: 100, memoryLimitBytes: 1 << 20 })).rejects.toThrow(/cannot be a script variable/);
    const bad = engine.run({ script: 'x', inputs: { a: NaN }, timeoutMs: 100, memoryLimitBytes: 1 << 20 });
    await expect(bad).rejects.toThrow(/inputs\.a is NaN/);
    await bad.catch((e: unknown) => expect(isBtreePluginsError(e, 'InvalidInputError')).toBe(true));
    // Freezing does not make a caller's object pass for a checked copy: only the node's own copies skip the walk.
    await expect(engine.run({ script: 'x', inputs: Object.freeze({ a: Object.freeze([1, Infinity]) }) as never, timeoutMs: 100, memoryLimitBytes: 1 << 20 })).rejects.toThrow(/inputs\.a\[1\] is Infinity/);
    await expect(engine.run({ script: 'x', inputs: {}, timeoutMs: 0, memoryLimitBytes: 1 << 20 })).rejects.toThrow(/timeoutMs/);
    await expect(engine.run({ script: 'x', inputs: {}, timeoutMs: 100, memoryLimitBytes: 1 << 20, maxResultBytes: Number.NaN })).rejects.toThrow(/maxResultBytes must be a positive integer/);
  });

  it('runs concurrent requests (queued on the worker) and keeps them apart', async () => {
    const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => value('result = n * 10', { inputs: { n: i } })));
    expect(outs).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
  });

  it('spreads runs over a pool of workers', async () => {
    const pool = new QuickJsEngine({ poolSize: 2 });
    try {
      const outs = await Promise.all(Array.from({ length: 4 }, (_, i) => pool.run({ script: 'result = n + 1', inputs: { n: i }, timeoutMs: 2_000, memoryLimitBytes: 8 << 20 })));
      expect(outs.map((o) => o.ok && o.value)).toEqual([1, 2, 3, 4]);
      expect(pool.liveWorkers).toBe(2);
    } finally {
      await pool.dispose();
    }
  });

  it('fails a run aborted before it starts with kind aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await error('result = 1', { signal: controller.signal })).error.kind).toBe('aborted');
  });

  it('refuses to run after dispose, and dispose is idempotent', async () => {
    const e = new QuickJsEngine();
    expect((await e.run({ script: 'result = 1', inputs: {}, timeoutMs: 2_000, memoryLimitBytes: 8 << 20 })).ok).toBe(true);
    await e.dispose();
    await e.dispose();
    expect(e.alive).toBe(false);
    await expect(e.run({ script: 'result = 1', inputs: {}, timeoutMs: 100, memoryLimitBytes: 8 << 20 })).rejects.toThrow(/QuickJsEngine is disposed/);
  });

  it('dispose fails the runs still in flight instead of leaving them hanging', async () => {
    const e = new QuickJsEngine();
    await e.warmUp();
    const pending = e.run({ script: 'while (true) {}', inputs: {}, timeoutMs: 10_000, memoryLimitBytes: 8 << 20 });
    const queued = e.run({ script: 'result = 1', inputs: {}, timeoutMs: 10_000, memoryLimitBytes: 8 << 20 });
    const settled = Promise.allSettled([pending, queued]);
    await e.dispose();
    const [a, b] = await settled;
    expect(a.status === 'rejected' && String(a.reason)).toMatch(/disposed/);
    expect(b.status === 'rejected' && String(b.reason)).toMatch(/disposed/);
    expect(e.liveWorkers).toBe(0);
  });
});
