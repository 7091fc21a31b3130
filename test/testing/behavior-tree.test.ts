import { beforeAll, describe, expect, it } from 'vitest';
import {
  ActionNode,
  BehaviorTree,
  loadTreeFromYaml,
  MemoryStorage,
  NodeStatus,
  Registry,
  registerStandardNodes,
  setTestHostLogging,
  type TemporalContext,
} from '../../src/testing/index.js';

beforeAll(() => {
  setTestHostLogging(false);
});

class Flaky extends ActionNode {
  private calls = 0;
  protected async executeTick(c: TemporalContext): Promise<NodeStatus> {
    c.blackboard.set('attempt', ++this.calls);
    return this.calls === 1 ? NodeStatus.FAILURE : NodeStatus.SUCCESS;
  }
}

function registry(): Registry {
  const r = new Registry();
  registerStandardNodes(r);
  r.register('Flaky', Flaky);
  return r;
}

describe('BehaviorTree.toWorkflow (contract §5)', () => {
  it('seeds the blackboard from input and returns the root-scope blackboard as output', async () => {
    const r = registry();
    const root = loadTreeFromYaml('type: Sequence\nid: s\nchildren:\n  - type: CounterAction\n    props: { counterKey: n, increment: 2 }\n', r);
    const result = await new BehaviorTree(root).toWorkflow()({ input: { n: 40, keep: 'x' }, treeRegistry: r });
    expect(result).toEqual({ status: NodeStatus.SUCCESS, output: { n: 42, keep: 'x' } });
  });

  it('a RUNNING root is returned as RUNNING: nothing loops', async () => {
    const r = registry();
    const root = loadTreeFromYaml('type: RunningNode\nid: r\n', r);
    expect((await new BehaviorTree(root).toWorkflow()({ treeRegistry: r })).status).toBe('RUNNING');
  });

  it('reuses the same node instances on every call, so state carries over', async () => {
    const r = registry();
    const run = new BehaviorTree(loadTreeFromYaml('type: Flaky\nid: f\n', r)).toWorkflow();
    expect((await run({ treeRegistry: r })).status).toBe('FAILURE');
    expect(await run({ treeRegistry: r })).toEqual({ status: 'SUCCESS', output: { attempt: 2 } });
  });

  it('indexes nodes by path and id and clones deeply', () => {
    const r = registry();
    const tree = new BehaviorTree(loadTreeFromYaml('type: Sequence\nid: s\nchildren:\n  - type: SuccessNode\n    id: a\n', r));
    expect(tree.findNodeByPath('/0')?.id).toBe('a');
    expect(tree.findNodeById('a')).toBe(tree.findNodeByPath('/0'));
    const copy = tree.clone();
    expect(copy.findNodeById('a')).not.toBe(tree.findNodeById('a'));
  });

  it('re-exports an in-memory storage', async () => {
    const storage = new MemoryStorage();
    await storage.put('a/b', new TextEncoder().encode('x'));
    expect(new TextDecoder().decode((await storage.get('a/b'))!.body)).toBe('x');
    await storage.dispose?.();
  });
});
