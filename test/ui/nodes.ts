/** Node sources the browser suites upload. */

/** The line of {@link brokenGreeter}'s syntax error. */
export const BROKEN_LINE = 9;

/** A `defineNode` greeter with a props schema: writes `greeting` = "Hello, <who><suffix>". */
export function greeterSource(suffix = ''): string {
  return [
    "import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';",
    '',
    'export default defineNode({',
    "  name: 'Greeter',",
    "  description: 'Greets someone on the blackboard',",
    "  category: 'action',",
    "  props: z.object({ who: z.string().min(1).describe('who to greet') }),",
    '  async tick(ctx) {',
    `    const greeting = 'Hello, ' + ctx.props.who + '${suffix}';`,
    "    ctx.blackboard.set('greeting', greeting);",
    '    return NodeStatus.SUCCESS;',
    '  },',
    '});',
    '',
  ].join('\n');
}

/** {@link greeterSource} with a syntax error on line {@link BROKEN_LINE}. */
export function brokenGreeter(): string {
  const lines = greeterSource().split('\n');
  lines[BROKEN_LINE - 1] = '    const greeting = ;';
  return lines.join('\n');
}

/** A class node with no props. */
export function plainSource(name: string, comment = ''): string {
  return [
    "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';",
    comment ? `// ${comment}` : '',
    `export default class ${name} extends ActionNode {`,
    '  protected async executeTick(): Promise<NodeStatus> { return NodeStatus.SUCCESS; }',
    '}',
    '',
  ].join('\n');
}
