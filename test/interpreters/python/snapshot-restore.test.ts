/**
 * Restoring a Pyodide snapshot without touching its zero pages (memory per warm sandbox): the packing
 * made on the host, the guest's restore (`guest/restore-heap.js`, run here as the isolate runs it, on
 * plain ArrayBuffers), and real isolates booted each way.
 */
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_LIMITS } from '../../../src/binding-core/interpreter-props.js';
import { guestSource } from '../../../src/guest-source.js';
import { defaultSnapshotCacheDir } from '../../../src/interpreters/python/cache-dir.js';
import { PyodideIsolate, type SnapshotRestore } from '../../../src/interpreters/python/pyodide-isolate.js';
import { getPyodideRuntime, type PyodideRuntime } from '../../../src/interpreters/python/pyodide-runtime.js';
import { getSnapshot, type PyodideSnapshot } from '../../../src/interpreters/python/snapshot.js';
import { packSnapshot, snapshotHeapOffset, ZERO_PAGE_BYTES } from '../../../src/interpreters/python/snapshot-packing.js';

const PAGE = ZERO_PAGE_BYTES;
const MAGIC = 1_886_286_592;

/** A snapshot laid out like Pyodide's: magic, heap offset, then the heap image at `offset`. */
function snapshotOf(heap: Uint8Array, offset = 64, magic = MAGIC): Uint8Array {
  const bytes = new Uint8Array(offset + heap.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic, true);
  view.setUint32(4, offset, true);
  bytes.set(heap, offset);
  return bytes;
}

/** A heap image of `pages` pages, where the listed pages hold a non-zero byte at `at`. */
function imageWith(pages: number, nonZero: number[], at = 100): Uint8Array {
  const heap = new Uint8Array(pages * PAGE);
  for (const p of nonZero) heap[p * PAGE + at] = p + 1;
  return heap;
}

type RestoreHeap = (memory: ArrayBuffer, packed: Uint8Array, layout: Uint32Array | null, brk: number, mode: SnapshotRestore) => number;

/** The guest's restoreHeap, evaluated from its source the way the isolate bundle evaluates it. */
function guestRestoreHeap(): RestoreHeap {
  const context: Record<string, unknown> = { Uint8Array, Int32Array, Math, Object, Error, RangeError };
  context.globalThis = context;
  runInNewContext(guestSource('interpreters/python/guest/restore-heap.js'), context);
  return context.__btpRestoreHeap as RestoreHeap;
}

/** The heap part of a packed snapshot of `image`, and its layout. */
function packed(image: Uint8Array, offset = 64): { bytes: Uint8Array; layout: Uint32Array } {
  const p = packSnapshot(snapshotOf(image, offset))!;
  return { bytes: p.packed.subarray(offset), layout: p.layout };
}

describe('packing a snapshot without its zero pages', () => {
  it('keeps the header and the bytes outside whole zero pages; the layout says where the zero pages were', () => {
    const heap = new Uint8Array(6 * PAGE + 100);
    heap[0] = 1;
    heap[3 * PAGE + PAGE - 1] = 7; // the last byte of page 3 is what keeps it out
    heap[6 * PAGE + 99] = 9; // in the last, partial page
    const snapshot = snapshotOf(heap, 128);
    const { packed: bytes, layout } = packSnapshot(snapshot)!;
    expect(Array.from(layout)).toEqual([heap.length, PAGE, 3 * PAGE, 4 * PAGE, 6 * PAGE]);
    expect(bytes.length).toBe(128 + PAGE + PAGE + 100);
    expect(bytes.subarray(0, 128)).toEqual(snapshot.subarray(0, 128));
    expect(bytes.subarray(128)).toEqual(Uint8Array.from([...heap.subarray(0, PAGE), ...heap.subarray(3 * PAGE, 4 * PAGE), ...heap.subarray(6 * PAGE)]));
    expect(snapshotHeapOffset(snapshot)).toBe(128);
  });

  it('an image with no zero page, or only zero pages, packs as such', () => {
    const full = packSnapshot(snapshotOf(imageWith(3, [0, 1, 2])))!;
    expect(Array.from(full.layout)).toEqual([3 * PAGE]);
    expect(full.packed.length).toBe(64 + 3 * PAGE);
    const empty = packSnapshot(snapshotOf(new Uint8Array(3 * PAGE)))!;
    expect(Array.from(empty.layout)).toEqual([3 * PAGE, 0, 3 * PAGE]);
    expect(empty.packed.length).toBe(64);
  });

  it('bytes that are not a Pyodide snapshot are not packed (isolates then get the whole image)', () => {
    const heap = new Uint8Array(2 * PAGE);
    expect(packSnapshot(snapshotOf(heap, 64, 0x12345678))).toBeUndefined();
    expect(packSnapshot(snapshotOf(heap, 66))).toBeUndefined(); // not word-aligned
    const offsetPastEnd = snapshotOf(heap);
    new DataView(offsetPastEnd.buffer).setUint32(4, offsetPastEnd.length + 4, true);
    expect(packSnapshot(offsetPastEnd)).toBeUndefined();
    expect(packSnapshot(new Uint8Array(8))).toBeUndefined();
  });
});

describe('the guest restores a packed snapshot without touching its zero pages', () => {
  const restoreHeap = guestRestoreHeap();
  const pages = 16;
  const image = imageWith(pages, [0, 1, 5, 9, 15]);
  const { bytes, layout } = packed(image);

  it('the memory equals the image, and every zero page of the image in still-zero memory is left alone', () => {
    const memory = new ArrayBuffer(pages * PAGE);
    const skipped = restoreHeap(memory, bytes, layout, 4 * PAGE, 'verify');
    expect(new Uint8Array(memory)).toEqual(image);
    expect(skipped).toBe(11 * PAGE);
  });

  it('stale memory below the break: a written page where the image is zero is zeroed, not left', () => {
    // The instance's own start-up wrote below its break (stack, early allocations) before the restore.
    const memory = new ArrayBuffer(pages * PAGE);
    const heap = new Uint8Array(memory);
    heap[3 * PAGE + 4000] = 0xaa;
    heap[2 * PAGE] = 0x55;
    const skipped = restoreHeap(memory, bytes, layout, 8 * PAGE, 'sparse');
    expect(heap).toEqual(image);
    expect(skipped).toBe(9 * PAGE); // pages 2 and 3 were written back to zero
  });

  it('memory at or above the break is trusted to be zero (what a fresh instance guarantees): it is not read', () => {
    const memory = new ArrayBuffer(pages * PAGE);
    new Uint8Array(memory)[12 * PAGE] = 0x77; // cannot happen in a fresh instance; shows the page was left alone
    restoreHeap(memory, bytes, layout, 4 * PAGE, 'sparse');
    expect(new Uint8Array(memory)[12 * PAGE]).toBe(0x77);
  });

  it('verify mode catches memory that differs from the image (here a page the restore trusted to be zero)', () => {
    const memory = new ArrayBuffer(pages * PAGE);
    new Uint8Array(memory)[12 * PAGE + 5] = 0x77; // above the break, so left: verify must see it
    expect(() => restoreHeap(memory, bytes, layout, 4 * PAGE, 'verify')).toThrow(/zero page of the image non-zero in 40960-61440/);
  });

  it('whole mode (and no break) writes every page, zeros too, as Pyodide\'s own copy does', () => {
    for (const [brk, mode] of [[4 * PAGE, 'whole'], [0, 'sparse']] as const) {
      const memory = new ArrayBuffer(pages * PAGE);
      new Uint8Array(memory)[12 * PAGE] = 0x77;
      expect(restoreHeap(memory, bytes, layout, brk, mode)).toBe(0);
      expect(new Uint8Array(memory)).toEqual(image);
    }
  });

  it('a layout that does not fit its bytes fails the boot instead of restoring a wrong heap', () => {
    const bad: Array<[Uint8Array, number[]]> = [
      [bytes, [pages * PAGE, PAGE + 1, 3 * PAGE]], // unaligned run
      [bytes, [pages * PAGE, 10 * PAGE, 12 * PAGE, 2 * PAGE, 4 * PAGE]], // out of order
      [bytes, [pages * PAGE, 14 * PAGE, 99 * PAGE]], // past the end
      [bytes, [pages * PAGE]], // runs missing: the bytes end early
      [bytes.subarray(0, bytes.length - 1), Array.from(layout)], // bytes missing
      [Uint8Array.from([...bytes, 1]), Array.from(layout)], // bytes left over
    ];
    for (const [b, l] of bad) expect(() => restoreHeap(new ArrayBuffer(pages * PAGE), b, Uint32Array.from(l), 4 * PAGE, 'sparse')).toThrow(/does not match its layout/);
  });

  it('no layout: the bytes are the whole image, copied as they are; a too short memory fails like Pyodide\'s copy', () => {
    const memory = new ArrayBuffer(pages * PAGE);
    expect(restoreHeap(memory, image, null, 4 * PAGE, 'sparse')).toBe(0);
    expect(new Uint8Array(memory)).toEqual(image);
    expect(() => restoreHeap(new ArrayBuffer(4 * PAGE), bytes, layout, PAGE, 'sparse')).toThrow(RangeError);
    expect(() => restoreHeap(new ArrayBuffer(4 * PAGE), image, null, PAGE, 'sparse')).toThrow(RangeError);
  });
});

describe('isolates booted from the snapshot', () => {
  const options = { jsHeapLimitMb: 128, wasmBudgetPages: 256, bootTimeoutMs: 60_000 };
  const limits = { maxOutputLines: 100, maxOutputChars: 10_000, maxResultChars: 100_000, maxDepth: 32, heapLimitBytes: 256 * 2 ** 20 };
  const script = 'import statistics, random\nxs = [v * 1.5 for v in values]\nresult = {"mean": statistics.mean(xs), "sum": sum(range(100000)), "r": 0 <= random.random() < 1}';
  let runtime: PyodideRuntime;
  let snapshot: PyodideSnapshot;
  const isolates: PyodideIsolate[] = [];
  const boot = async (snapshotRestore: SnapshotRestore) => {
    const isolate = await PyodideIsolate.create({ runtime, snapshot, snapshotRestore, ...options });
    isolates.push(isolate);
    return isolate;
  };
  beforeAll(async () => {
    runtime = await getPyodideRuntime(PYTHON_LIMITS.maxMemoryBytes);
    snapshot = await getSnapshot(runtime, { ...options, cacheDir: defaultSnapshotCacheDir() });
  }, 120_000);
  afterAll(() => {
    for (const i of isolates) i.dispose();
  });

  it('verify mode: the restored heap equals the snapshot byte for byte, with megabytes of it left untouched', async () => {
    const isolate = await boot('verify'); // boot throws if one byte differs
    expect(isolate.snapshotBytesSkipped).toBeGreaterThan(8 * 2 ** 20);
    expect(snapshot.layout).toBeDefined(); // packed: isolates received half of the 30 MB
    const { outcome } = await isolate.run(script, '{"values":[1,2,3]}', limits, 30_000);
    expect(outcome).toMatchObject({ ok: true, value: { mean: 3, sum: 4_999_950_000, r: true } });
  }, 120_000);

  it('the default (sparse) and a whole copy boot alike and run alike; only the sparse one skips pages', async () => {
    const sparse = await boot('sparse');
    const whole = await boot('whole');
    expect(sparse.snapshotBytesSkipped).toBeGreaterThan(8 * 2 ** 20);
    expect(whole.snapshotBytesSkipped).toBe(0);
    expect(sparse.heapBytesAtBoot).toBe(whole.heapBytesAtBoot);
    for (const isolate of [sparse, whole]) {
      const { outcome } = await isolate.run(script, '{"values":[2,4]}', limits, 30_000);
      expect(outcome).toMatchObject({ ok: true, value: { mean: 4.5, sum: 4_999_950_000, r: true } });
    }
  }, 120_000);
});
