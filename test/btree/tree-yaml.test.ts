import { describe, expect, it } from 'vitest';
import { isPinnedType, MAX_TREE_NODES, readTreeTypes } from '../../src/btree/tree-yaml.js';

describe('readTreeTypes', () => {
  it('finds the types of node positions only (root and children), once each, in document order', () => {
    const yaml = `
type: Sequence
children:
  - type: SendSlackMessage@1.2.0
  - type: Selector
    children:
      - type: CreateJiraTicket@^1
      - type: SendSlackMessage@1.2.0
  - type: PrintAction
    props: { payload: { type: "Not@ANode" } }
`;
    const read = readTreeTypes(yaml);
    expect(read).toEqual({ ok: true, types: ['Sequence', 'SendSlackMessage@1.2.0', 'Selector', 'CreateJiraTicket@^1', 'PrintAction'] });
    expect(read.ok && read.types.filter(isPinnedType)).toEqual(['SendSlackMessage@1.2.0', 'CreateJiraTicket@^1']);
  });

  it('reports text that is not YAML, or not a tree node, instead of throwing', () => {
    expect(readTreeTypes('type: [oops')).toMatchObject({ ok: false, message: expect.stringMatching(/unexpected end|flow/i) });
    expect(readTreeTypes('- type: A\n- type: B\n')).toMatchObject({ ok: false, message: /not a tree node/ });
    // btree's loader reads one document (js-yaml load): a second one is an error, not a second tree
    expect(readTreeTypes('type: A\n---\ntype: B\n')).toMatchObject({ ok: false });
  });

  it(`hazard: a tree of more than ${MAX_TREE_NODES} nodes is reported, not walked`, () => {
    const yaml = `type: Sequence\nchildren:\n${'  - type: A\n'.repeat(MAX_TREE_NODES + 1)}`;
    expect(readTreeTypes(yaml)).toEqual({ ok: false, message: `the tree has more than ${MAX_TREE_NODES} nodes` });
  });
});
