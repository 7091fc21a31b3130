/** Node sources the HTTP tests upload. */

/** A `defineNode` node with a props schema: writes `greeting` = "Hello, <name>" to the blackboard. */
export function greeterSource(variant = 0): string {
  return [
    "import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';",
    '',
    'export default defineNode({',
    "  name: 'Greeter',",
    "  description: 'Greets someone on the blackboard',",
    "  category: 'action',",
    "  props: z.object({ who: z.string().min(1), outputKey: z.string().default('greeting') }),",
    '  async tick(ctx) {',
    `    ctx.blackboard.set(ctx.props.outputKey, 'Hello, ' + ctx.props.who${variant ? ` + '${'!'.repeat(variant)}'` : ''});`,
    '    return NodeStatus.SUCCESS;',
    '  },',
    '});',
    '',
  ].join('\n');
}

/** A class node with no props schema. */
export function plainSource(name: string, variant = 0): string {
  return [
    "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';",
    `export default class ${name} extends ActionNode {`,
    `  protected async executeTick(): Promise<NodeStatus> { return ${variant} >= 0 ? NodeStatus.SUCCESS : NodeStatus.FAILURE; }`,
    '}',
    '',
  ].join('\n');
}
