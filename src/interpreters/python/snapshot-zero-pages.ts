/**
 * Which pages of a Pyodide memory snapshot's heap image hold nothing but zeros.
 *
 * About half of a fresh snapshot's 30 MB heap image is zero pages (nearly all of the 10 MB C stack, and
 * heap Python reserved but never wrote). Pyodide restores a snapshot by copying the whole image over the new instance's memory, which
 * touches every page, so each warm sandbox carried those pages as resident memory. Memory that the
 * instance has not handed out yet (at or above its `sbrk` break) is still zero, so the guest may skip
 * a zero page there: the result is byte for byte the same and the page is never touched
 * (`guest/boot.js`, `restoreHeap`). This module finds the zero pages once per process, on the host.
 *
 * @module
 */

/** The unit of the map: the operating system's page, the unit of resident memory. */
export const ZERO_PAGE_BYTES = 4096;

/** The first word of a `makeMemorySnapshot` image in the checked Pyodide version (the bytes "\0snp"). */
const PYODIDE_SNAPSHOT_MAGIC = 1_886_286_592;

const ZERO_PAGE = Buffer.alloc(ZERO_PAGE_BYTES);

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

/**
 * Runs of whole zero pages in the snapshot's heap image, as `[start, end)` byte pairs in heap
 * addresses (multiples of {@link ZERO_PAGE_BYTES}), ascending and not adjacent. A last partial page
 * is never listed. `undefined` when the snapshot's header is not Pyodide's.
 */
export function zeroPageRuns(snapshot: Uint8Array): Uint32Array | undefined {
  const offset = snapshotHeapOffset(snapshot);
  if (offset === undefined) return undefined;
  const heap = Buffer.from(snapshot.buffer, snapshot.byteOffset + offset, snapshot.byteLength - offset);
  const runs: number[] = [];
  const wholePages = Math.floor(heap.byteLength / ZERO_PAGE_BYTES);
  let runStart = -1;
  for (let page = 0; page <= wholePages; page++) {
    const start = page * ZERO_PAGE_BYTES;
    const zero = page < wholePages && heap.subarray(start, start + ZERO_PAGE_BYTES).equals(ZERO_PAGE);
    if (zero && runStart < 0) runStart = start;
    else if (!zero && runStart >= 0) {
      runs.push(runStart, start);
      runStart = -1;
    }
  }
  return Uint32Array.from(runs);
}
