import { describe, expect, it } from 'vitest';
import { pinnedTypesInYaml } from '../../src/temporal/yaml-refs.js';

describe('pinnedTypesInYaml', () => {
  it('finds pinned node types in node positions only, once each', () => {
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
    expect(pinnedTypesInYaml(yaml)).toEqual(['SendSlackMessage@1.2.0', 'CreateJiraTicket@^1']);
  });

  it('rejects text that is not YAML with a clear error', () => {
    expect(() => pinnedTypesInYaml('type: [oops')).toThrow(/YAML does not parse.*HINT/s);
  });
});
