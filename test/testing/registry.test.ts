import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ActionNode,
  ConfigurationError,
  createNodeSchema,
  NodeStatus,
  Registry,
  registerStandardNodes,
  schemaRegistry,
  SchemaRegistry,
  setTestHostLogging,
  type NodeConfiguration,
} from '../../src/testing/index.js';

beforeAll(() => {
  setTestHostLogging(false);
});

class Captures extends ActionNode {
  readonly seen: NodeConfiguration;
  constructor(config: NodeConfiguration) {
    super(config);
    this.seen = config;
  }
  protected async executeTick(): Promise<NodeStatus> {
    return NodeStatus.SUCCESS;
  }
}

describe('Registry (contract §3)', () => {
  it('register throws on a duplicate type and stores metadata with defaults', () => {
    const r = new Registry();
    r.register('X', Captures);
    expect(() => r.register('X', Captures)).toThrow("Node type 'X' is already registered");
    expect(r.getMetadata('X')).toEqual({ type: 'X', category: 'action', description: undefined, ports: [] });
    r.register('C', Captures, { category: 'condition', description: 'd' });
    expect(r.getTypesByCategory('condition')).toEqual(['C']);
  });

  it('create on an unknown type lists the available types', () => {
    const r = new Registry();
    r.register('A', Captures);
    expect(() => r.create('Nope', { id: 'n' })).toThrow("Unknown node type: 'Nope'. Available types: A");
  });

  it('without a schema: id must be a non-empty string, other props pass through', () => {
    const r = new Registry();
    r.register('Free', Captures);
    const node = r.create('Free', { id: 'f', anything: { deep: [1] } }) as Captures;
    expect(node.seen).toEqual({ id: 'f', anything: { deep: [1] } });
    const err = (() => {
      try {
        r.create('Free', { id: '' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toBe('Invalid configuration for Free:\n  - id: Node ID cannot be empty');
  });

  it('a createNodeSchema schema turns bad props into ConfigurationError and hands the zod output to the constructor', () => {
    const type = `Schemed${Math.random().toString(36).slice(2)}`;
    schemaRegistry.register(type, createNodeSchema(type, { count: z.number().default(3), label: z.string() }));
    expect(() => schemaRegistry.register(type, createNodeSchema(type, {}))).toThrow(`Schema for node type '${type}' already registered`);
    const r = new Registry();
    r.register(type, Captures);
    const node = r.create(type, { id: 's', label: 'L', extra: true }) as Captures;
    expect(node.seen).toEqual({ id: 's', label: 'L', extra: true, count: 3 });
    expect(() => r.create(type, { id: 's', label: 5 })).toThrow(ConfigurationError);
    expect(() => r.create(type, { id: 's', label: 5 })).toThrow(`Invalid configuration for ${type}:s:\n  - label:`);
  });

  it('the schema store is global: a second Registry sees the same schema', () => {
    const type = `Global${Math.random().toString(36).slice(2)}`;
    schemaRegistry.register(type, createNodeSchema(type, { must: z.string() }));
    const r2 = new Registry();
    r2.register(type, Captures);
    expect(() => r2.create(type, { id: 'x' })).toThrow(ConfigurationError);
  });

  it('a strict schema strips unknown keys', () => {
    const local = new SchemaRegistry();
    const strict = z.object({ id: z.string(), keep: z.number() });
    local.register('Strict', strict);
    expect(local.validate('Strict', { id: 'a', keep: 1, drop: 2 })).toEqual({ id: 'a', keep: 1 });
    local.clear();
    expect(local.hasSchema('Sequence')).toBe(false);
  });

  it('createTree flattens props, lets props.id/props.name override, and attaches children by duck typing', () => {
    const r = new Registry();
    registerStandardNodes(r);
    r.register('Leaf', Captures);
    const root = r.createTree({
      type: 'Sequence',
      id: 'root',
      children: [
        { type: 'Leaf', id: 'yaml-id', name: 'yaml-name', props: { id: 'props-id', greeting: 'Hi' } },
        { type: 'Leaf', id: 'with-kids', children: [{ type: 'Leaf', id: 'dropped' }] },
      ],
    });
    const [first, second] = root.children as Captures[];
    expect(first!.seen).toEqual({ id: 'props-id', name: 'yaml-name', greeting: 'Hi' });
    expect(second!.children).toBeUndefined();
    expect(() => r.createTree({ type: 'Invert', id: 'i', children: [] })).toThrow('Decorator Invert must have exactly one child');
  });

  it('createTree without an id generates `${type}_${Date.now()}` and name falls back to the id', () => {
    const r = new Registry();
    r.register('Leaf', Captures);
    const node = r.createTree({ type: 'Leaf' }) as Captures;
    expect(node.id).toMatch(/^Leaf_\d+$/);
    expect(node.seen.name).toBeUndefined();
  });

  it('registerStandardNodes registers the documented subset with categories', () => {
    const r = new Registry();
    registerStandardNodes(r);
    expect(r.getTypesByCategory('composite')).toEqual(['Sequence', 'Selector', 'Parallel']);
    expect(r.getTypesByCategory('decorator')).toEqual(['Invert', 'ForceSuccess', 'ForceFailure']);
  });
});
