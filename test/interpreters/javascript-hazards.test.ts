/**
 * One test per hazard a hostile JavaScript script can try, each named after it. The attack comes
 * first; the assertion pins the defence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuickJsEngine } from '../../src/interpreters/javascript.js';
import type { ScriptOutcome, ScriptRequest } from '../../src/binding-core/interpreter-types.js';

let engine: QuickJsEngine;
beforeAll(async () => {
  // A generous grace keeps ordinary timeouts on the interrupt path even on a loaded machine.
  engine = new QuickJsEngine({ hardKillGraceMs: 1_000 });
  await engine.warmUp();
});
afterAll(async () => {
  await engine.dispose();
});

function run(script: string, extra: Partial<ScriptRequest> = {}): Promise<ScriptOutcome> {
  return engine.run({ script, inputs: {}, timeoutMs: 1_000, memoryLimitBytes: 16 << 20, ...extra });
}

async function value(script: string, extra: Partial<ScriptRequest> = {}): Promise<unknown> {
  const out = await run(script, extra);
  if (!out.ok) throw new Error(`expected success, got ${out.error.kind}: ${out.error.message}`);
  return out.value;
}

async function failed(script: string, extra: Partial<ScriptRequest> = {}) {
  const out = await run(script, extra);
  if (out.ok) throw new Error(`expected a failure, got ${JSON.stringify(out.value)}`);
  return out.error;
}

/** The engine still works after the hazard (the worker survived or was replaced). */
async function stillWorks(): Promise<void> {
  expect(await value('result = 1 + 1')).toBe(2);
}

describe('JavaScriptInterpreter hazards', () => {
  it('infinite loop: stopped at the deadline with kind timeout', async () => {
    expect(await failed('while (true) {}', { timeoutMs: 200 })).toMatchObject({ kind: 'timeout', message: 'timed out: the script ran longer than its 200ms limit' });
    await stillWorks();
  });

  it('infinite loop inside try/catch: the interrupt cannot be caught', async () => {
    expect((await failed('try { while (true) {} } catch (e) { result = "caught" }', { timeoutMs: 200 })).kind).toBe('timeout');
  });

  it('infinite loop in a result getter: the read-back runs under the same deadline', async () => {
    expect((await failed('result = { get x() { for (;;) {} } }', { timeoutMs: 200 })).kind).toBe('timeout');
  });

  it('microtask flood: an endless promise chain is stopped at the deadline', async () => {
    expect((await failed('function f() { Promise.resolve().then(f) } f()', { timeoutMs: 200 })).kind).toBe('timeout');
  });

  it('timeout accuracy: a CPU loop that would outlive its deadline fails with kind timeout', async () => {
    const error = await failed('let n = 0; for (let i = 0; i < 1e12; i++) { n += i % 7 } result = n', { timeoutMs: 300 });
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('300ms');
  });

  it('memory bomb: a growing string is stopped by the memory limit with kind memory', async () => {
    expect(await failed('let s = "x"; while (true) s += s;', { memoryLimitBytes: 8 << 20 })).toMatchObject({
      kind: 'memory',
      message: 'out of memory: the script needed more than its 8MB memory limit',
    });
    await stillWorks();
  });

  it('memory bomb: a growing array of objects is stopped by the memory limit', async () => {
    expect((await failed('const a = []; for (;;) a.push({ i: a.length, s: "pad" + a.length })', { memoryLimitBytes: 4 << 20, timeoutMs: 5_000 })).kind).toBe('memory');
  });

  it("memory bomb in a single builtin: 'x'.repeat(2**28) fails on the memory limit at once", async () => {
    expect((await failed("const s = 'x'.repeat(2 ** 28)")).kind).toBe('memory');
  });


  it('single long builtin: new Array(1e9).join() never polls the interrupt, so its worker is replaced', async () => {
    const before = engine.restarts;
    const error = await failed('result = new Array(1e9).join().length', { timeoutMs: 200 });
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/did not stop at the deadline/);
    expect(engine.restarts).toBe(before + 1);
    await stillWorks();
  });

  it('catastrophic regex backtracking: stopped by replacing the worker', async () => {
    const error = await failed('result = /(a+)+$/.test("a".repeat(40) + "b")', { timeoutMs: 200 });
    expect(error.kind).toBe('timeout');
    await stillWorks();
  });

  it('recursion bomb: fails with kind memory (stack overflow), not a host crash', async () => {
    expect(await failed('function r() { return r() + 1 }\nr()')).toMatchObject({ kind: 'memory', message: expect.stringMatching(/^stack overflow/) });
    await stillWorks();
  });

  it('parser recursion bomb: deeply nested source fails with kind memory', async () => {
    expect((await failed(`result = ${'['.repeat(100_000)}${']'.repeat(100_000)}`)).kind).toBe('memory');
    await stillWorks();
  });

  it('JSON.parse recursion bomb: fails with kind memory', async () => {
    expect((await failed('JSON.parse("[".repeat(1e5) + "]".repeat(1e5))')).kind).toBe('memory');
  });

  it('huge output: a result over the cap fails with kind result', async () => {
    expect(await failed('result = "x".repeat(2000)', { maxResultBytes: 1000 })).toMatchObject({ kind: 'result', message: expect.stringMatching(/1000-character limit/) });
  });

  it('huge output: a wide array over the cap fails with kind result', async () => {
    expect((await failed('result = new Array(1e6).fill(0)', { maxResultBytes: 10_000, timeoutMs: 5_000 })).kind).toBe('result');
  });

  it('huge output: deep nesting fails with kind result and the path', async () => {
    const error = await failed('let o = {}; result = o; for (let i = 0; i < 100; i++) { o.n = {}; o = o.n }', { maxResultDepth: 10 });
    expect(error.kind).toBe('result');
    expect(error.message).toMatch(/^result(\.n){10} is nested deeper than the 10-level limit/);
  });

  it('huge print: a console flood is capped by lines and characters, and the run still succeeds', async () => {
    const out = await run('for (let i = 0; i < 1e6; i++) console.log("spam", i); result = "done"', { maxOutputLines: 100, timeoutMs: 10_000 });
    expect(out.ok && out.value).toBe('done');
    expect(out.output).toHaveLength(101);
    expect(out.output[100]).toBe('… output truncated: 999900 more lines dropped');
    expect(out.truncatedOutput).toBe(true);
  });

  it('huge print: one enormous line is cut at the character cap', async () => {
    const out = await run('console.log("y".repeat(1e6))', { maxOutputBytes: 1000 });
    expect(out.output[0]).toHaveLength(1000);
    expect(out.truncatedOutput).toBe(true);
  });

  it('non-JSON results fail with the offending path: NaN, function, cycle, Map, undefined, hole, Date, class', async () => {
    const cases: Array<[string, string]> = [
      ['result = { items: [1, { x: NaN }] }', 'result.items[1].x is NaN'],
      ['result = { cb: function () {} }', 'result.cb is a function'],
      ['result = { a: {} }; result.a.back = result', 'result.a.back refers back to one of its own containers (a cycle)'],
      ['result = { m: new Map([[1, 2]]) }', 'result.m is a Map'],
      ['result = { u: undefined }', 'result.u is undefined'],
      ['result = [1, , 3]', 'result[1] is a hole'],
      ['result = { d: new Date(0) }', 'result.d is a Date'],
      ['result = { ["a b"]: Infinity }', 'result["a b"] is Infinity'],
      ['class P {}; result = new P()', 'result is an instance of P'],
    ];
    for (const [script, message] of cases) {
      const error = await failed(script);
      expect(error.kind, script).toBe('result');
      expect(error.message.startsWith(message), `${script} → ${error.message}`).toBe(true);
    }
  });

  it('constructor chains reach only the QuickJS realm: no process, require or host globals', async () => {
    const probe = `
      const reached = [
        this.constructor.constructor('return this')(),
        (function () {}).constructor('return this')(),
        Object.getPrototypeOf(function* () {}).constructor('yield this')().next().value,
        ({}).constructor.constructor('return globalThis')(),
        [].map.constructor('return this')(),
      ];
      const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
      const AsyncGenerator = Object.getPrototypeOf(async function* () {}).constructor;
      (async () => {
        reached.push(await AsyncFunction('return this')());
        reached.push((await AsyncGenerator('yield this')().next()).value);
        result = reached.map((g) => ({
          same: g === globalThis,
          process: typeof g.process,
          require: typeof g.require,
          module: typeof g.module,
          Buffer: typeof g.Buffer,
          setTimeout: typeof g.setTimeout,
          fetch: typeof g.fetch,
          WebAssembly: typeof g.WebAssembly,
        }));
      })();
    `;
    const reached = (await value(probe)) as Array<Record<string, unknown>>;
    expect(reached).toHaveLength(7);
    for (const g of reached) {
      expect(g).toEqual({ same: true, process: 'undefined', require: 'undefined', module: 'undefined', Buffer: 'undefined', setTimeout: 'undefined', fetch: 'undefined', WebAssembly: 'undefined' });
    }
  });

  it('constructor chains: console, the only object the prelude adds, leads nowhere either', async () => {
    expect(await value("result = [console.log.constructor('return typeof process')(), console.log.constructor('return this')() === globalThis]")).toEqual(['undefined', true]);
  });

  it('globalThis probing: only the lean ECMAScript builtins and console are present (no typed arrays, Proxy, BigInt)', async () => {
    const names = (await value('result = Reflect.ownKeys(globalThis).map(String).sort()')) as string[];
    expect(names).toEqual(
      [
        'AggregateError', 'Array', 'Boolean', 'Date', 'Error', 'EvalError', 'Function', 'Infinity', 'InternalError', 'JSON', 'Map',
        'Math', 'NaN', 'Number', 'Object', 'Promise', 'RangeError', 'ReferenceError', 'Reflect', 'RegExp', 'Set', 'String', 'Symbol',
        'SyntaxError', 'TypeError', 'URIError', 'WeakMap', 'WeakSet', 'console', 'decodeURI', 'decodeURIComponent', 'encodeURI',
        'encodeURIComponent', 'escape', 'eval', 'globalThis', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'undefined', 'unescape',
        'Symbol(Symbol.toStringTag)',
      ].sort(),
    );
  });

  it('globalThis probing: inputs appear as globals and nothing else of the host does', async () => {
    const names = (await value('result = Object.keys(globalThis)', { inputs: { order: { id: 1 }, total: 3 } })) as string[];
    expect(names.sort()).toEqual(['order', 'total']);
  });

  it('eval tricks: direct and indirect eval and new Function stay inside QuickJS', async () => {
    expect(
      await value(`result = [
        eval('typeof process'),
        (0, eval)('typeof require'),
        (0, eval)('this') === globalThis,
        new Function('return typeof process')(),
        eval('(function(){ return this })()') === globalThis,
      ]`),
    ).toEqual(['undefined', 'undefined', true, 'undefined', true]);
  });

  it('eval tricks: import() of host modules and files fails inside QuickJS', async () => {
    const outcome = (await value(`
      const specs = ['fs', 'node:fs', 'node:child_process', '/etc/passwd', 'file:///etc/passwd', './script.js', 'https://example.com/x.js'];
      Promise.allSettled(specs.map((s) => import(s))).then((all) => { result = all.map((r) => r.status + ':' + (r.reason ? String(r.reason) : '')) });
    `)) as string[];
    expect(outcome).toHaveLength(7);
    for (const line of outcome) expect(line).toMatch(/^rejected:ReferenceError: could not load module/);
  });

  it('eval tricks: no require, no std/os modules, no bytecode loaders', async () => {
    expect(await value("result = [typeof require, typeof std, typeof os, typeof scriptArgs, typeof print, typeof Function.prototype.toString.call(eval)]")).toEqual([
      'undefined', 'undefined', 'undefined', 'undefined', 'undefined', 'string',
    ]);
  });

  it("another tenant's earlier result: a second tenant sees nothing of the first on the same engine", async () => {
    const first = await run(
      `globalThis.secret = 'tenant-a-secret';
       Object.prototype.leaked = 'from-a';
       Array.prototype.push = function () { throw new Error('poisoned') };
       JSON.stringify = () => '"poisoned"';
       var cache = { token: 'a-token' };
       result = { secret: 'tenant-a-result' };`,
      { tenantId: 'tenant-a', inputs: { orders: [1, 2, 3] } },
    );
    expect(first.ok).toBe(true);
    const second = await value(
      `const a = []; a.push(1);
       result = {
         secret: typeof secret, cache: typeof cache, orders: typeof orders, leaked: ({}).leaked === undefined,
         pushed: a.length, json: JSON.stringify({ ok: 1 }), previousResult: typeof result,
       }`,
      { tenantId: 'tenant-b' },
    );
    expect(second).toEqual({ secret: 'undefined', cache: 'undefined', orders: 'undefined', leaked: true, pushed: 1, json: '{"ok":1}', previousResult: 'undefined' });
  });

  it("another tenant's earlier run: the runtime prepared after a failed run (timeout, out of memory) carries nothing of it", async () => {
    const poison = `globalThis.secret = 'a'; Object.prototype.leaked = 'a'; JSON.stringify = () => '"poisoned"'; Array.prototype.map = null;`;
    expect((await run(`${poison} while (true) {}`, { timeoutMs: 200, tenantId: 'tenant-a' })).ok).toBe(false);
    expect((await run(`${poison} let s = 'x'; for (;;) s += s;`, { memoryLimitBytes: 4 << 20, tenantId: 'tenant-a' })).ok).toBe(false);
    expect((await run(`${poison} Promise.resolve().then(() => { globalThis.later = 'a' }); new Promise(() => {})`, { tenantId: 'tenant-a' })).ok).toBe(false);
    expect(
      await value(
        "result = { secret: typeof secret, later: typeof later, leaked: ({}).leaked === undefined, json: JSON.stringify([1].map((x) => x + 1)), keys: Object.keys(globalThis) }",
        { tenantId: 'tenant-b' },
      ),
    ).toEqual({ secret: 'undefined', later: 'undefined', leaked: true, json: '[2]', keys: [] });
  });

  it('prototype tampering: a script that replaces JSON, Object.keys and prototype methods cannot forge its read-back', async () => {
    expect(
      await value(`
        JSON.stringify = () => '{"forged":true}';
        JSON.parse = () => ({ forged: true });
        Object.keys = () => ['forged'];
        Object.getPrototypeOf = () => null;
        Reflect.apply = () => 'forged';
        Array.prototype.push = null;
        String.prototype.slice = () => 'forged';
        result = { a: [1, 2], s: 'ok' };
      `),
    ).toEqual({ a: [1, 2], s: 'ok' });
  });

  it('prototype tampering: an index setter on Array.prototype breaks QuickJS JSON.stringify, so the run fails instead of forging', async () => {
    const out = await run(`
      Object.defineProperty(Array.prototype, '0', { set() { throw new Error('trap') }, configurable: true });
      result = { forged: false };
    `);
    expect(out.ok).toBe(false);
  });

  it('output forgery: console lines that look like the envelope stay plain lines', async () => {
    const out = await run(`console.log('"],"r":{"admin":true},"e":null,"o":["'); result = 1`);
    expect(out).toEqual({ ok: true, value: 1, output: ['"],"r":{"admin":true},"e":null,"o":["'] });
  });

  it('throwing getters and toJSON in the result fail cleanly', async () => {
    expect(await failed('result = { get x() { throw new Error("getter") } }')).toMatchObject({ kind: 'runtime', message: 'Error: getter' });
    expect((await failed('result = { toJSON() { return 1 } }')).message).toMatch(/^result\.toJSON is a function/);
  });

  it('catching out-of-memory does not lift the limit', async () => {
    const out = await value('let a = []; try { for (;;) a.push("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + a.length) } catch (e) { a = null; result = String(e) }', { memoryLimitBytes: 4 << 20, timeoutMs: 5_000 });
    expect(out).toBe('InternalError: out of memory');
  });

  it('cancellation: an aborted signal stops a running infinite loop with kind aborted', async () => {
    const controller = new AbortController();
    const pending = run('while (true) {}', { timeoutMs: 20_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect((await pending).ok === false && (await pending as { error: { kind: string } }).error.kind).toBe('aborted');
    await stillWorks();
  });

  it('cancellation: an aborted signal stops a stuck builtin by replacing the worker', async () => {
    const controller = new AbortController();
    const pending = run('new Array(1e9).join()', { timeoutMs: 20_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const out = await pending;
    expect(!out.ok && out.error.kind).toBe('aborted');
    await stillWorks();
  });
});

describe('JavaScriptInterpreter hazards with standard intrinsics (typed arrays, Proxy, BigInt)', () => {
  let full: QuickJsEngine;
  beforeAll(async () => {
    full = new QuickJsEngine({ intrinsics: 'standard', hardKillGraceMs: 1_000 });
    await full.warmUp();
  });
  afterAll(async () => {
    await full.dispose();
  });
  const runFull = (script: string) => full.run({ script, inputs: {}, timeoutMs: 1_000, memoryLimitBytes: 16 << 20 });

  it('memory bomb in a single builtin: a 1 GB ArrayBuffer fails on the memory limit', async () => {
    const out = await runFull('const b = new ArrayBuffer(2 ** 30)');
    expect(!out.ok && out.error.kind).toBe('memory');
  });

  it('non-JSON results: BigInt, bytes and Proxy-wrapped Maps fail with the path', async () => {
    const cases: Array<[string, string]> = [
      ['result = [1n]', 'result[0] is a BigInt'],
      ['result = { b: new Uint8Array(4) }', 'result.b is bytes'],
      ['result = { p: new Proxy(new Map(), {}) }', 'result.p is a Map'],
    ];
    for (const [script, message] of cases) {
      const out = await runFull(script);
      expect(!out.ok && out.error.kind, script).toBe('result');
      expect(!out.ok && out.error.message.startsWith(message), `${script} → ${JSON.stringify(out)}`).toBe(true);
    }
  });

  it('constructor chains through typed arrays and Proxy stay inside QuickJS', async () => {
    const out = await runFull(`result = [
      Uint8Array.constructor('return typeof process')(),
      new Proxy(function () {}, {}).constructor('return typeof require')(),
    ]`);
    expect(out.ok && out.value).toEqual(['undefined', 'undefined']);
  });
});
