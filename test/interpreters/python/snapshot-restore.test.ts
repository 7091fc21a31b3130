/**
 * Restoring a Pyodide snapshot without touching its zero pages (memory per warm sandbox): the zero
 * page map made on the host, the guest's copy (`guest/restore-heap.js`, run here as the isolate runs
 * it, on plain ArrayBuffers), and real isolates booted each way.
 */
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_LIMITS } from '../../../src/binding-core/interpreter-props.js';
import { guestSource } from '../../../src/guest-source.js';
import { defaultSnapshotCacheDir } from '../../../src/interpreters/python/cache-dir.js';
import { PyodideIsolate, type SnapshotRestore } from '../../../src/interpreters/python/pyodide-isolate.js';
import { getPyodideRuntime, type PyodideRuntime } from '../../../src/interpreters/python/pyodide-runtime.js';
import { getSnapshot, type PyodideSnapshot } from '../../../src/interpreters/python/snapshot.js';
import { snapshotHeapOffset, ZERO_PAGE_BYTES, zeroPageRuns } from '../../../src/interpreters/python/snapshot-zero-pages.js';

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

type RestoreHeap = (memory: ArrayBuffer, image: Uint8Array, zeroPages: Uint32Array | null, brk: number, verify: boolean) => number;

/** The guest's restoreHeap, evaluated from its source the way the isolate bundle evaluates it. */
function guestRestoreHeap(): RestoreHeap {
  const context: Record<string, unknown> = { Uint8Array, Int32Array, Math, Object, Error };
  context.globalThis = context;
  runInNewContext(guestSource('interpreters/python/guest/restore-heap.js'), context);
  return context.__btpRestoreHeap as RestoreHeap;
}

describe('the zero page map of a snapshot', () => {
  it('lists runs of whole zero pages in heap addresses, never a partial last page', () => {
    const heap = new Uint8Array(6 * PAGE + 100);
    heap[0] = 1;
    heap[3 * PAGE + PAGE - 1] = 7; // the last byte of page 3 is what keeps it out
    const runs = zeroPageRuns(snapshotOf(heap, 128));
    expect(Array.from(runs!)).toEqual([PAGE, 3 * PAGE, 4 * PAGE, 6 * PAGE]);
    expect(snapshotHeapOffset(snapshotOf(heap, 128))).toBe(128);
  });

  it('an image with no zero page, or all zero pages, maps as such', () => {
    expect(Array.from(zeroPageRuns(snapshotOf(imageWith(3, [0, 1, 2])))!)).toEqual([]);
    expect(Array.from(zeroPageRuns(snapshotOf(new Uint8Array(3 * PAGE)))!)).toEqual([0, 3 * PAGE]);
  });

  it('bytes that are not a Pyodide snapshot get no map (the guest then copies the whole image)', () => {
    const heap = new Uint8Array(2 * PAGE);
    expect(zeroPageRuns(snapshotOf(heap, 64, 0x12345678))).toBeUndefined();
    expect(zeroPageRuns(snapshotOf(heap, 66))).toBeUndefined(); // not word-aligned
    const offsetPastEnd = snapshotOf(heap);
    new DataView(offsetPastEnd.buffer).setUint32(4, offsetPastEnd.length + 4, true);
    expect(zeroPageRuns(offsetPastEnd)).toBeUndefined();
    expect(zeroPageRuns(new Uint8Array(8))).toBeUndefined();
  });
});

describe('the guest copies a snapshot into memory without touching its zero pages', () => {
  const restoreHeap = guestRestoreHeap();
  const pages = 16;
  const image = imageWith(pages, [0, 1, 5, 9, 15]);
  const map = zeroPageRuns(snapshotOf(image))!;

  it('the memory equals the image, and every zero page of the image in still-zero memory is skipped', () => {
    const memory = new ArrayBuffer(pages * PAGE);
    const skipped = restoreHeap(memory, image, map, 4 * PAGE, false);
    expect(new Uint8Array(memory)).toEqual(image);
    expect(skipped).toBe(11 * PAGE);
  });

  it('stale memory below the break: a written page where the image is zero is overwritten, not skipped', () => {
    // The instance's own start-up wrote below its break (stack, early allocations) before the restore.
    const memory = new ArrayBuffer(pages * PAGE);
    const bytes = new Uint8Array(memory);
    bytes[3 * PAGE + 4000] = 0xaa;
    bytes[2 * PAGE] = 0x55;
    const skipped = restoreHeap(memory, image, map, 8 * PAGE, false);
    expect(bytes).toEqual(image);
    expect(skipped).toBe(9 * PAGE); // pages 2 and 3 were written back to zero
  });

  it('memory at or above the break is trusted to be zero (what a fresh instance guarantees): it is not read', () => {
    const memory = new ArrayBuffer(pages * PAGE);
    new Uint8Array(memory)[12 * PAGE] = 0x77; // cannot happen in a fresh instance; shows the page was left alone
    restoreHeap(memory, image, map, 4 * PAGE, false);
    expect(new Uint8Array(memory)[12 * PAGE]).toBe(0x77);
  });

  it('verify mode catches a map that does not fit the image (a non-zero page listed as zero)', () => {
    const lying = Uint32Array.from([PAGE, 2 * PAGE]); // page 1 holds data
    expect(() => restoreHeap(new ArrayBuffer(pages * PAGE), image, lying, 4 * PAGE, true)).toThrow(/differs from the image at byte 4196/);
  });

  it('a malformed map (unaligned, out of order, past the end) costs copies, never bytes', () => {
    for (const bad of [[PAGE + 1, 3 * PAGE], [10 * PAGE, 12 * PAGE, 2 * PAGE, 4 * PAGE], [13 * PAGE, 15 * PAGE, 16 * PAGE, 99 * PAGE], [3 * PAGE, 3 * PAGE]]) {
      const memory = new ArrayBuffer(pages * PAGE);
      restoreHeap(memory, image, Uint32Array.from(bad), 4 * PAGE, true);
      expect(new Uint8Array(memory)).toEqual(image);
    }
  });

  it('no map or no break: the whole image is copied', () => {
    for (const [zeroPages, brk] of [[null, 4 * PAGE], [map, 0]] as const) {
      const memory = new ArrayBuffer(pages * PAGE);
      new Uint8Array(memory)[12 * PAGE] = 0x77;
      expect(restoreHeap(memory, image, zeroPages, brk, false)).toBe(0);
      expect(new Uint8Array(memory)).toEqual(image);
    }
  });

  it('memory shorter than the image fails like Pyodide\'s own copy', () => {
    expect(() => restoreHeap(new ArrayBuffer(4 * PAGE), image, map, PAGE, false)).toThrow(RangeError);
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
    expect(snapshot.zeroPages).toBeDefined();
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
