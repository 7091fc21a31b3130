/**
 * The in-process pool's memory book-keeping against the heap readings a tick's usage report takes
 * (white-box: it counts the V8 calls of the pool's own isolate, so it runs on the `SandboxPool`
 * itself, not through the thread and process tiers the pool suite also runs in).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxPool } from '../../src/sandbox/pool.js';
import { bundleOf } from './helpers.js';

const COUNTER = `
import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
export default class Counter extends ActionNode {
  async executeTick(ctx: any) {
    this.setOutput(ctx, 'count', (this.getInput(ctx, 'count', 0) as number) + 1);
    return NodeStatus.SUCCESS;
  }
}
`;

const pools: SandboxPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.dispose();
});

describe('SandboxPool heap accounting', () => {
  it('reads an isolate’s heap once on a tick whose usage report read it: the pool counts that reading against its budget', async () => {
    // A heap reading is a V8 call (≈ 3 µs). Telemetry asks for one on one tick in 16, the pool
    // reads one every 16 ticks for its budget: the same tick must not pay for both.
    const pool = new SandboxPool();
    pools.push(pool);
    const bundle = await bundleOf(COUNTER, 'Counter');
    await pool.tick(bundle, { props: {}, blackboard: {} }); // the isolate is made and set up
    // Counts the heap reads of the tenant's isolate, each answering a distinct holding (the isolate
    // object itself cannot be spied on).
    type HeapStats = { total_heap_size: number; externally_allocated_size: number; used_heap_size: number };
    const sandbox = (pool as unknown as { sandboxes: Map<string, { isolate: object }> }).sandboxes.get(bundle.tenantId)!;
    const real = sandbox.isolate as { getHeapStatisticsSync(): HeapStats };
    let reads = 0;
    let lastHeld = 0;
    sandbox.isolate = new Proxy(real, {
      get(target, key) {
        if (key === 'getHeapStatisticsSync') {
          return () => {
            reads++;
            const h = { ...target.getHeapStatisticsSync() };
            h.total_heap_size += reads;
            lastHeld = h.total_heap_size + h.externally_allocated_size;
            return h;
          };
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    try {
      for (let i = 1; i <= 32; i++) {
        const readsBefore = reads;
        let heap: number | undefined;
        await pool.tick(bundle, { props: {}, blackboard: { count: 0 }, usageHeap: i % 16 === 0, onUsage: (u) => (heap = u.heapBytes) });
        if (i % 16 !== 0) continue;
        expect(heap).toBeGreaterThan(0);
        expect(reads - readsBefore).toBe(1);
        const read = lastHeld; // stats() reads every isolate's heap afresh for its heapBytes
        expect((await pool.stats()).heldBytes).toBe(read);
      }
      // Without usage reports the pool reads on its own: every 16th tick at least.
      reads = 0;
      for (let i = 0; i < 32; i++) await pool.tick(bundle, { props: {}, blackboard: { count: 0 } });
      expect(reads).toBeGreaterThanOrEqual(2);
      const read = lastHeld;
      expect((await pool.stats()).heldBytes).toBe(read);
    } finally {
      sandbox.isolate = real;
    }
  });

});
