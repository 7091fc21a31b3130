/**
 * The files `btree-plugins init <NodeName>` writes: a project that passes `test` and `validate` as
 * generated. One `defineNode` with zod props in their own module, one capability call, declarative
 * tests, and a README that walks the author to a running node.
 *
 * @module
 */

/** `SendSlackMessage` → `send-slack-message`. */
export function kebabOf(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
}

/** `SendSlackMessage` → `sendSlackMessage`. */
export function camelOf(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** What the templates need. */
export interface TemplateInput {
  name: string;
  /** The dependency spec of this library in the new package.json. */
  librarySpec: string;
}

/** Path (relative to the project folder) → text. */
export function projectFiles({ name, librarySpec }: TemplateInput): Record<string, string> {
  const kebab = kebabOf(name);
  const capability = camelOf(name);
  const entry = `src/${kebab}.ts`;
  const pkg = {
    name: `${kebab}-node`,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      test: 'btree-plugins test',
      validate: 'btree-plugins validate',
      typecheck: 'tsc --noEmit',
      deploy: 'btree-plugins deploy',
    },
    btreePlugins: { nodes: [{ name, version: '0.1.0', entry, description: `${name}: describe what it does` }] },
    devDependencies: {
      '@temporalio/workflow': '^1.14.0',
      '@wayfarer-ai/btree-plugins': librarySpec,
      typescript: '~5.9.0',
    },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      verbatimModuleSyntax: true,
    },
    include: ['src'],
  };
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    '.gitignore': 'node_modules/\n',
    [`src/${kebab}.schema.ts`]: `import { z } from '@wayfarer-ai/btree-plugins/sdk';

/**
 * The props of ${name}, as a tree gives them:
 *   { type: ${name}, id: step1, props: { message: 'Order {{orderId}} shipped' } }
 * The host checks every tree's props against this schema (published as JSON Schema) before the
 * tree runs.
 */
export const props = z.object({
  /** The text to send; \`{{key}}\` is replaced by the blackboard value of \`key\`. */
  message: z.string().min(1),
  /** The blackboard key the capability's answer is written to. */
  outputKey: z.string().default('${capability}Result'),
});

export type ${name}Props = z.output<typeof props>;
`,
    [entry]: `import { defineNode, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';
import { proxyActivities } from '@temporalio/workflow';
import { props } from './${kebab}.schema.js';

/** The host capability this node calls. The host provides it (PluginHost \`capabilities\`). */
interface Capabilities {
  ${capability}(message: string): Promise<{ id: string }>;
}

const { ${capability} } = proxyActivities<Capabilities>({ startToCloseTimeout: '30s' });

export default defineNode({
  name: '${name}',
  description: '${name}: describe what it does',
  props,
  ports: [{ name: 'outputKey', type: 'output', description: 'where the answer goes' }],
  async tick(ctx) {
    const message = ctx.props.message.replace(/\\{\\{(\\w+)\\}\\}/g, (_m, key: string) => String(ctx.blackboard.get(key) ?? ''));
    try {
      const answer = await ${capability}(message);
      ctx.blackboard.set(ctx.props.outputKey, answer.id);
      return NodeStatus.SUCCESS;
    } catch (e) {
      ctx.log.warn('${capability} failed', e instanceof Error ? e.message : String(e));
      return NodeStatus.FAILURE;
    }
  },
});
`,
    [`src/${kebab}.test.ts`]: `import { defineNodeTests } from '@wayfarer-ai/btree-plugins/testing';

// \`btree-plugins test\` runs each case in the same sandbox as production, with these stubs in
// place of the host's capabilities. A stub is a function of the call's arguments, or a value.
export default defineNodeTests({
  capabilities: {
    ${capability}: (message) => ({ id: \`sent:\${String(message)}\` }),
  },
  cases: [
    {
      name: 'fills the template from the blackboard and stores the answer',
      props: { message: 'Order {{orderId}} shipped' },
      blackboard: { orderId: 42 },
      expect: {
        status: 'SUCCESS',
        calls: [['${capability}', 'Order 42 shipped']],
        writes: { ${capability}Result: 'sent:Order 42 shipped' },
      },
    },
    {
      name: 'fails when the capability fails',
      props: { message: 'hello', outputKey: 'answer' },
      capabilities: {
        ${capability}: () => {
          throw new Error('service unavailable');
        },
      },
      expect: { status: 'FAILURE', writes: {} },
    },
    {
      name: 'refuses an empty message (the props schema)',
      props: { message: '' },
      expect: { status: 'FAILURE', error: 'invalid props', calls: [] },
    },
  ],
});
`,
    'README.md': `# ${name}

A custom node for a [@wayfarer-ai/btree](https://github.com/wayfarer-ai/btree) platform, built with
\`@wayfarer-ai/btree-plugins\`.

\`\`\`sh
npm install
npx btree-plugins test        # runs src/*.test.ts in the production sandbox, prints the cost
npx btree-plugins validate    # compile, import policy, static scan, props schema, sizes
npx btree-plugins deploy --tenant <tenant> --api <url> --activate   # token: BTREE_PLUGINS_TOKEN
\`\`\`

- \`${entry}\` is the node; \`src/${kebab}.schema.ts\` its props; \`src/${kebab}.test.ts\` its tests.
- \`package.json\` → \`btreePlugins.nodes\` names the node, its entry and the version \`deploy\`
  uploads. Versions are immutable: bump the version for every change you deploy.
- The node calls the host capability \`${capability}\`; ask your platform which capabilities exist.
`,
  };
}
