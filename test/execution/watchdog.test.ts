/**
 * The shard watchdog: a shard whose tick does not answer by the tick's wall limit plus
 * `killGraceMs` is given up on. isolated-vm can leave a thread stuck in native code (a script it
 * fails to terminate, "Script failed to terminate"); the `stall` test seam blocks the shard's
 * thread the same way. A thread cannot be stopped from outside there, so it is abandoned and a new
 * one started; the host's ticks never hang on it, and disposing never waits for it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveLimits } from '../../src/sandbox/limits.js';
import type { RunnableBundle } from '../../src/sandbox/types.js';
import { HostFactories } from '../../src/execution/host-factories.js';
import { Shard, type ShardOwner } from '../../src/execution/shard.js';
import { evilNode, forTenant } from '../sandbox/helpers.js';

const BENIGN = `const n = (this.getInput(ctx, 'n', 0) as number) + 1; this.setOutput(ctx, 'n', n); return NodeStatus.SUCCESS;`;
const GRACE_MS = 200;

const shards: Shard[] = [];
const factories = new HostFactories();
afterEach(async () => {
  await Promise.all(shards.splice(0).map((s) => s.dispose()));
});

/** A shard of `kind` whose owner records what the host's logger would hear. */
function shardOf(kind: 'thread' | 'process'): { shard: Shard; reports: Array<{ message: string; fields: Record<string, unknown> }> } {
  const reports: Array<{ message: string; fields: Record<string, unknown> }> = [];
  const owner: ShardOwner = {
    setupOf: () => ({ limits: resolveLimits(), capabilities: [] }),
    capability: () => undefined,
    factoryOf: (bundle) => factories.of(bundle),
    abandoned: (message, fields) => reports.push({ message, fields }),
  };
  const shard = new Shard({ kind, init: { maxIsolates: 8, memoryBudgetMb: 256 }, killGraceMs: GRACE_MS, processMemoryBytes: 2 ** 40 }, owner);
  shards.push(shard);
  return { shard, reports };
}

const tickOn = (shard: Shard, bundle: RunnableBundle, n: number, wallTimeMs = 10_000) =>
  shard.tick(bundle, resolveLimits({ wallTimeMs }), { propsJson: '{}', blackboardJson: JSON.stringify({ n }), usage: false }, undefined);

describe('shard watchdog', () => {
  it('thread: a thread stuck in native code is abandoned once a tick passes its wall limit plus killGraceMs; the ticks there fail and the next tick runs on a fresh thread (wedged thread)', async () => {
    const { shard, reports } = shardOf('thread');
    const benign = await evilNode(BENIGN, '', 'Counter');
    expect((await tickOn(shard, benign, 1)).outcome).toMatchObject({ status: 'SUCCESS', writes: { n: 2 } });

    shard.stall(4_000);
    const started = performance.now();
    const [overdue, neighbour] = await Promise.all([tickOn(shard, benign, 1, 300), tickOn(shard, forTenant(benign, 'other'), 1)]);
    // Both settle when the first deadline passes, long before the thread gets free.
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(overdue.outcome).toMatchObject({ status: 'FAILURE', limit: 'wallTimeMs' });
    expect(overdue.outcome.error).toMatch(/^Counter@1\.0\.0 exceeded its 300 ms time limit \(it did not stop at its limit, so its sandbox thread was abandoned\)\. HINT: /);
    expect(neighbour.outcome.status).toBe('FAILURE');
    expect(neighbour.outcome.error).toMatch(/^Counter@1\.0\.0 was stopped: its sandbox thread ended \(it did not answer within 500 ms and was abandoned\)\. HINT: run the tick again/);
    expect(neighbour.outcome.error).not.toContain('acme');

    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toMatch(/^a sandbox thread stopped answering: a tick of acme\/Counter@1\.0\.0 did not end within 500 ms .* HINT: run tenants whose code can do this with isolation 'process'/);
    expect(reports[0]!.fields).toEqual({ tenantId: 'acme', node: 'Counter', version: '1.0.0' });

    // A fresh thread: a new isolate is built, and nothing of the abandoned one is counted as live.
    expect((await tickOn(shard, benign, 7)).outcome).toMatchObject({ status: 'SUCCESS', writes: { n: 8 } });
    expect(shard.totals()).toMatchObject({ restarts: 1, overrunsKilled: 1, liveIsolates: 1, isolatesCreated: 2 });
  });

  it('thread: what an abandoned thread sends once it gets free never reaches the host (its counters, its replies)', async () => {
    const { shard } = shardOf('thread');
    const benign = await evilNode(BENIGN, '', 'Counter');
    await tickOn(shard, benign, 1);
    shard.stall(1_000);
    expect((await tickOn(shard, benign, 1, 100)).outcome).toMatchObject({ status: 'FAILURE', limit: 'wallTimeMs' });
    expect((await tickOn(shard, benign, 2)).outcome).toMatchObject({ status: 'SUCCESS', writes: { n: 3 } });
    // The abandoned thread gets free, runs the tick it was sent, answers and disposes itself.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(shard.totals()).toMatchObject({ ticks: 2, liveIsolates: 1, isolatesCreated: 2 });
    expect((await tickOn(shard, benign, 3)).outcome).toMatchObject({ status: 'SUCCESS', writes: { n: 4 } });
  });

  it('thread: dispose ends even when the thread never answers (a stuck thread does not hold the host)', async () => {
    const { shard } = shardOf('thread');
    const benign = await evilNode(BENIGN, '', 'Counter');
    await tickOn(shard, benign, 1);
    shard.stall(60_000);
    const started = performance.now();
    await shard.dispose();
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(shard.running).toBe(false);
  }, 30_000);

  it('process: a process stuck the same way is killed once a tick passes its wall limit plus killGraceMs; the next tick runs in a fresh process', async () => {
    const { shard, reports } = shardOf('process');
    const benign = await evilNode(BENIGN, '', 'Counter');
    await tickOn(shard, benign, 1);
    shard.stall(60_000);
    const overdue = await tickOn(shard, benign, 1, 300);
    expect(overdue.outcome).toMatchObject({ status: 'FAILURE', limit: 'wallTimeMs' });
    expect(overdue.outcome.error).toContain('so its sandbox process was killed');
    expect(reports).toEqual([]);
    expect((await tickOn(shard, benign, 4)).outcome).toMatchObject({ status: 'SUCCESS', writes: { n: 5 } });
    expect(shard.totals()).toMatchObject({ restarts: 1, overrunsKilled: 1 });
  });
});
