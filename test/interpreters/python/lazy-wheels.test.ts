/**
 * Memory per warm sandbox: wheels of `packageDir` are copied into an isolate only when one of its
 * scripts first imports them (with their dependencies), not at boot. Real Pyodide, real isolate.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_LIMITS } from '../../../src/binding-core/interpreter-props.js';
import { defaultSnapshotCacheDir } from '../../../src/interpreters/python/cache-dir.js';
import { loadPackageSet, packageClosure, releasePackageSet, type PackageFile, type PackageSet } from '../../../src/interpreters/python/packages.js';
import { PyodideIsolate } from '../../../src/interpreters/python/pyodide-isolate.js';
import { getPyodideRuntime } from '../../../src/interpreters/python/pyodide-runtime.js';
import { getSnapshot } from '../../../src/interpreters/python/snapshot.js';

const fixtures = join(import.meta.dirname, '../../fixtures/python-wheels');
const WHEEL = 'tabulate-0.9.0-py3-none-any.whl';
const limits = { maxOutputLines: 100, maxOutputChars: 10_000, maxResultChars: 100_000, maxDepth: 32, heapLimitBytes: 256 * 2 ** 20 };
const options = { jsHeapLimitMb: 128, wasmBudgetPages: 256, bootTimeoutMs: 60_000 };

let packages: PackageSet;
let isolate: PyodideIsolate;
beforeAll(async () => {
  const runtime = await getPyodideRuntime(PYTHON_LIMITS.maxMemoryBytes);
  packages = await loadPackageSet(runtime.dist.lockJson, { packageDir: fixtures });
  const snapshot = await getSnapshot(runtime, { ...options, cacheDir: defaultSnapshotCacheDir() });
  isolate = await PyodideIsolate.create({ runtime, snapshot, packages, ...options });
}, 120_000);
afterAll(() => {
  isolate?.dispose();
  if (packages) releasePackageSet(packages);
});

describe('wheels are copied into an isolate on first import', () => {
  it('unimported wheels cost an isolate nothing; the first import copies the wheel once', async () => {
    // Looked at from inside the isolate (its file map, reached through a JsProxy constructor chain):
    // before any import the wheel is not there; after the import it is unpacked and dropped again.
    const wheelInIsolate = `import pyodide_js\nF = pyodide_js.runPython.constructor\nresult = F("try { return readbuffer('${WHEEL}').byteLength } catch (e) { return -1 }")()`;
    expect(isolate.wheelBytesCopied).toBe(0);
    expect((await isolate.run(wheelInIsolate, '{}', limits, 10_000)).outcome).toMatchObject({ ok: true, value: -1 });
    expect(isolate.wheelBytesCopied).toBe(0);
    const script = 'from tabulate import tabulate\nresult = tabulate([xs], tablefmt="plain")';
    expect((await isolate.run(script, '{"xs":[1,2,3]}', limits, 30_000)).outcome).toMatchObject({ ok: true, value: '1  2  3' });
    const size = (await readFile(join(fixtures, WHEEL))).length;
    expect(isolate.wheelBytesCopied).toBe(size);
    expect((await isolate.run(wheelInIsolate, '{}', limits, 10_000)).outcome).toMatchObject({ ok: true, value: -1 });
    expect((await isolate.run(script, '{"xs":[4]}', limits, 30_000)).outcome).toMatchObject({ ok: true, value: '4' });
    expect(isolate.wheelBytesCopied).toBe(size);
  }, 60_000);

  it('a package brings its dependencies, transitively and each once', () => {
    const file = (name: string, depends: string[]): PackageFile => ({ name, fileName: `${name}.whl`, sha256: '', depends, size: 1, bytes: undefined as never });
    const set = { lock: undefined as never, importMap: {}, files: [file('a', ['b', 'c']), file('b', ['c']), file('c', []), file('d', [])] };
    expect(packageClosure(set, ['a']).map((f) => f.name).sort()).toEqual(['a', 'b', 'c']);
    expect(packageClosure(set, ['d', 'c']).map((f) => f.name).sort()).toEqual(['c', 'd']);
    expect(packageClosure(set, ['unknown'])).toEqual([]);
  });
});
