import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { capWasmMemory } from '../../../src/interpreters/python/wasm-memory-cap.js';

/** A minimal module: one defined memory, flags, initial (and maybe max) pages, exported as "memory". */
function moduleWithMemory(flags: number, limits: number[]): Uint8Array {
  const memory = [1, flags, ...limits];
  const exportSec = [1, 6, ...Buffer.from('memory'), 2, 0];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, memory.length, ...memory, 7, exportSec.length, ...exportSec]);
}

const wasm = globalThis as unknown as {
  WebAssembly: {
    Module: new (b: Uint8Array) => object;
    Instance: new (m: object) => { exports: { memory: { grow(n: number): number; buffer: ArrayBuffer } } };
  };
};

describe('capWasmMemory', () => {
  it('wasm memory cap: a memory without a maximum gets one, and growing past it fails', () => {
    const capped = capWasmMemory(moduleWithMemory(0, [1]), 3);
    expect(capped.initialPages).toBe(1);
    expect(capped.previousMaxPages).toBeUndefined();
    const { memory } = new wasm.WebAssembly.Instance(new wasm.WebAssembly.Module(capped.bytes)).exports;
    memory.grow(2);
    expect(memory.buffer.byteLength).toBe(3 * 65536);
    expect(() => memory.grow(1)).toThrow(RangeError);
  });

  it('lowers an existing maximum', () => {
    const capped = capWasmMemory(moduleWithMemory(1, [1, 100]), 2);
    expect(capped.previousMaxPages).toBe(100);
    const { memory } = new wasm.WebAssembly.Instance(new wasm.WebAssembly.Module(capped.bytes)).exports;
    expect(() => memory.grow(2)).toThrow(RangeError);
  });

  it('refuses a cap below the initial size, and binaries without a defined memory', () => {
    expect(() => capWasmMemory(moduleWithMemory(0, [4]), 2)).toThrow(/needs 4 pages initially/);
    expect(() => capWasmMemory(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), 2)).toThrow(/defines no memory/);
  });

  it("caps the pinned Pyodide binary's memory", () => {
    const path = createRequire(import.meta.url).resolve('pyodide/pyodide.asm.wasm');
    const capped = capWasmMemory(readFileSync(path), 4096);
    expect(capped.initialPages).toBeLessThanOrEqual(4096);
    expect(capped.bytes.length).toBeGreaterThan(1_000_000);
  });
});
