// @ts-check
/**
 * Restores a packed Pyodide snapshot (see snapshot-packing.ts: the heap image without its zero pages,
 * and a layout saying where they were) into a new instance's memory, without touching the zero pages
 * where memory is still zero, so that they never become resident (about half of the image). A classic
 * script, concatenated into the isolate bundle before boot.js (see pyodide-bundle.ts); it leaves
 * `restoreHeap` on `globalThis.__btpRestoreHeap`, which boot.js takes and deletes.
 *
 * Which memory is still zero: the instance was created moments ago, so everything at or above the
 * `sbrk` break, which nothing has been handed yet, is zero. Below the break a zero page of the image
 * is left alone only after the same page of memory reads as zero (reading an untouched page does not
 * make it resident), and written with zeros otherwise. Every other byte is copied: the memory ends up
 * equal to the image, byte for byte.
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

  /** @param {string} what */
  function malformed(what) {
    return new Error('sandbox: the snapshot does not match its layout (' + what + ')');
  }

  /**
   * @param {ArrayBuffer} memory the instance's memory
   * @param {Uint8Array} packed the heap part of the snapshot: the whole image when `layout` is null,
   *   else only its bytes outside the zero pages
   * @param {Uint32Array | null} layout `[heapLength, start, end, …]` (zero page runs, from the host)
   * @param {number} brk the instance's `sbrk` break; 0 writes every page (zeros included)
   * @param {string} mode 'sparse', 'whole' (every page written, as Pyodide's own copy) or 'verify'
   *   (sparse, then the memory is compared with the image and a difference throws)
   * @returns {number} bytes of the image left unwritten
   */
  function restoreHeap(memory, packed, layout, brk, mode) {
    var heap = new Uint8Array(memory);
    if (!layout) { heap.set(packed); return 0; }
    var length = layout[0];
    if (heap.length < length) throw new RangeError('sandbox: the memory is shorter than the snapshot (' + heap.length + ' < ' + length + ')');
    var words = new Int32Array(memory, 0, heap.length >> 2);
    var writeAll = mode === 'whole' || !(brk > 0);
    var src = 0, pos = 0, skipped = 0, i, start, end, p;
    /** @param {number} to */
    function copyUpTo(to) {
      var n = to - pos;
      if (src + n > packed.length) throw malformed('bytes end early');
      heap.set(packed.subarray(src, src + n), pos);
      src += n;
    }
    for (i = 1; i + 1 < layout.length; i += 2) {
      start = layout[i]; end = layout[i + 1];
      if (start < pos || end <= start || end > length || start % PAGE !== 0 || end % PAGE !== 0) throw malformed('zero run ' + start + '-' + end);
      copyUpTo(start);
      for (p = start; p < end; p += PAGE) {
        if (!writeAll && (p >= brk || zeroRange(words, p, p + PAGE))) skipped += PAGE;
        else heap.fill(0, p, p + PAGE);
      }
      pos = end;
    }
    copyUpTo(length);
    if (src !== packed.length) throw malformed((packed.length - src) + ' bytes left over');
    if (mode === 'verify') verify(heap, words, packed, layout);
    return skipped;
  }

  /** Throws unless the memory equals the image the packed bytes and the layout describe. */
  function verify(heap, words, packed, layout) {
    var src = 0, pos = 0, k;
    for (var i = 1; i <= layout.length; i += 2) {
      var start = i < layout.length ? layout[i] : layout[0];
      for (k = pos; k < start; k++, src++) {
        if (heap[k] !== packed[src]) throw new Error('sandbox: snapshot restore differs from the image at byte ' + k);
      }
      if (i < layout.length && !zeroRange(words, start, layout[i + 1])) throw new Error('sandbox: snapshot restore left a zero page of the image non-zero in ' + start + '-' + layout[i + 1]);
      pos = i < layout.length ? layout[i + 1] : start;
    }
  }

  Object.defineProperty(globalThis, '__btpRestoreHeap', { value: restoreHeap, configurable: true });
})();
