import { beforeAll, describe, expect, it } from 'vitest';
import {
  ActionNode,
  CompositeNode,
  ConfigurationError,
  NodeEventEmitter,
  NodeStatus,
  Registry,
  ScopedBlackboard,
  Sequence,
  setTestHostLogging,
  type NodeConfiguration,
  type TemporalContext,
} from '../../src/testing/index.js';

beforeAll(() => {
  setTestHostLogging(false);
});

const ctx = (bb = new ScopedBlackboard()): TemporalContext => ({ blackboard: bb, treeRegistry: new Registry(), timestamp: 0 });

class Greet extends ActionNode {
  ticks = 0;
  protected async executeTick(c: TemporalContext): Promise<NodeStatus> {
    this.ticks++;
    this.setOutput(c, 'out', `hi ${this.getInput<string>(c, 'who', 'nobody')}`);
    return NodeStatus.SUCCESS;
  }
}

class Boom extends ActionNode {
  protected async executeTick(): Promise<NodeStatus> {
    throw new Error('boom');
  }
}

class Flaky extends ActionNode {
  calls = 0;
  protected async executeTick(): Promise<NodeStatus> {
    if (this.calls++ === 0) throw new Error('first call fails');
    return NodeStatus.SUCCESS;
  }
}

describe('BaseNode (contract §2)', () => {
  it('type is the class name, not the registry key; anonymous classes give ""', () => {
    const registry = new Registry();
    registry.register('acme.greet.v1', Greet);
    expect(registry.create('acme.greet.v1', { id: 'g' }).type).toBe('Greet');
    const Anon = (() => class extends Greet {})();
    Object.defineProperty(Anon, 'name', { value: '' });
    expect(new Anon({ id: 'a' }).type).toBe('');
  });

  it('name defaults to id', () => {
    expect(new Greet({ id: 'g' }).name).toBe('g');
    expect(new Greet({ id: 'g', name: 'G' }).name).toBe('G');
  });

  it('getInput/setOutput remap through the config: the prop value names the blackboard key', async () => {
    const bb = new ScopedBlackboard();
    bb.set('user', 'Ada');
    await new Greet({ id: 'g', who: 'user', out: 'greeting' }).tick(ctx(bb));
    expect(bb.get('greeting')).toBe('hi Ada');
    expect(bb.has('out')).toBe(false);
  });

  it('a throwing executeTick gives FAILURE with lastError, and a later success keeps it stale until reset', async () => {
    const node = new Flaky({ id: 'f' });
    expect(await node.tick(ctx())).toBe(NodeStatus.FAILURE);
    expect(node.status()).toBe(NodeStatus.FAILURE);
    expect(node.lastError).toBe('first call fails');
    expect(await node.tick(ctx())).toBe(NodeStatus.SUCCESS);
    expect(node.lastError).toBe('first call fails');
    node.reset();
    expect(node.lastError).toBeUndefined();
    expect(node.status()).toBe(NodeStatus.IDLE);
  });

  it('lastError is "boom" and status FAILURE after a throw', async () => {
    const node = new Boom({ id: 'b' });
    expect(await node.tick(ctx())).toBe('FAILURE');
    expect(node.lastError).toBe('boom');
  });

  it('ConfigurationError is rethrown by the tick and rejects a whole Sequence', async () => {
    class Misconfigured extends ActionNode {
      protected async executeTick(): Promise<NodeStatus> {
        throw new ConfigurationError('bad props', 'fix them');
      }
    }
    const seq = new Sequence({ id: 's' });
    seq.addChildren([new Greet({ id: 'g' }), new Misconfigured({ id: 'm' })]);
    const err = await seq.tick(ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as ConfigurationError).name).toBe('ConfigurationError');
    expect((err as ConfigurationError).isConfigurationError).toBe(true);
    expect((err as ConfigurationError).hint).toBe('fix them');
  });

  it('a ConfigurationError look-alike from another copy is not rethrown (instanceof check)', async () => {
    class Foreign extends Error {
      readonly isConfigurationError = true;
      override name = 'ConfigurationError';
    }
    class Throws extends ActionNode {
      protected async executeTick(): Promise<NodeStatus> {
        throw new Foreign('other copy');
      }
    }
    const node = new Throws({ id: 't' });
    expect(await node.tick(ctx())).toBe(NodeStatus.FAILURE);
    expect(node.lastError).toBe('other copy');
  });

  it('halt acts only when RUNNING', async () => {
    let halted = 0;
    class Runner extends ActionNode {
      protected async executeTick(): Promise<NodeStatus> {
        return NodeStatus.RUNNING;
      }
      protected override onHalt(): void {
        halted++;
      }
    }
    const node = new Runner({ id: 'r' });
    node.halt();
    expect(halted).toBe(0);
    await node.tick(ctx());
    expect(node.status()).toBe(NodeStatus.RUNNING);
    node.halt();
    expect(halted).toBe(1);
    expect(node.status()).toBe(NodeStatus.IDLE);
  });

  it('clone re-runs the constructor with a shallow copy of config and copies no runtime fields', async () => {
    const constructed: NodeConfiguration[] = [];
    class Tracked extends Greet {
      constructor(config: NodeConfiguration) {
        super(config);
        constructed.push(config);
      }
    }
    const node = new Tracked({ id: 't', who: 'user' });
    await node.tick(ctx());
    const copy = node.clone() as Tracked;
    expect(copy).toBeInstanceOf(Tracked);
    expect(constructed).toHaveLength(2);
    expect(constructed[1]).toEqual(constructed[0]);
    expect(constructed[1]).not.toBe(constructed[0]);
    expect(copy.ticks).toBe(0);
    expect(copy.status()).toBe(NodeStatus.IDLE);
  });

  it('a composite that does not set _status stays IDLE while returning RUNNING', async () => {
    class Lazy extends CompositeNode {
      protected async executeTick(): Promise<NodeStatus> {
        return NodeStatus.RUNNING;
      }
    }
    const node = new Lazy({ id: 'l' });
    expect(await node.tick(ctx())).toBe(NodeStatus.RUNNING);
    expect(node.status()).toBe(NodeStatus.IDLE);
  });

  it('events fire in btree order for a failing child', async () => {
    const emitter = new NodeEventEmitter();
    const seen: string[] = [];
    emitter.onAll((e) => seen.push(`${e.type}:${e.nodeType}`));
    const seq = new Sequence({ id: 's' });
    seq.addChild(new Boom({ id: 'b' }));
    await seq.tick({ ...ctx(), eventEmitter: emitter });
    expect(seen).toEqual(['tick_start:Sequence', 'tick_start:Boom', 'error:Boom', 'tick_end:Boom', 'tick_end:Sequence']);
  });

  it('log is silenced by setTestHostLogging(false) and restored by true', () => {
    const lines: unknown[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void lines.push(args);
    try {
      new Registry();
      expect(lines).toHaveLength(0);
      setTestHostLogging(true);
      new Registry();
      expect(lines).toEqual([['[Registry] Registry created']]);
    } finally {
      setTestHostLogging(false);
      console.log = original;
    }
  });
});
