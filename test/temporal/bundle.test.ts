/**
 * The workflow entry passes Temporal's workflow bundler with no `ignoreModules` of ours: it imports
 * only `@temporalio/workflow` and pure modules. The worker side must not (negative control).
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const logger = new DefaultLogger('ERROR', () => {});

describe('workflow bundling', () => {
  it('bundles the workflow entry alone without ignoreModules', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: here('./fixtures/entry-only.ts'), logger });
    expect(code).toContain('btreePluginsResolveNodes');
    // Module paths are kept in the bundle: check which of our modules and which packages went in.
    const ours = new Set(code.match(/\.\/src\/[a-z/._-]+\.ts/g));
    expect([...ours].sort()).toEqual([
      './src/binding-core/blackboard.ts',
      './src/binding-core/guest-log.ts',
      './src/binding-core/interpreter-node.ts',
      './src/binding-core/interpreter-props.ts',
      './src/binding-core/json-copy.ts',
      './src/binding-core/node-props.ts',
      './src/binding-core/reserved-keys.ts',
      './src/errors.ts',
      './src/temporal/activity-options.ts',
      './src/temporal/props-validator.ts',
      './src/temporal/proxy-node.ts',
      './src/temporal/script-activity-engine.ts',
      './src/temporal/types.ts',
      './src/temporal/workflow.ts',
    ]);
    expect(code).toContain('node_modules/@temporalio/workflow/');
    expect(code).not.toMatch(/node_modules\/(isolated-vm|pyodide|quickjs-emscripten|ajv|esbuild|js-yaml)\//);
  });

  it('bundles the example workflows (test host + entry) without ignoreModules', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: here('../../examples/temporal/workflows.ts'), logger });
    expect(code).toContain('tenantTree');
  });

  it('refuses a workflows module that imports the worker side (activities)', async () => {
    await expect(bundleWorkflowCode({ workflowsPath: here('./fixtures/imports-activities.ts'), logger })).rejects.toThrow(/disallowed|Webpack finished with errors/i);
  });
});
