/**
 * Reading a WebAssembly binary's structure: LEB128 numbers and the list of sections. The one place
 * that parses wasm bytes; used to cap Pyodide's memory (`interpreters/python/wasm-memory-cap.ts`)
 * and to find where QuickJS keeps its state (`interpreters/quickjs-memory-layout.ts`).
 *
 * Every reader throws {@link WasmFormatError} on bytes that are not what the format says; callers
 * turn it into their own error or fallback.
 * @module
 */

/** The binary is not well-formed wasm where it was read. */
export class WasmFormatError extends RangeError {
  override readonly name = 'WasmFormatError';
}

/** An unsigned 32-bit LEB128 at `pos`: its value and the position after it. */
export function readU32Leb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  for (let shift = 0; shift <= 28; shift += 7) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new WasmFormatError('wasm binary ends inside a LEB128 number');
    result += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return [result, pos];
  }
  throw new WasmFormatError('malformed LEB128 in wasm binary');
}

/** A signed 32-bit LEB128 at `pos` (an `i32.const` operand): its value and the position after it. */
export function readI32Leb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[pos++];
    if (byte === undefined) throw new WasmFormatError('wasm binary ends inside a LEB128 number');
    if (shift > 28) throw new WasmFormatError('malformed LEB128 in wasm binary');
    result |= (byte & 0x7f) << shift;
    shift += 7;
    if (!(byte & 0x80)) {
      if (shift < 32 && byte & 0x40) result |= -1 << shift;
      return [result, pos];
    }
  }
}

/** One section: its id, where it starts (its id byte) and where its body starts and ends. */
export interface WasmSection {
  readonly id: number;
  readonly start: number;
  readonly bodyStart: number;
  readonly end: number;
}

/** The sections of a wasm module, in order, after checking the magic number and version 1. */
export function wasmSections(bytes: Uint8Array): WasmSection[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    throw new WasmFormatError('not a version 1 wasm binary');
  }
  const sections: WasmSection[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos] as number;
    const [size, bodyStart] = readU32Leb(bytes, pos + 1);
    const end = bodyStart + size;
    if (end > bytes.length) throw new WasmFormatError(`wasm section ${id} runs past the end of the binary`);
    sections.push({ id, start: pos, bodyStart, end });
    pos = end;
  }
  return sections;
}
