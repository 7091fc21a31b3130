import { ConfigurationError, InvalidInputError } from '../../src/errors.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineNode, NodeStatus, z, type NodeBlackboard } from '../../src/sdk/index.js';
import { bundleOf, trackedPool } from '../sandbox/helpers.js';

/** A minimal blackboard for host-side unit tests of a node. */
function board(data: Record<string, unknown> = {}): NodeBlackboard & { data: Record<string, unknown> } {
  const m = new Map(Object.entries(data));
  return {
    data,
    get: (k) => m.get(k),
    has: (k) => m.has(k),
    set: (k, v) => void (m.set(k, v), (data[k] = v)),
    delete: (k) => void (m.delete(k), delete data[k]),
    keys: () => [...m.keys()],
    entries: () => [...m.entries()],
    toJSON: () => Object.fromEntries(m),
    getPort: <T>(k: string, d?: T) => (m.get(k) === undefined ? d : m.get(k)) as T,
    setPort: (k, v) => void (m.set(k, v), (data[k] = v)),
  };
}

const GREET = `
import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
export default defineNode({
  name: 'Greet',
  category: 'condition',
  props: z.object({ greeting: z.string().min(1), who: z.string().optional(), out: z.string().default('greeting') }),
  tick(ctx) {
    ctx.setOutput('out', ctx.props.greeting + ', ' + ctx.getInput('who', 'world'));
    return NodeStatus.SUCCESS;
  },
});`;

describe('defineNode (host side)', () => {
  const Greet = defineNode({
    name: 'Greet',
    category: 'condition',
    props: z.object({ greeting: z.string().min(1), who: z.string().optional(), out: z.string().default('greeting') }),
    tick(ctx) {
      ctx.setOutput('out', `${ctx.props.greeting}, ${ctx.getInput('who', 'world')}`);
      return NodeStatus.SUCCESS;
    },
  });

  it('types props from the zod schema', () => {
    expectTypeOf(new Greet({ id: 'g', greeting: 'hi' }).props).toEqualTypeOf<{ greeting: string; who?: string | undefined; out: string }>();
  });

  it('builds a node btree can construct and tick, with port remapping', async () => {
    const bb = board({ user: 'Ada' });
    const node = new Greet({ id: 'g1', greeting: 'Hello', who: 'user' });
    expect(node.name).toBe('g1');
    expect(Greet.name).toBe('Greet');
    expect(await node.tick({ blackboard: bb })).toBe('SUCCESS');
    expect(bb.data.greeting).toBe('Hello, Ada');
  });

  it('refuses bad props with a ConfigurationError listing every problem', () => {
    expect(() => new Greet({ id: 'g2', greeting: '', who: 3 })).toThrow(/Invalid configuration for Greet:g2:\n {2}- greeting: .*\n {2}- who: /);
    expect(() => new Greet({ id: 'g2', greeting: '' })).toThrow(ConfigurationError);
    expect(() => defineNode({ name: 'bad name', tick: () => 'SUCCESS' } as never)).toThrow(InvalidInputError);
  });

  it('turns a thrown error into FAILURE with lastError, as btree does', async () => {
    const Boom = defineNode({ name: 'Boom', tick: () => { throw new Error('kaput'); } });
    const node = new Boom({ id: 'b' });
    expect(await node.tick({ blackboard: board() })).toBe('FAILURE');
    expect(node.lastError).toBe('kaput');
  });

  it('publishes the same metadata as the sandbox reads from the same source', async () => {
    const pool = trackedPool();
    const bundle = await bundleOf(GREET, 'Greet');
    expect(await pool.inspect(bundle)).toEqual({ ...Greet.definition, ports: [] , description: undefined });
    const outcome = await pool.tick(bundle, { props: { greeting: 'Hello', who: 'user' }, blackboard: { user: 'Ada' } });
    expect(outcome.writes).toEqual({ greeting: 'Hello, Ada' });
  });

  it('explains malformed definitions', () => {
    expect(() => defineNode({ name: '1bad', tick: () => 'SUCCESS' })).toThrow(/name must start with a letter/);
    expect(() => defineNode({ name: 'NoTick' } as never)).toThrow(/tick\(ctx\) must be a function/);
    expect(() => defineNode({ name: 'BadProps', props: {} as never, tick: () => 'SUCCESS' })).toThrow(/props must be a zod schema/);
    expect(() => defineNode({ name: 'BadPorts', ports: [{ name: 'x', type: 'sideways' } as never], tick: () => 'SUCCESS' })).toThrow(/ports\[0\]/);
  });
});
