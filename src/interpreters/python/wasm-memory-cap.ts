/**
 * Hard cap on Pyodide's WebAssembly linear memory.
 *
 * isolated-vm's `memoryLimit` counts the V8 heap, not wasm linear memory, so a Python script could
 * otherwise grow Pyodide's memory to the 4 GB wasm32 maximum. We rewrite the maximum of the memory
 * that the binary itself defines (the memory section, id 5) before compiling it: no guest code,
 * not even a wasm `memory.grow` instruction, can grow it past that.
 *
 * @module
 */
import { InvalidInputError, RuntimeCompatibilityError } from '../../errors.js';
import { readU32Leb, wasmSections, WasmFormatError, type WasmSection } from '../../platform/wasm-binary.js';

/** Bytes per wasm page. */
export const WASM_PAGE_BYTES = 65_536;

/** What {@link capWasmMemory} found and wrote. */
export interface WasmMemoryCap {
  /** The rewritten binary. */
  bytes: Uint8Array;
  /** Initial pages declared by the binary. */
  initialPages: number;
  /** Maximum pages declared by the binary before the rewrite (`undefined`: unbounded). */
  previousMaxPages: number | undefined;
}

function u32Leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

/**
 * Returns a copy of `wasm` whose single defined memory has maximum `maxPages`.
 * Throws when the binary imports its memory, defines several, is memory64, or needs more than
 * `maxPages` initially: those are not the Pyodide binary this was written for.
 */
export function capWasmMemory(wasm: Uint8Array, maxPages: number): WasmMemoryCap {
  if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > 65_536) {
    throw new InvalidInputError('capping wasm memory failed', `the cap must be 1..65536 pages, got ${maxPages}`);
  }
  try {
    const memory = wasmSections(wasm).find((s) => s.id === 5);
    if (memory) return withMaxPages(wasm, memory, maxPages);
  } catch (e) {
    if (e instanceof WasmFormatError) throw new RuntimeCompatibilityError('pyodide', e.message);
    throw e;
  }
  throw new RuntimeCompatibilityError('pyodide', 'the wasm binary defines no memory (imported memory cannot be capped here)');
}

/** Rewrites the memory section (id 5) so that its one memory has maximum `maxPages`. */
function withMaxPages(wasm: Uint8Array, memory: WasmSection, maxPages: number): WasmMemoryCap {
  const { start: pos, bodyStart, end } = memory;
  let [count, p] = readU32Leb(wasm, bodyStart);
  if (count !== 1) throw new RuntimeCompatibilityError('pyodide', `expected exactly one defined wasm memory, found ${count}`);
  const flags = wasm[p++]!;
  if (flags & 0x04) throw new RuntimeCompatibilityError('pyodide', 'memory64 is not supported');
  if (flags & 0x02) throw new RuntimeCompatibilityError('pyodide', 'shared memory is not supported');
  let initialPages: number;
  let previousMaxPages: number | undefined;
  [initialPages, p] = readU32Leb(wasm, p);
  if (flags & 0x01) [previousMaxPages, p] = readU32Leb(wasm, p);
  if (initialPages > maxPages) {
    throw new InvalidInputError('capping wasm memory failed', `the binary needs ${initialPages} pages initially, more than the cap of ${maxPages}`, { hint: 'raise the memory limit' });
  }
  const body = [...u32Leb(1), flags | 0x01, ...u32Leb(initialPages), ...u32Leb(maxPages), ...wasm.subarray(p, end)];
  const section = [5, ...u32Leb(body.length), ...body];
  const bytes = new Uint8Array(pos + section.length + (wasm.length - end));
  bytes.set(wasm.subarray(0, pos), 0);
  bytes.set(section, pos);
  bytes.set(wasm.subarray(end), pos + section.length);
  return { bytes, initialPages, previousMaxPages };
}
