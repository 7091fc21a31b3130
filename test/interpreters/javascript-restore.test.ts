/**
 * The QuickJS worker resets its runtime between runs by copying back the wasm memory it had before any
 * tenant code ran (javascript-guest/worker.cjs `RestorePoint`, quickjs-memory-layout.ts). These tests
 * pin what that must guarantee: nothing of a run survives into the next, Math.random is not replayed,
 * memory a run used is free again, and the layout the copy relies on holds for every kind of run
 * (checked byte by byte in verify mode, which must catch a layout that is wrong).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuickJsEngine } from '../../src/interpreters/javascript.js';
import { BSS_MARGIN, quickJsMemoryLayout, readQuickJsMemoryLayout } from '../../src/interpreters/quickjs-memory-layout.js';
import type { ScriptOutcome, ScriptRequest } from '../../src/binding-core/interpreter-types.js';

const quickjsPath = createRequire(import.meta.url).resolve('quickjs-emscripten');
const shippedWasm = readFileSync(createRequire(quickjsPath).resolve('@jitl/quickjs-wasmfile-release-sync/wasm'));

function request(script: string, extra: Partial<ScriptRequest> = {}): ScriptRequest {
  return { script, inputs: {}, timeoutMs: 1_000, memoryLimitBytes: 16 << 20, ...extra };
}

async function valueOf(engine: QuickJsEngine, script: string, extra: Partial<ScriptRequest> = {}): Promise<unknown> {
  const out = await engine.run(request(script, extra));
  if (!out.ok) throw new Error(`expected success, got ${out.error.kind}: ${out.error.message}`);
  return out.value;
}

/** A wasm binary with one global (the stack pointer) and the given active data segments. */
function wasmWith(stackPointer: number | undefined, segments: Array<[offset: number, length: number]>, passive = false): Uint8Array {
  const leb = (v: number): number[] => {
    const out: number[] = [];
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      out.push(b);
    } while (v !== 0);
    return out;
  };
  const sleb = (v: number): number[] => {
    const out: number[] = [];
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return [...out, b];
      out.push(b | 0x80);
    }
  };
  const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
  const bytes = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  if (stackPointer !== undefined) bytes.push(...section(6, [1, 0x7f, 1, 0x41, ...sleb(stackPointer), 0x0b]));
  const data: number[] = [...leb(segments.length)];
  for (const [offset, length] of segments) {
    if (passive) data.push(1, ...leb(length), ...new Array<number>(length).fill(7));
    else data.push(0, 0x41, ...sleb(offset), 0x0b, ...leb(length), ...new Array<number>(length).fill(7));
  }
  bytes.push(...section(11, data));
  return Uint8Array.from(bytes);
}

describe('the QuickJS memory layout a restore relies on', () => {
  it('is read from the data segments and the stack pointer: static data and BSS end below the stack, the heap starts at its top', () => {
    const layout = readQuickJsMemoryLayout(wasmWith(5 << 20, [[1024, 100], [70_000, 11_523]]), 1 << 20);
    expect(layout).toEqual({ staticEnd: 81_920 + BSS_MARGIN, stackHigh: 5 << 20 });
  });

  it('is refused for a build it does not recognise: no stack pointer, passive segments, a stack too small for QuickJS to overflow first', () => {
    expect(readQuickJsMemoryLayout(wasmWith(undefined, [[1024, 100]]), 1 << 20)).toBeUndefined();
    expect(readQuickJsMemoryLayout(wasmWith(5 << 20, [[1024, 100]], true), 1 << 20)).toBeUndefined();
    expect(readQuickJsMemoryLayout(wasmWith(1 << 20, [[1024, 100]]), 1 << 20)).toBeUndefined();
    expect(readQuickJsMemoryLayout(Uint8Array.from([1, 2, 3]), 1 << 20)).toBeUndefined();
    expect(readQuickJsMemoryLayout(shippedWasm.subarray(0, 4000), 1 << 20)).toBeUndefined();
  });

  it('is recognised in the QuickJS build this package depends on', () => {
    const layout = quickJsMemoryLayout(quickjsPath, 1 << 20);
    expect(layout).toBeDefined();
    expect(layout!.stackHigh - layout!.staticEnd).toBeGreaterThan((1 << 20) + 256 * 1024);
  });
});

describe('runs on a restored QuickJS runtime', () => {
  let engine: QuickJsEngine;
  beforeAll(async () => {
    engine = new QuickJsEngine({ hardKillGraceMs: 1_000, verifyRestore: true });
    await engine.warmUp();
  });
  afterAll(async () => {
    await engine.dispose();
  });

  it('restore is what the engine uses by default; restoreMemory: false and the debug build give a fresh runtime per run', async () => {
    expect(engine.workerIsolation).toEqual(['restore']);
    const fresh = new QuickJsEngine({ restoreMemory: false });
    const debug = new QuickJsEngine({ debug: true });
    try {
      await Promise.all([fresh.warmUp(), debug.warmUp()]);
      expect(fresh.workerIsolation).toEqual(['fresh-runtime']);
      expect(debug.workerIsolation).toEqual(['fresh-runtime']);
      expect(await valueOf(fresh, 'result = a * 2', { inputs: { a: 21 } })).toBe(42);
    } finally {
      await Promise.all([fresh.dispose(), debug.dispose()]);
    }
  });

  it('replayed Math.random: every run gets a new seed, so no two runs draw the same sequence', async () => {
    const draws = new Set<string>();
    for (let i = 0; i < 20; i++) draws.add(JSON.stringify(await valueOf(engine, 'result = [Math.random(), Math.random()]')));
    expect(draws.size).toBe(20);
    // Still QuickJS's own generator, not a script-level stand-in.
    expect(await valueOf(engine, "result = String(Math.random).includes('[native code]')")).toBe(true);
  });

  it('leftover state: globals, builtins, prototypes and pending jobs of a run are gone in the next, after success and after every kind of failure', async () => {
    const poison = `globalThis.secret = 's'; Object.prototype.leaked = 1; Array.prototype.map = null; JSON.parse = () => 0;
      Math.max = () => -1; Promise.resolve().then(() => { globalThis.later = 1 });`;
    const endings = ['result = 1', 'throw new Error("x")', 'while (true) {}', "let s = 'x'; for (;;) s += s;", 'function f() { return f() } f()', 'result = () => 1'];
    for (const ending of endings) {
      await engine.run(request(`${poison} ${ending}`, { timeoutMs: 200, memoryLimitBytes: 8 << 20 }));
      expect(
        await valueOf(
          engine,
          "result = [typeof secret, typeof later, 'leaked' in {}, [1].map((x) => x + 1), JSON.parse('[3]'), Math.max(1, 2), Object.keys(globalThis)]",
        ),
      ).toEqual(['undefined', 'undefined', false, [2], [3], 2, []]);
    }
    expect(engine.restarts).toBe(0);
  });

  it('memory a run used is free again: fifty runs each filling most of the limit all succeed', async () => {
    const fill = 'const a = []; for (let i = 0; i < 60000; i++) a.push({ i, s: "item" + i }); result = a.length';
    for (let i = 0; i < 50; i++) expect(await valueOf(engine, fill, { memoryLimitBytes: 12 << 20 })).toBe(60000);
    // A run over the limit still fails on it.
    const over = await engine.run(request(fill.replace('60000', '600000'), { memoryLimitBytes: 12 << 20 }));
    expect(over.ok ? 'ok' : over.error.kind).toBe('memory');
  });

  it('the layout holds for every kind of run: nothing is written between the static data and the deepest stack (verify mode)', async () => {
    const scripts: Array<[string, Partial<ScriptRequest>?]> = [
      ['result = orders.reduce((s, o) => s + o.v, 0)', { inputs: { orders: Array.from({ length: 50 }, (_, v) => ({ v })) } }],
      ["result = [new Date(0).toISOString(), new Date().getTimezoneOffset(), Date.parse('2020-01-01T00:00:00Z'), new Date(2020, 1, 3).toString().length > 10]"],
      ["result = ['ß'.toUpperCase(), 'é'.normalize('NFD').length, /(\\d+)-(\\d+)/.exec('10-20')[2], 'a,b'.split(/,/), 'abc'.replace(/b/g, 'x')]"],
      ["result = [(0.1).toPrecision(20), (1e21).toString(36), parseFloat('3.14'), Number('0x1f'), (123.456).toFixed(1)]"],
      ['result = JSON.parse(JSON.stringify({ a: [1, { b: [2, 3] }], s: "x".repeat(1000) })).a[1].b'],
      ["result = eval('1 + 1') + Function('return 2')()"],
      ['result = null; Promise.all([1, 2].map(async (x) => x * 2)).then((v) => { result = v })'],
      ['console.log("line", { a: 1 }); console.log(new Error("boom")); result = 1'],
      ['result = [...new Map([[1, 2]]).entries(), ...new Set([3])]'],
      ['function f(n) { return n ? f(n - 1) + 1 : 0 } result = f(1e6)'],
      ['JSON.parse("[".repeat(100000))'],
      ["let s = 'x'; for (;;) s += s;"],
      ['while (true) {}', { timeoutMs: 100 }],
      ['throw new TypeError("bad")'],
      ['syntax error here'],
      ['result = "x".repeat(5e6).length'],
    ];
    const kinds: string[] = [];
    for (const [script, extra] of scripts) {
      const out: ScriptOutcome = await engine.run(request(script, extra));
      kinds.push(out.ok ? 'ok' : out.error.kind);
    }
    expect(kinds).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'memory', 'memory', 'memory', 'timeout', 'runtime', 'syntax', 'ok']);
    // A failed check retires the worker: none was.
    expect(engine.restarts).toBe(0);
    expect(engine.workerIsolation).toEqual(['restore']);
  });

  it('verify mode catches a layout that would skip live static data: its worker is retired before another run', async () => {
    const real = quickJsMemoryLayout(quickjsPath, 1 << 20)!;
    const wrong = new QuickJsEngine({ verifyRestore: true, memoryLayout: { staticEnd: 4096, stackHigh: real.stackHigh } });
    try {
      await wrong.warmUp();
      expect(wrong.workerIsolation).toEqual(['restore']);
      expect(await valueOf(wrong, 'result = [1, 2].map((x) => x * 2)')).toEqual([2, 4]);
      // The run's data went above 4 KB: the check after the restore retires the worker; the next run gets a new one.
      expect(await valueOf(wrong, 'result = 3')).toBe(3);
      expect(wrong.restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await wrong.dispose();
    }
  });
});
