// @ts-check
/**
 * Copies a Pyodide snapshot's heap image into a new instance's memory without touching the image's
 * zero pages where memory is still zero, so that those pages never become resident (about half of
 * the image). A classic script, concatenated into the isolate bundle before boot.js (see
 * pyodide-bundle.ts); it leaves `restoreHeap` on `globalThis.__btpRestoreHeap`, which boot.js takes
 * and deletes.
 *
 * Which memory is still zero: the instance was created moments ago, so everything at or above the
 * `sbrk` break, which nothing has been handed yet, is zero. Below the break a zero page of the image
 * is skipped only after the same page of memory reads as zero (reading an untouched page does not
 * make it resident). Every other byte is copied: the memory ends up equal to the image, byte for byte.
 */

(function () {
  'use strict';
  var PAGE = 4096;

  /**
   * True when the words in [from, to) bytes (multiples of 4) are all zero.
   * @param {Int32Array} words @param {number} from @param {number} to
   */
  function zeroRange(words, from, to) {
    var acc = 0;
    for (var i = from >> 2, end = to >> 2; i < end; i++) acc |= words[i];
    return acc === 0;
  }

  /**
   * @param {ArrayBuffer} memory the instance's memory, at least as long as the image (else a whole copy, which throws)
   * @param {Uint8Array} image the heap part of the snapshot (heap address 0 first)
   * @param {Uint32Array | null} zeroPages [start, end) byte pairs of the image's whole zero pages,
   *   ascending (from the host, `snapshot-zero-pages.ts`); pairs that are not page-aligned or out of
   *   order are ignored (their bytes are copied)
   * @param {number} brk the instance's `sbrk` break; 0 copies the whole image
   * @param {boolean} verify compare the memory with the image afterwards and throw on a difference
   * @returns {number} bytes of the image left unwritten
   */
  function restoreHeap(memory, image, zeroPages, brk, verify) {
    var heap = new Uint8Array(memory);
    if (!zeroPages || !(brk > 0) || heap.length < image.length) { heap.set(image); return 0; }
    var words = new Int32Array(memory, 0, heap.length >> 2);
    var from = 0, skipped = 0;
    /** Copies the image up to `start` and leaves [start, end) as it is. */
    function skip(start, end) {
      if (start > from) heap.set(image.subarray(from, start), from);
      skipped += end - start;
      from = end;
    }
    for (var i = 0; i + 1 < zeroPages.length; i += 2) {
      var start = zeroPages[i], end = Math.min(zeroPages[i + 1], image.length);
      if (start < from || start % PAGE !== 0 || start >= end) continue;
      var run = -1, p = start;
      // below the break, page by page: skip the pages that memory still holds as zero
      for (; p < end && p < brk; p += PAGE) {
        if (zeroRange(words, p, Math.min(p + PAGE, end))) { if (run < 0) run = p; }
        else if (run >= 0) { skip(run, p); run = -1; }
      }
      if (p < end) skip(run >= 0 ? run : p, end); // the rest is at or above the break
      else if (run >= 0) skip(run, end);
    }
    if (from < image.length) heap.set(image.subarray(from), from);
    if (verify) {
      for (var k = 0; k < image.length; k++) {
        if (heap[k] !== image[k]) throw new Error('sandbox: snapshot restore differs from the image at byte ' + k + ' (break ' + brk + ')');
      }
    }
    return skipped;
  }

  Object.defineProperty(globalThis, '__btpRestoreHeap', { value: restoreHeap, configurable: true });
})();
