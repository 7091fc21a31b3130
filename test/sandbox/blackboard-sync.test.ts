/**
 * The blackboard as a tenant's isolate keeps it between ticks (src/sandbox/blackboard-sync.ts): only
 * what changed is sent, and yet every tick must see the host blackboard exactly as it is when the
 * tick starts, never a stale value, never what another tick or the node itself changed in place.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTenantNodeClass } from '../../src/btree/node-class.js';
import { BlackboardSync, MAX_SLOTS } from '../../src/sandbox/blackboard-sync.js';
import { blackboardBudget } from '../../src/sandbox/tenant-sandbox.js';
import type { BlackboardTexts, RunnableBundle } from '../../src/sandbox/types.js';
import { loadBtree, type SuiteBtree } from '../setup/btree-module.js';
import { bundleOf, TEST_ISOLATION, trackedPool, type TestPool } from './helpers.js';

/**
 * Reports what it sees (after an optional pause; a huge view only by its length, its `n` and the length
 * of its `big`), then changes values it read in place without writing them.
 */
const MIRROR = `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
import { sleep } from '@temporalio/workflow';
export default class Mirror extends ActionNode {
  async executeTick(ctx: any) {
    const bb = ctx.blackboard;
    const pause = bb.get('pause');
    if (pause) await sleep(pause);
    const view: Record<string, unknown> = {};
    for (const k of bb.keys()) if (k !== 'seen') view[k] = bb.get(k);
    const seen = JSON.stringify(view);
    const list = bb.get('list');
    if (Array.isArray(list)) list.push('changed in the guest, never written');
    const obj = bb.get('obj');
    if (obj && typeof obj === 'object') obj.guest = true;
    bb.set('seen', seen.length > 100_000 ? 'length ' + seen.length + ' ' + JSON.stringify({ n: view.n, big: (view.big as string).length }) : seen);
    return NodeStatus.SUCCESS;
  }
}`;

let btree: SuiteBtree;
let bundle: RunnableBundle;
beforeAll(async () => {
  btree = await loadBtree();
  bundle = await bundleOf(MIRROR, 'Mirror');
});

type Board = InstanceType<SuiteBtree['ScopedBlackboard']>;

/** The Mirror node's host class on `pool`. */
function mirrorClass(pool: TestPool, maxBlackboardBytes?: number) {
  return createTenantNodeClass(btree, {
    tenantId: bundle.tenantId,
    name: 'Mirror',
    version: '1.0.0',
    sha256: bundle.sha256,
    metadata: { category: 'action', ports: [] },
    loadBundle: async () => bundle,
    runner: pool,
    ...(maxBlackboardBytes !== undefined ? { maxBlackboardBytes } : {}),
  });
}

function mirrorNode(pool: TestPool) {
  const cls = mirrorClass(pool);
  let n = 0;
  /** Ticks a new node on `board` and returns what it saw. */
  return async (board: Board): Promise<Record<string, unknown>> => {
    const node = new cls({ id: `mirror-${++n}` });
    const status = await node.tick({ blackboard: board, timestamp: Date.now() } as never);
    expect(status, node.lastError).toBe('SUCCESS');
    return JSON.parse(board.get('seen') as string) as Record<string, unknown>;
  };
}

/** What the node should see: the host blackboard as JSON data, without its own output. */
function expected(board: Board): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of board.keys()) if (k !== 'seen') out[k] = JSON.parse(JSON.stringify(board.get(k))) as unknown;
  return out;
}

function boardOf(entries: Record<string, unknown>): Board {
  const board = new btree.ScopedBlackboard();
  for (const [k, v] of Object.entries(entries)) board.set(k, v);
  return board;
}

describe(`blackboard kept in the isolate between ticks (${TEST_ISOLATION})`, () => {
  it('every tick sees the host blackboard as it is: values changed, keys added and deleted, objects changed in place by host code (stale blackboard)', async () => {
    const pool = trackedPool();
    const tick = mirrorNode(pool);
    const list = [1, 2];
    const obj: Record<string, unknown> = { a: 1 };
    const board = boardOf({ n: 1, s: 'x', list, obj, gone: true, nil: null });
    expect(await tick(board)).toEqual(expected(board));
    board.set('n', 2);
    board.set('s', 'y'.repeat(500));
    board.delete('gone');
    board.set('added', { deep: [{ x: 'é"\\\n' }] });
    list.push(3); // the same array, changed in place
    obj.b = 'two';
    expect(await tick(board)).toEqual(expected(board));
    board.set('gone', 'back');
    board.set('n', 2); // the same value again
    board.delete('s');
    expect(await tick(board)).toEqual(expected(board));
    // Unchanged: nothing to send, the same view.
    expect(await tick(board)).toEqual(expected(board));
    // Everything gone.
    for (const k of board.keys()) board.delete(k);
    expect(await tick(board)).toEqual({});
  });

  it('hazard: a value the node changes in place without writing it never reaches the host or a later tick (leaking guest state)', async () => {
    const pool = trackedPool();
    const tick = mirrorNode(pool);
    const board = boardOf({ list: ['host'], obj: { host: true } });
    await tick(board);
    const second = await tick(board);
    expect(second).toEqual({ list: ['host'], obj: { host: true } });
    expect(board.get('list')).toEqual(['host']);
    expect(board.get('obj')).toEqual({ host: true });
  });

  it('two ticks in flight on one blackboard each see it as it was when they started (torn snapshot)', async () => {
    const pool = trackedPool();
    const tick = mirrorNode(pool);
    const board = boardOf({ n: 1, pause: 150 });
    const first = tick(board); // reads n after a 150 ms sleep
    await new Promise((r) => setTimeout(r, 30));
    board.set('n', 2);
    board.set('pause', 0);
    board.set('extra', 'later');
    const second = await tick(board);
    expect(second).toEqual({ n: 2, pause: 0, extra: 'later' });
    expect(await first).toEqual({ n: 1, pause: 150 });
    board.set('n', 3);
    expect(await tick(board)).toEqual({ n: 3, pause: 0, extra: 'later' });
  });

  it('more blackboards than an isolate keeps: each tick still sees its own (evicted blackboards are sent whole again)', async () => {
    const pool = trackedPool();
    const tick = mirrorNode(pool);
    const boards = Array.from({ length: MAX_SLOTS + 6 }, (_, i) => boardOf({ i, name: `board-${i}` }));
    for (let round = 0; round < 2; round++) {
      for (const [i, board] of boards.entries()) {
        board.set('round', round);
        expect(await tick(board)).toEqual({ i, name: `board-${i}`, round });
      }
    }
  });

  it('a blackboard larger than what the isolate keeps is sent whole, every tick, and read right', async () => {
    const pool = trackedPool({ limits: { memoryMb: 16, blackboardInBytes: 4 * 1024 * 1024 } });
    const cls = mirrorClass(pool, 4 * 1024 * 1024);
    const big = 'b'.repeat(blackboardBudget({ memoryMb: 16 }) + 10);
    const board = boardOf({ big, n: 1 });
    for (const n of [1, 2]) {
      board.set('n', n);
      const node = new cls({ id: 'm' });
      expect(await node.tick({ blackboard: board, timestamp: Date.now() } as never), node.lastError).toBe('SUCCESS');
      const seen = board.get('seen') as string;
      expect(seen).toBe(`length ${JSON.stringify({ big, n }).length} ${JSON.stringify({ n, big: big.length })}`);
    }
  });
});

/** Texts as the binding makes them. */
function texts(source: object, entries: Record<string, unknown>): BlackboardTexts {
  const keys = Object.keys(entries);
  const keyTexts = keys.map((k) => JSON.stringify(k));
  const values = keys.map((k) => JSON.stringify(entries[k]));
  const json = JSON.stringify(entries);
  return { source, keys, keyTexts, texts: values, bytes: json.length, json };
}

/** The fields of a delta argument: slot, drops, size, gone, changed. */
function fieldsOf(arg: string): { slot: number; drops: string; size: number; gone: string[]; changed: Record<string, string> } {
  const [slot, drops, size, gone, changed] = arg.split('\0') as [string, string, string, string, string];
  return { slot: Number(slot), drops, size: Number(size), gone: JSON.parse(gone) as string[], changed: JSON.parse(changed) as Record<string, string> };
}

describe('BlackboardSync: what a tick sends', () => {
  it('sends every key the first time, then only what changed and what is gone', () => {
    const sync = new BlackboardSync(1e6);
    const source = {};
    let d = sync.delta(texts(source, { a: 1, b: 'x' }));
    expect(fieldsOf(d.arg)).toEqual({ slot: 1, drops: '', size: 2, gone: [], changed: { a: '1', b: '"x"' } });
    d.commit();
    d = sync.delta(texts(source, { a: 1, b: 'x' }));
    expect(fieldsOf(d.arg)).toEqual({ slot: 1, drops: '', size: 2, gone: [], changed: {} });
    d.commit();
    d = sync.delta(texts(source, { a: 2, c: [1] }));
    expect(fieldsOf(d.arg)).toEqual({ slot: 1, drops: '', size: 2, gone: ['b'], changed: { a: '2', c: '[1]' } });
  });

  it('a delta the guest may not have taken (the call failed) is sent again whole, in a new slot, and the old one is dropped', () => {
    const sync = new BlackboardSync(1e6);
    const source = {};
    sync.delta(texts(source, { a: 1 })).commit();
    sync.delta(texts(source, { a: 2 })).abort();
    const d = sync.delta(texts(source, { a: 2 }));
    expect(fieldsOf(d.arg)).toEqual({ slot: 2, drops: '1', size: 1, gone: [], changed: { a: '2' } });
  });

  it(`hazard: the guest never holds more than ${MAX_SLOTS} blackboards or its budget of characters (memory the tenant did not ask for)`, () => {
    const budget = 10_000;
    const sync = new BlackboardSync(budget);
    const dropped = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const d = sync.delta(texts({}, { i, pad: 'p'.repeat(i % 7 === 0 ? 3000 : 50) }));
      const f = fieldsOf(d.arg);
      for (const s of f.drops.split(',').filter(Boolean)) dropped.add(s);
      d.commit();
      expect(sync.held.slots).toBeLessThanOrEqual(MAX_SLOTS);
      expect(sync.held.bytes).toBeLessThanOrEqual(budget);
    }
    expect(dropped.size).toBeGreaterThan(400);
    // One bigger than the whole budget is never kept: sent whole.
    const whole = sync.delta(texts({}, { big: 'b'.repeat(budget) }));
    expect(whole.arg.startsWith('{"big":')).toBe(true);
    // One that outgrows the budget after it was kept: sent whole, and the guest forgets it.
    const growing = {};
    const kept = sync.delta(texts(growing, { a: 'small' }));
    kept.commit();
    const grown = sync.delta(texts(growing, { a: 'g'.repeat(budget) }));
    expect(grown.arg.startsWith('{"a":')).toBe(true);
    expect(sync.held.bytes).toBeLessThanOrEqual(budget);
    const next = fieldsOf(sync.delta(texts({}, { b: 1 })).arg);
    expect(next.drops.split(',')).toContain(String(fieldsOf(kept.arg).slot));
  });
});
