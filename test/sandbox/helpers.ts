/**
 * Test helpers: compile node sources the way the loader does (esbuild: bundle, ESM, neutral,
 * es2022, keepNames, the three sandbox externals, external source map with sources), and track
 * every pool a test creates so that leaks fail the test.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { afterEach, expect } from 'vitest';
import { checkIsolation, type Isolation } from '../../src/execution/isolation.js';
import { TieredRunner } from '../../src/execution/tiered-runner.js';
import type { SandboxLimits } from '../../src/sandbox/limits.js';
import { SandboxPool, type SandboxPoolOptions, type SandboxPoolStats } from '../../src/sandbox/pool.js';
import type { NodeRunner, RunnableBundle } from '../../src/sandbox/types.js';

const EXTERNALS = ['@wayfarer-ai/btree', '@temporalio/workflow', '@wayfarer-ai/btree-plugins/sdk'];

/** Compiles one TypeScript source into a RunnableBundle. */
export async function bundleOf(source: string, node = 'TestNode', version = '1.0.0', tenantId = 'acme'): Promise<RunnableBundle> {
  const r = await esbuild.build({
    stdin: { contents: source, loader: 'ts', sourcefile: 'index.ts', resolveDir: '/' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    keepNames: true,
    external: EXTERNALS,
    sourcemap: 'external',
    sourcesContent: true,
    outfile: 'bundle.js',
    write: false,
    logLevel: 'silent',
  });
  const code = r.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const sourceMap = r.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
  return { tenantId, node, version, code, sourceMap, sha256: createHash('sha256').update(code).digest('hex') };
}

/** The seed's SendSlackMessage, unchanged. */
export function seedSource(): string {
  return readFileSync(new URL('../fixtures/nodes/send-slack-message.ts', import.meta.url), 'utf8');
}

/** Same bundle under another tenant. */
export function forTenant(bundle: RunnableBundle, tenantId: string): RunnableBundle {
  return { ...bundle, tenantId };
}

/**
 * The isolation mode the sandbox suites run in: `inline` unless BTREE_PLUGINS_TEST_ISOLATION says
 * otherwise (vitest.config.ts runs test/sandbox once per mode).
 */
export const TEST_ISOLATION: Isolation = checkIsolation(process.env.BTREE_PLUGINS_TEST_ISOLATION ?? 'inline', 'BTREE_PLUGINS_TEST_ISOLATION');

/** What the sandbox suites drive: a `SandboxPool` (inline) or a `TieredRunner` (thread, process). */
export interface TestPool extends NodeRunner {
  limitsFor(tenantId: string): SandboxLimits;
  stats(): SandboxPoolStats | Promise<SandboxPoolStats>;
  evict(tenantId: string): void | Promise<void>;
}

const pools: TestPool[] = [];

/**
 * A runner in {@link TEST_ISOLATION} mode, disposed after the test, which then checks that no
 * isolate leaked. Sharded modes get one shard, so that pool sizes mean what they mean inline.
 */
export function trackedPool(options?: SandboxPoolOptions): TestPool {
  const pool: TestPool =
    TEST_ISOLATION === 'inline'
      ? new SandboxPool(options)
      : new TieredRunner({ ...options, execution: { isolation: TEST_ISOLATION, threads: 1, processes: 1 } });
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  for (const pool of pools.splice(0)) {
    await pool.dispose();
    const s = await pool.stats();
    expect(s.liveIsolates).toBe(0);
    expect(s.isolatesDisposed).toBe(s.isolatesCreated);
  }
});

/** A bundle from hand-written code (no compiler): for odd or tampered bundles. */
export function rawBundle(code: string, node = 'Odd', tenantId = 'acme'): RunnableBundle {
  return { tenantId, node, version: '1.0.0', code, sha256: createHash('sha256').update(code).digest('hex') };
}

/** A class node whose executeTick body is `body` (with `ctx`, `a` = capabilities, `sleep`): the shape every attack uses. */
export function evilNode(body: string, prelude = '', name = 'Evil'): Promise<RunnableBundle> {
  return bundleOf(
    `import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';
import { proxyActivities, sleep } from '@temporalio/workflow';
const a: any = proxyActivities({});
${prelude}
export default class ${name} extends ActionNode {
  async executeTick(ctx: any): Promise<any> {
${body}
  }
}`,
    name,
  );
}
