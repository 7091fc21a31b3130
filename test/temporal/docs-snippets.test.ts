/**
 * The workflow snippets of docs/temporal.md, run as they stand: each block marked
 * `<!-- example: temporal-workflow -->` is written to a file verbatim, bundled by Temporal's
 * workflow bundler (its two package imports resolved to the test host and to this package's
 * sources) and run on the dev server against a real PluginHost. A tree that names a node nobody
 * registered must fail the run at once with a clear, non-retryable error — never hang in workflow
 * task retries.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realHost, type RealHost } from './helpers/real-host.js';
import { temporalHarness, workflowId, type TemporalHarness } from './helpers/temporal.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MARKER = '<!-- example: temporal-workflow -->';

/** The code of every block marked {@link MARKER} in `doc`. */
function markedBlocks(doc: string): string[] {
  const lines = readFileSync(resolve(root, doc), 'utf8').split('\n');
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== MARKER) continue;
    const open = i + 1;
    expect(lines[open], `${doc}:${open + 1} must open a code block`).toMatch(/^```ts$/);
    const close = lines.findIndex((line, j) => j > open && line.startsWith('```'));
    blocks.push(lines.slice(open + 1, close).join('\n'));
  }
  return blocks;
}

const snippets = markedBlocks('docs/temporal.md');

/** Fails with a clear message instead of waiting for the test timeout when a run hangs. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (workflow task retried forever?)`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The chain of causes' messages of a failed workflow, outermost first. */
function causes(error: unknown): Array<{ name: string; type?: string; message: string }> {
  const out: Array<{ name: string; type?: string; message: string }> = [];
  for (let e = error as (Error & { type?: string }) | undefined; e instanceof Error; e = e.cause as typeof e) {
    out.push({ name: e.name, ...(e.type ? { type: e.type } : {}), message: e.message });
  }
  return out;
}

let parts: RealHost;
let h: TemporalHarness;

beforeAll(async () => {
  parts = realHost();
  await parts.publishActive('SendSlackMessage', '1.0.0', readFileSync(resolve(root, 'test/fixtures/nodes/send-slack-message.ts'), 'utf8'));
  h = await temporalHarness();
});

afterAll(async () => {
  await h?.close();
  await parts?.dispose();
});

describe('docs/temporal.md workflow snippets', () => {
  it('the doc marks its two workflow snippets (runTenantTree, and registerTenantNodes by hand)', () => {
    expect(snippets).toHaveLength(2);
    expect(snippets[0]).toContain('runTenantTree(btree, registry, args)');
    expect(snippets[1]).toContain('registerTenantNodes(btree, registry, { tenantId: args.tenantId, yaml: args.yaml })');
  });

  describe.each(snippets.map((code, i) => [i === 0 ? 'runTenantTree' : 'registerTenantNodes by hand', i, code] as const))('the %s snippet, verbatim', (_label, index, code) => {
    let worker: Worker;
    let running: Promise<void>;
    const taskQueue = `docs-snippet-${index}-${Math.random().toString(36).slice(2)}`;

    beforeAll(async () => {
      const dir = resolve(root, `.tmp/docs-snippets/temporal-${index}`);
      mkdirSync(dir, { recursive: true });
      const workflowsPath = resolve(dir, 'workflows.ts');
      writeFileSync(workflowsPath, `${code}\n`);
      const bundle = await bundleWorkflowCode({
        workflowsPath,
        logger: new DefaultLogger('ERROR'),
        webpackConfigHook: (config) => {
          config.resolve = {
            ...config.resolve,
            alias: {
              ...(config.resolve?.alias as Record<string, string> | undefined),
              '@wayfarer-ai/btree$': resolve(root, 'src/testing/index.ts'),
              '@wayfarer-ai/btree-plugins/workflow$': resolve(root, 'src/temporal/workflow.ts'),
            },
          };
          return config;
        },
      });
      worker = await h.worker({ taskQueue, activities: parts.activities, workflowBundle: { code: bundle.code } });
      running = worker.run();
    });

    afterAll(async () => {
      worker?.shutdown();
      await running;
    });

    const run = (yaml: string) =>
      h.client.workflow.execute('tenantTree', { taskQueue, workflowId: workflowId('docs-snippet'), args: [{ tenantId: 'acme', yaml, input: { who: 'ops' } }] });

    it('runs a tree of standard, tenant and interpreter nodes', async () => {
      const yaml = [
        'type: Sequence',
        'children:',
        '  - type: SendSlackMessage',
        '    props: { channel: "#ops", message: "deploy done" }',
        '  - type: JavaScriptInterpreter',
        '    props: { outputKey: greeting, script: "result = `hello ${who}`", inputs: [who] }',
      ].join('\n');
      const result = (await within(30_000, 'the workflow', run(yaml))) as { status: string; output: Record<string, unknown> };
      expect(result.status).toBe('SUCCESS');
      expect(result.output.greeting).toBe('hello ops');
      expect(parts.calls.some((c) => c.capability === 'sendSlackMessage')).toBe(true);
    });

    it('hazard: a bare node type nobody registered fails the run at once, naming tenant, node and a hint', async () => {
      const error = await within(20_000, 'the workflow', run('type: Sequence\nchildren:\n  - type: SendSlak\n')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const chain = causes(error);
      const reason = chain.find((c) => c.type === 'NotFoundError');
      expect(reason, JSON.stringify(chain)).toBeDefined();
      expect(reason!.message).toMatch(/\[tenant=acme, node=SendSlak\]: tenant has no node "SendSlak"\. HINT: available nodes: SendSlackMessage/);
    });

    it('a pinned version that does not exist fails the same way', async () => {
      const error = await within(20_000, 'the workflow', run('type: Sequence\nchildren:\n  - type: SendSlackMessage@9.9.9\n')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const reason = causes(error).find((c) => c.type === 'NotFoundError');
      expect(reason?.message).toMatch(/\[tenant=acme, node=SendSlackMessage, version=9\.9\.9\]: SendSlackMessage has no version 9\.9\.9\. HINT:/);
    });
  });
});
