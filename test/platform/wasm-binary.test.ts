import { describe, expect, it } from 'vitest';
import { readI32Leb, readU32Leb, wasmSections, WasmFormatError } from '../../src/platform/wasm-binary.js';

describe('wasm binary reading', () => {
  it('reads unsigned and signed LEB128 numbers, with the position after them', () => {
    expect(readU32Leb(Uint8Array.from([0xe5, 0x8e, 0x26, 9]), 0)).toEqual([624_485, 3]);
    expect(readU32Leb(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]), 0)).toEqual([4_294_967_295, 5]);
    expect(readI32Leb(Uint8Array.from([0xc0, 0xbb, 0x78]), 0)).toEqual([-123_456, 3]);
    expect(readI32Leb(Uint8Array.from([0x7f]), 0)).toEqual([-1, 1]);
    expect(readI32Leb(Uint8Array.from([0xa0, 0x93, 0xc5, 0x02]), 0)).toEqual([5_327_264, 4]);
  });

  it('refuses a number cut short or longer than 32 bits, and a file that is not wasm, with WasmFormatError', () => {
    expect(() => readU32Leb(Uint8Array.from([0x80, 0x80]), 0)).toThrow(WasmFormatError);
    expect(() => readU32Leb(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0)).toThrow(/malformed LEB128/);
    expect(() => readI32Leb(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0)).toThrow(/malformed LEB128/);
    expect(() => wasmSections(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0]))).toThrow(/not a version 1 wasm binary/);
    expect(() => wasmSections(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 10, 0]))).toThrow(/runs past the end/);
  });

  it('lists the sections with where their bodies start and end', () => {
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 2, 0xaa, 0xbb, 11, 0]);
    expect(wasmSections(bytes)).toEqual([
      { id: 1, start: 8, bodyStart: 10, end: 12 },
      { id: 11, start: 12, bodyStart: 14, end: 14 },
    ]);
  });
});
