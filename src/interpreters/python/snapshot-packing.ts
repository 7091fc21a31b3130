/**
 * Packs a Pyodide memory snapshot without its zero pages, for isolates to restore without touching them.
 *
 * About half of a fresh snapshot's 30 MB heap image is zero pages (nearly all of the 10 MB C stack,
 * and heap Python reserved but never wrote). Pyodide restores a snapshot by copying the whole image
 * over the new instance's memory, which touches every page, so each warm sandbox carried those pages
 * as resident memory, and each isolate received a 30 MB copy to restore from. The host packs the
 * snapshot once per process: the header as it is, then only the bytes outside the zero pages, with a
 * layout saying where the zero pages were. The guest (`guest/restore-heap.js`) copies the bytes back
 * to their addresses and leaves the zero pages alone where the new memory is still zero, so the
 * memory ends up equal to the image, byte for byte.
 *
 * @module
 */

/** The unit of the layout: the operating system's page, the unit of resident memory. */
export const ZERO_PAGE_BYTES = 4096;

/** The first word of a `makeMemorySnapshot` image in the checked Pyodide version (the bytes "\0snp"). */
const PYODIDE_SNAPSHOT_MAGIC = 1_886_286_592;

const ZERO_PAGE = Buffer.alloc(ZERO_PAGE_BYTES);

/** A snapshot without its zero pages. */
export interface PackedSnapshot {
  /** The snapshot's header (up to its heap offset), then the heap image's bytes outside the zero pages, in order. */
  packed: Uint8Array;
  /**
   * `[heapLength, start₀, end₀, start₁, end₁, …]`: the heap image's length, then its runs of whole
   * zero pages as `[start, end)` heap addresses (multiples of {@link ZERO_PAGE_BYTES}), ascending and
   * not adjacent. A last partial page is never a zero run.
   */
  layout: Uint32Array;
}

/**
 * The byte offset of the heap image in a Pyodide snapshot (its header: magic, heap offset, length of
 * the JSON that follows), or `undefined` when the bytes are not laid out like that.
 */
export function snapshotHeapOffset(snapshot: Uint8Array): number | undefined {
  if (snapshot.byteLength < 12) return undefined;
  const view = new DataView(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
  const offset = view.getUint32(4, true);
  if (view.getUint32(0, true) !== PYODIDE_SNAPSHOT_MAGIC) return undefined;
  if (offset < 12 || offset % 4 !== 0 || offset >= snapshot.byteLength) return undefined;
  return offset;
}

/** Runs of whole zero pages in `heap`, as `[start, end)` pairs; see {@link PackedSnapshot.layout}. */
function zeroPageRuns(heap: Uint8Array): number[] {
  const bytes = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength);
  const runs: number[] = [];
  const wholePages = Math.floor(bytes.byteLength / ZERO_PAGE_BYTES);
  let runStart = -1;
  for (let page = 0; page <= wholePages; page++) {
    const start = page * ZERO_PAGE_BYTES;
    const zero = page < wholePages && bytes.subarray(start, start + ZERO_PAGE_BYTES).equals(ZERO_PAGE);
    if (zero && runStart < 0) runStart = start;
    else if (!zero && runStart >= 0) {
      runs.push(runStart, start);
      runStart = -1;
    }
  }
  return runs;
}

/** The snapshot packed without its zero pages; `undefined` when its header is not Pyodide's. */
export function packSnapshot(snapshot: Uint8Array): PackedSnapshot | undefined {
  const offset = snapshotHeapOffset(snapshot);
  if (offset === undefined) return undefined;
  const heap = snapshot.subarray(offset);
  const runs = zeroPageRuns(heap);
  let zeroBytes = 0;
  for (let i = 0; i < runs.length; i += 2) zeroBytes += runs[i + 1]! - runs[i]!;
  const packed = new Uint8Array(offset + heap.byteLength - zeroBytes);
  packed.set(snapshot.subarray(0, offset));
  let to = offset;
  let from = 0;
  for (let i = 0; i <= runs.length; i += 2) {
    const end = i < runs.length ? runs[i]! : heap.byteLength;
    packed.set(heap.subarray(from, end), to);
    to += end - from;
    from = runs[i + 1] ?? heap.byteLength;
  }
  return { packed, layout: Uint32Array.from([heap.byteLength, ...runs]) };
}
