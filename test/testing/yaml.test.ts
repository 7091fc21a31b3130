import { beforeAll, describe, expect, it } from 'vitest';
import {
  ActionNode,
  ConfigurationError,
  createNodeSchema,
  loadTreeFromYaml,
  NodeStatus,
  Registry,
  registerStandardNodes,
  schemaRegistry,
  SemanticValidationError,
  setTestHostLogging,
  StructureValidationError,
  YamlSyntaxError,
  validateYaml,
  type NodeConfiguration,
} from '../../src/testing/index.js';
import { z } from 'zod';

beforeAll(() => {
  setTestHostLogging(false);
  schemaRegistry.register('YamlTyped', createNodeSchema('YamlTyped', { n: z.number() }));
});

class Leaf extends ActionNode {
  readonly seen: NodeConfiguration;
  constructor(config: NodeConfiguration) {
    super(config);
    this.seen = config;
  }
  protected async executeTick(): Promise<NodeStatus> {
    return NodeStatus.SUCCESS;
  }
}

function registry(): Registry {
  const r = new Registry();
  registerStandardNodes(r);
  r.register('Leaf', Leaf);
  r.register('YamlTyped', Leaf);
  return r;
}

describe('loadTreeFromYaml (contract §4)', () => {
  it('maps props flat into the constructor config', () => {
    const root = loadTreeFromYaml('type: Leaf\nid: g\nprops:\n  greeting: Hi\n  outputKey: msg\n', registry()) as Leaf;
    expect(root.seen).toEqual({ id: 'g', name: 'g', greeting: 'Hi', outputKey: 'msg' });
  });

  it('stage 1: bad YAML and non-objects are YamlSyntaxError with line/column', () => {
    const err = (() => {
      try {
        loadTreeFromYaml('type: [unclosed', registry());
      } catch (e) {
        return e;
      }
    })() as YamlSyntaxError;
    expect(err).toBeInstanceOf(YamlSyntaxError);
    expect(err.name).toBe('YamlSyntaxError');
    expect(typeof err.line).toBe('number');
    expect(() => loadTreeFromYaml('42', registry())).toThrow(YamlSyntaxError);
  });

  it('stage 2: a bad structure is StructureValidationError', () => {
    expect(() => loadTreeFromYaml('id: no-type\n', registry())).toThrow(StructureValidationError);
    expect(() => loadTreeFromYaml('type: Leaf\nchildren: nope\n', registry())).toThrow(/Invalid tree structure/);
  });

  it('stage 3: unknown types, duplicate ids and decorator child counts are SemanticValidationError (first one)', () => {
    const r = registry();
    expect(() => loadTreeFromYaml('type: Nope\n', r)).toThrow(SemanticValidationError);
    expect(() => loadTreeFromYaml('type: Nope\n', r)).toThrow("Unknown node type 'Nope'");
    const dup = 'type: Sequence\nid: a\nchildren:\n  - type: Leaf\n    id: a\n';
    expect(() => loadTreeFromYaml(dup, r)).toThrow("Duplicate ID 'a'");
    expect(() => loadTreeFromYaml('type: Invert\nid: i\n', r)).toThrow("Decorator 'Invert' must have exactly 1 child (has 0)");
  });

  it('stage 4: per-node config validation throws ConfigurationError', () => {
    expect(() => loadTreeFromYaml('type: YamlTyped\nid: t\nprops:\n  n: "x"\n', registry())).toThrow(ConfigurationError);
  });

  it('quirk: failFast:false skips semantic validation — duplicate ids accepted, unknown types a plain Error', () => {
    const r = registry();
    const dup = 'type: Sequence\nid: a\nchildren:\n  - type: Leaf\n    id: a\n';
    expect(loadTreeFromYaml(dup, r, { failFast: false }).id).toBe('a');
    const err = (() => {
      try {
        loadTreeFromYaml('type: Nope\n', r, { failFast: false });
      } catch (e) {
        return e;
      }
    })();
    expect(err).not.toBeInstanceOf(SemanticValidationError);
    expect((err as Error).message).toMatch(/^Unknown node type: 'Nope'/);
  });

  it('a constructor can throw anything and it surfaces as is', () => {
    class Picky extends Leaf {
      constructor(config: NodeConfiguration) {
        super(config);
        throw new Error('Script syntax error: nope');
      }
    }
    const r = registry();
    r.register('Picky', Picky);
    expect(() => loadTreeFromYaml('type: Picky\n', r)).toThrow('Script syntax error: nope');
  });

  it('validateYaml reports instead of throwing; config failures come back as StructureValidationError', () => {
    const r = registry();
    expect(validateYaml('type: Leaf\nid: a\n', r)).toEqual({ valid: true, errors: [] });
    const bad = validateYaml('type: YamlTyped\nid: t\nprops:\n  n: "x"\n', r);
    expect(bad.valid).toBe(false);
    expect(bad.errors[0]).toBeInstanceOf(StructureValidationError);
    expect(bad.errors[0]!.message).toMatch(/^Invalid configuration for YamlTyped:t:/);
    const unknown = validateYaml('type: Nope\n', r);
    expect(unknown.errors.map((e) => e.name)).toEqual(['SemanticValidationError']);
    expect(validateYaml('type: [', r).errors[0]).toBeInstanceOf(YamlSyntaxError);
  });
});
