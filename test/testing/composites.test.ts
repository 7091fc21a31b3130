import { beforeAll, describe, expect, it } from 'vitest';
import {
  ActionNode,
  ForceFailure,
  ForceSuccess,
  Invert,
  NodeStatus,
  OperationCancelledError,
  Parallel,
  Registry,
  ScopedBlackboard,
  Selector,
  Sequence,
  setTestHostLogging,
  type TemporalContext,
  type TreeNode,
} from '../../src/testing/index.js';

beforeAll(() => {
  setTestHostLogging(false);
});

const ctx = (signal?: AbortSignal): TemporalContext => ({
  blackboard: new ScopedBlackboard(),
  treeRegistry: new Registry(),
  timestamp: 0,
  ...(signal ? { signal } : {}),
});

/** Returns the scripted statuses in order, then repeats the last one. */
function scripted(id: string, ...statuses: NodeStatus[]): TreeNode {
  let i = 0;
  class Scripted extends ActionNode {
    ticks = 0;
    protected async executeTick(): Promise<NodeStatus> {
      this.ticks++;
      return statuses[Math.min(i++, statuses.length - 1)]!;
    }
  }
  return new Scripted({ id });
}

const { SUCCESS, FAILURE, RUNNING } = NodeStatus;

describe('composites and decorators (contract §2, §7)', () => {
  it('Sequence stops at the first failure and resumes a RUNNING child where it left off', async () => {
    const a = scripted('a', SUCCESS);
    const b = scripted('b', RUNNING, SUCCESS);
    const seq = new Sequence({ id: 's' });
    seq.addChildren([a, b]);
    expect(await seq.tick(ctx())).toBe(RUNNING);
    expect(seq.status()).toBe(RUNNING);
    expect(await seq.tick(ctx())).toBe(SUCCESS);
    expect((a as unknown as { ticks: number }).ticks).toBe(1);
    const failing = new Sequence({ id: 'f' });
    const never = scripted('n', SUCCESS);
    failing.addChildren([scripted('x', FAILURE), never]);
    expect(await failing.tick(ctx())).toBe(FAILURE);
    expect((never as unknown as { ticks: number }).ticks).toBe(0);
    expect(await new Sequence({ id: 'empty' }).tick(ctx())).toBe(SUCCESS);
  });

  it('Selector returns the first success, FAILURE when all fail or it has no children', async () => {
    const sel = new Selector({ id: 'sel' });
    sel.addChildren([scripted('a', FAILURE), scripted('b', SUCCESS)]);
    expect(await sel.tick(ctx())).toBe(SUCCESS);
    const none = new Selector({ id: 'n' });
    none.addChildren([scripted('a', FAILURE)]);
    expect(await none.tick(ctx())).toBe(FAILURE);
    expect(await new Selector({ id: 'e' }).tick(ctx())).toBe(FAILURE);
  });

  it('Parallel strict needs all, any needs one, thresholds win over the strategy', async () => {
    const mk = (config: Record<string, unknown>, ...kids: TreeNode[]) => {
      const p = new Parallel({ id: 'p', ...config });
      p.addChildren(kids);
      return p;
    };
    expect(await mk({ strategy: 'strict' }, scripted('a', SUCCESS), scripted('b', FAILURE)).tick(ctx())).toBe(FAILURE);
    expect(await mk({ strategy: 'any' }, scripted('a', SUCCESS), scripted('b', FAILURE)).tick(ctx())).toBe(SUCCESS);
    expect(await mk({ successThreshold: 1 }, scripted('a', SUCCESS), scripted('b', FAILURE)).tick(ctx())).toBe(SUCCESS);
    expect(await mk({ strategy: 'any', failureThreshold: 1 }, scripted('a', FAILURE), scripted('b', FAILURE)).tick(ctx())).toBe(FAILURE);
    const running = mk({}, scripted('a', SUCCESS), scripted('b', RUNNING, SUCCESS));
    expect(await running.tick(ctx())).toBe(RUNNING);
    expect(running.status()).toBe(NodeStatus.IDLE); // Parallel never sets its own _status
    expect(await running.tick(ctx())).toBe(SUCCESS);
  });

  it('Invert, ForceSuccess and ForceFailure map finished results and pass RUNNING through', async () => {
    const wrap = <T extends Invert | ForceSuccess | ForceFailure>(d: T, child: TreeNode) => {
      d.setChild(child);
      return d;
    };
    expect(await wrap(new Invert({ id: 'i' }), scripted('c', SUCCESS)).tick(ctx())).toBe(FAILURE);
    expect(await wrap(new Invert({ id: 'i' }), scripted('c', FAILURE)).tick(ctx())).toBe(SUCCESS);
    expect(await wrap(new ForceSuccess({ id: 'fs' }), scripted('c', FAILURE)).tick(ctx())).toBe(SUCCESS);
    expect(await wrap(new ForceFailure({ id: 'ff' }), scripted('c', SUCCESS)).tick(ctx())).toBe(FAILURE);
    const inv = wrap(new Invert({ id: 'i' }), scripted('c', RUNNING));
    expect(await inv.tick(ctx())).toBe(RUNNING);
    expect(inv.status()).toBe(RUNNING);
  });

  it('composites check the abort signal and the cancellation propagates', async () => {
    const controller = new AbortController();
    controller.abort();
    const seq = new Sequence({ id: 's' });
    seq.addChild(scripted('a', SUCCESS));
    await expect(seq.tick(ctx(controller.signal))).rejects.toBeInstanceOf(OperationCancelledError);
    expect(seq.status()).toBe(FAILURE);
  });

  it('halt cascades to RUNNING children; reset clears them', async () => {
    const child = scripted('c', RUNNING);
    const seq = new Sequence({ id: 's' });
    seq.addChild(child);
    await seq.tick(ctx());
    expect(child.status()).toBe(RUNNING);
    seq.halt();
    expect(child.status()).toBe(NodeStatus.IDLE);
    const copy = seq.clone();
    expect(copy.children?.[0]).not.toBe(child);
  });
});
