/**
 * Where the QuickJS wasm build keeps its state in linear memory (private helper of
 * `javascript-worker-pool.ts`), read from the `.wasm` file quickjs-emscripten loads.
 *
 * The worker resets QuickJS between runs by copying back the memory it had right after the trusted
 * prelude was evaluated (see `javascript-guest/worker.cjs`, `RestorePoint`). An emscripten build lays
 * memory out as `[static data | BSS | C stack (grows down) | heap (grows up)]`: the static part and the
 * heap hold state, the stack holds nothing between two calls into wasm. This module finds the two
 * boundaries the copy needs:
 * - the end of the static data: the end of the last active data segment, plus {@link BSS_MARGIN}
 *   for the zero-initialised statics after it (BSS has no segment of its own; 2.8 KB in
 *   quickjs-emscripten 0.31);
 * - the top of the C stack, which is where the heap starts: the initial value of the first global,
 *   `__stack_pointer` (wasm-ld always emits it first).
 *
 * A build that does not look like that (no stack pointer, data above the stack, too little stack
 * between the two for the deepest stack QuickJS may use) gives `undefined`, and the worker falls back
 * to a fresh QuickJS runtime per run. The test `javascript-restore.test.ts` checks, with every kind of
 * run, that nothing outside these two ranges is written except the stack.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readI32Leb, readU32Leb, wasmSections, WasmFormatError, type WasmSection } from '../platform/wasm-binary.js';

/** What a memory restore copies: `[0, staticEnd)` and `[stackHigh, heap end)`. */
export interface QuickJsMemoryLayout {
  /** End of static data and BSS (exclusive), rounded up; the C stack lies between this and `stackHigh`. */
  readonly staticEnd: number;
  /** Top of the C stack (its pointer between calls) and start of the heap. */
  readonly stackHigh: number;
}

/** Bytes restored past the last data segment, for BSS. */
export const BSS_MARGIN = 64 * 1024;
/** Stack below `stackHigh` a restore may skip besides QuickJS's own limit: C frames past QuickJS's check. */
const STACK_SLACK = 256 * 1024;

const SECTION_GLOBAL = 6;
const SECTION_DATA = 11;
const OP_I32_CONST = 0x41;
const OP_END = 0x0b;
const TYPE_I32 = 0x7f;

/**
 * Reads the layout of an emscripten wasm binary, or `undefined` when it is not the expected shape or
 * leaves less than `maxStackBytes` + slack of C stack between the static data and the heap.
 */
export function readQuickJsMemoryLayout(wasm: Uint8Array, maxStackBytes: number): QuickJsMemoryLayout | undefined {
  let stackHigh: number | undefined;
  let dataEnd: number | undefined;
  try {
    for (const section of wasmSections(wasm)) {
      if (section.id === SECTION_GLOBAL) stackHigh = firstGlobalI32(wasm, section);
      else if (section.id === SECTION_DATA) dataEnd = activeDataEnd(wasm, section);
    }
  } catch (e) {
    if (e instanceof WasmFormatError) return undefined;
    throw e;
  }
  if (stackHigh === undefined || !dataEnd) return undefined;
  const staticEnd = Math.ceil(dataEnd / 4096) * 4096 + BSS_MARGIN;
  if (stackHigh - staticEnd < maxStackBytes + STACK_SLACK) return undefined;
  return { staticEnd, stackHigh };
}

/** The initial value of global 0 when it is a mutable i32 set by `i32.const` (wasm-ld's `__stack_pointer`). */
function firstGlobalI32(wasm: Uint8Array, section: WasmSection): number | undefined {
  const [count, p] = readU32Leb(wasm, section.bodyStart);
  if (count === 0 || wasm[p] !== TYPE_I32 || wasm[p + 1] !== 1 || wasm[p + 2] !== OP_I32_CONST) return undefined;
  const [value, next] = readI32Leb(wasm, p + 3);
  return wasm[next] === OP_END && value > 0 ? value : undefined;
}

/**
 * The end of the highest active data segment of memory 0 placed by `i32.const`; undefined when any
 * segment is passive or placed otherwise (then the static data's extent is not known from the file).
 */
function activeDataEnd(wasm: Uint8Array, section: WasmSection): number | undefined {
  let end = 0;
  let [count, p] = readU32Leb(wasm, section.bodyStart);
  for (; count > 0; count--) {
    let flag: number;
    [flag, p] = readU32Leb(wasm, p);
    if (flag === 2) {
      let memoryIndex: number;
      [memoryIndex, p] = readU32Leb(wasm, p);
      if (memoryIndex !== 0) return undefined;
    } else if (flag !== 0) return undefined;
    if (wasm[p++] !== OP_I32_CONST) return undefined;
    let offset: number;
    [offset, p] = readI32Leb(wasm, p);
    if (wasm[p++] !== OP_END || offset < 0) return undefined;
    let length: number;
    [length, p] = readU32Leb(wasm, p);
    p += length;
    if (p > section.end) return undefined;
    end = Math.max(end, offset + length);
  }
  return end;
}

const layouts = new Map<string, QuickJsMemoryLayout | undefined>();

/**
 * The layout of the release build quickjs-emscripten (at `quickjsPath`) loads, read once per process;
 * `undefined` when the file cannot be found or read as expected.
 */
export function quickJsMemoryLayout(quickjsPath: string, maxStackBytes: number): QuickJsMemoryLayout | undefined {
  const key = `${quickjsPath}\0${maxStackBytes}`;
  if (layouts.has(key)) return layouts.get(key);
  let layout: QuickJsMemoryLayout | undefined;
  try {
    const wasmPath = createRequire(quickjsPath).resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
    layout = readQuickJsMemoryLayout(readFileSync(wasmPath), maxStackBytes);
  } catch {
    layout = undefined;
  }
  layouts.set(key, layout);
  return layout;
}
