/**
 * The published surface: every tsup entry is a package.json export, every export points at a
 * file the build produces, the root entry loads no optional peer (cloud SDKs, Pyodide, Temporal),
 * and the build runs the guest code it inlined (src/guest-source.ts): QuickJS, the tenant
 * sandbox and Pyodide, from `dist/` alone; and it ships the web UI's browser bundle in `dist/ui`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { binEntries, entries, internalEntries } from '../../tsup.config.js';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
};
const subpathExports = Object.entries(pkg.exports).filter(([k]) => k !== './package.json');

function subpathOf(entry: string): string {
  return entry === 'index' ? '.' : `./${entry}`;
}

describe('package exports', () => {
  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js')], {
      cwd: root,
      maxBuffer: 32 * 1024 * 1024,
    });
  }, 300_000);

  it('exports every tsup entry under the matching subpath, except the executables, which are bins', () => {
    const exported = new Set(subpathExports.map(([k]) => k));
    for (const entry of Object.keys(entries).filter((e) => !binEntries.includes(e) && !internalEntries.includes(e))) expect(exported, `entry ${entry}`).toContain(subpathOf(entry));
    const bins = Object.values((pkg as { bin?: Record<string, string> }).bin ?? {});
    expect(bins).toEqual(binEntries.map((e) => `./dist/${e}.js`));
    for (const bin of bins) {
      expect(existsSync(join(root, bin)), bin).toBe(true);
      expect(readFileSync(join(root, bin), 'utf8').startsWith('#!/usr/bin/env node\n'), `${bin} starts with a shebang`).toBe(true);
    }
  });

  it('builds every export (types and ESM) from a tsup entry', () => {
    const fromEntries = new Set(Object.keys(entries).map(subpathOf));
    for (const [subpath, target] of subpathExports) {
      expect(fromEntries, `export ${subpath} has no tsup entry`).toContain(subpath);
      expect(typeof target).toBe('object');
      const { types, import: esm } = target as { types: string; import: string };
      expect(existsSync(join(root, esm)), `${subpath} → ${esm}`).toBe(true);
      expect(existsSync(join(root, types)), `${subpath} → ${types}`).toBe(true);
    }
  });

  it('imports no optional peer dependency from the root entry, statically', () => {
    // Follow the static import graph of the built root entry through its chunks; dynamic
    // `import()` of an optional peer inside an adapter is allowed and not followed.
    const bare = new Set<string>();
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      for (const m of code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s*(?:[^'"()]*?\sfrom\s*)?["']([^"']+)["']/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(join(dirname(file), spec));
        else bare.add(spec);
      }
    };
    visit(join(root, 'dist', 'index.js'));
    const peers = ['@aws-sdk/', '@google-cloud/', 'pyodide', '@temporalio/', 'quickjs-emscripten', 'fastify', '@fastify/', '@sinclair/typebox', 'pg', 'kysely', '@electric-sql/', '@opentelemetry/'];
    expect([...bare].filter((b) => peers.some((p) => b.startsWith(p)))).toEqual([]);
  });

  it('migrates and uses the Postgres metadata store and catalogue from dist, reading no migration file (PGlite)', async () => {
    const { PostgresMetadataStore, PostgresCatalogue, PgliteSessionPool } = (await import(pathToFileURL(join(root, 'dist', 'metadata', 'postgres.js')).href)) as typeof import('../../src/metadata-stores/postgres/index.js');
    expect(readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sql'))).toEqual([]);
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    try {
      const pool = new PgliteSessionPool(db);
      const store = new PostgresMetadataStore({ pool });
      expect(await store.migrate()).toEqual({ applied: ['0001_initial', '0002_marketplace', '0003_rate_limits'] });
      expect(await store.listNames('acme')).toEqual([]);
      const catalogue = new PostgresCatalogue({ pool });
      expect(await catalogue.migrate()).toEqual({ applied: [] });
      expect(await catalogue.listListings()).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('serves the HTTP API from dist (the ./fastify subpath with its peers)', async () => {
    const { customNodesApi } = (await import(pathToFileURL(join(root, 'dist', 'fastify.js')).href)) as typeof import('../../src/http/index.js');
    const { default: Fastify } = await import('fastify');
    const { TenantRegistry } = (await import(pathToFileURL(join(root, 'dist', 'index.js')).href)) as typeof import('../../src/index.js');
    const { MemoryStorage } = (await import(pathToFileURL(join(root, 'dist', 'storage', 'memory.js')).href)) as typeof import('../../src/storage-adapters/memory.js');
    const app = Fastify();
    const registry = new TenantRegistry({ storage: new MemoryStorage() });
    await app.register(customNodesApi, { host: registry, authenticate: () => ({ tenantId: 'acme', userId: 'ana', roles: [] }) });
    try {
      const list = await app.inject({ method: 'GET', url: '/custom-nodes' });
      expect(list.json()).toEqual({ nodes: [], nextCursor: null });
      const doc = await app.inject({ method: 'GET', url: '/openapi.json' });
      expect(Object.keys(doc.json().paths)).toContain('/custom-nodes/{id}/activate');
    } finally {
      await app.close();
    }
  });

  it('ships the web UI in dist/ui, minified and without source maps, and loadUiAssets from dist reads it', async () => {
    const uiDir = join(root, 'dist', 'ui');
    expect(readdirSync(uiDir).sort()).toEqual(['app.css', 'app.js']);
    const js = readFileSync(join(uiDir, 'app.js'));
    const css = readFileSync(join(uiDir, 'app.css'));
    for (const text of [js.toString(), css.toString()]) expect(text).not.toMatch(/sourceMappingURL/);
    // Minified: the source bundle's comments and indentation are gone.
    expect(js.toString().split('\n').length).toBeLessThan(20);
    expect(js.toString()).toContain('btree-plugins-api');
    // dist/ reads the files; it never bundles (the from-source path is not part of the build).
    const chunks = readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.js'));
    expect(chunks.filter((f) => /function bundleUiApp\b/.test(readFileSync(join(root, 'dist', f), 'utf8')))).toEqual([]);
    // The loader is a chunk of its own: the plugin imports it on the first /ui request.
    const loaders = chunks.filter((f) => /^assets-[\w-]+\.js$/.test(f));
    expect(loaders).toHaveLength(1);
    const { loadUiAssets } = (await import(pathToFileURL(join(root, 'dist', loaders[0]!)).href)) as typeof import('../../src/ui/assets.js');
    const assets = await loadUiAssets();
    expect([...assets.keys()].sort()).toEqual(['app.css', 'app.js']);
    expect(assets.get('app.js')).toEqual({ body: js, contentType: 'text/javascript; charset=utf-8', sha256: createHash('sha256').update(js).digest('hex') });
    expect(assets.get('app.css')).toEqual({ body: css, contentType: 'text/css; charset=utf-8', sha256: createHash('sha256').update(css).digest('hex') });

    // And the plugin from dist serves them, named by content in the shell.
    const { customNodesApi } = (await import(pathToFileURL(join(root, 'dist', 'fastify.js')).href)) as typeof import('../../src/http/index.js');
    const { default: Fastify } = await import('fastify');
    const { TenantRegistry } = (await import(pathToFileURL(join(root, 'dist', 'index.js')).href)) as typeof import('../../src/index.js');
    const { MemoryStorage } = (await import(pathToFileURL(join(root, 'dist', 'storage', 'memory.js')).href)) as typeof import('../../src/storage-adapters/memory.js');
    const app = Fastify();
    await app.register(customNodesApi, { host: new TenantRegistry({ storage: new MemoryStorage() }), ui: true, authenticate: () => null });
    try {
      const shell = await app.inject({ method: 'GET', url: '/ui' });
      expect(shell.statusCode).toBe(200);
      const version = createHash('sha256').update(js).digest('hex').slice(0, 16);
      expect(shell.body).toContain(`/ui/assets/app.js?v=${version}`);
      const served = await app.inject({ method: 'GET', url: `/ui/assets/app.js?v=${version}` });
      expect(served.statusCode).toBe(200);
      expect(served.rawPayload.equals(js)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('inlines every guest file, so dist reads none at run time', () => {
    const chunks = readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    const holders = chunks.filter((f) => readFileSync(join(root, 'dist', f), 'utf8').includes('"sandbox/guest/core.js":'));
    expect(holders).toHaveLength(1);
    expect(readFileSync(join(root, 'dist', holders[0]!), 'utf8')).not.toMatch(/const INLINED = void 0|INLINED = undefined/);
  });

  it('runs QuickJS from dist (prelude, console, checker, describe and worker guest files)', async () => {
    const { QuickJsEngine } = (await import(pathToFileURL(join(root, 'dist', 'interpreters', 'javascript.js')).href)) as typeof import('../../src/interpreters/javascript.js');
    const engine = new QuickJsEngine();
    const run = (script: string) => engine.run({ script, inputs: { a: 41 }, timeoutMs: 5000, memoryLimitBytes: 32 << 20 });
    try {
      expect(await run('console.log("hi"); result = a + 1')).toEqual({ ok: true, value: 42, output: ['hi'] });
      expect(await run('result = { x: NaN }')).toMatchObject({ ok: false, error: { kind: 'result', message: expect.stringContaining('result.x is NaN') } });
      expect(await run('\nthrow new TypeError("boom")')).toMatchObject({ ok: false, error: { kind: 'runtime', message: 'TypeError: boom', line: 2 } });
    } finally {
      await engine.dispose();
    }
  });

  it('ticks a tenant node from dist in every isolation mode (core, lockdown, public modules, zod and SDK guest files; the shard entry)', async () => {
    // The runner is a chunk of its own: PluginHost imports it lazily.
    const chunk = readdirSync(join(root, 'dist')).find((f) => /^tiered-runner-[\w-]+\.js$/.test(f));
    expect(chunk).toBeDefined();
    const { TieredRunner } = (await import(pathToFileURL(join(root, 'dist', chunk!)).href)) as typeof import('../../src/execution/tiered-runner.js');
    const code = [
      "import { NodeStatus } from '@wayfarer-ai/btree';",
      "import { proxyActivities } from '@temporalio/workflow';",
      "import { defineNode, z } from '@wayfarer-ai/btree-plugins/sdk';",
      "const { double } = proxyActivities({});",
      'export default defineNode({ name: "Doubler", props: z.object({ n: z.number() }), async tick(ctx) {',
      "  ctx.setOutput('out', await double(ctx.props.n)); return NodeStatus.SUCCESS;",
      '} });',
    ].join('\n');
    const bundle = { tenantId: 'acme', node: 'Doubler', version: '1.0.0', code, sha256: createHash('sha256').update(code).digest('hex') };
    for (const isolation of ['inline', 'thread', 'process'] as const) {
      const runner = new TieredRunner({ execution: { isolation, threads: 1, processes: 1 }, capabilities: { double: (_ctx, n) => Number(n) * 2 } });
      try {
        expect(await runner.tick(bundle, { props: { n: 21 }, blackboard: {} }), isolation).toMatchObject({ status: 'SUCCESS', writes: { out: 42 } });
        expect((await runner.stats()).tiers[isolation]?.ticks, isolation).toBe(1);
      } finally {
        await runner.dispose();
      }
    }
  });

  it('runs Python from dist (the Pyodide prelude, boot script and Python runner guest files)', async () => {
    const { PythonEngine } = (await import(pathToFileURL(join(root, 'dist', 'interpreters', 'python.js')).href)) as typeof import('../../src/interpreters/python.js');
    const engine = new PythonEngine({ maxIsolates: 1 });
    try {
      const outcome = await engine.run({ script: 'print("hi")\nresult = sum(xs)', inputs: { xs: [1, 2] }, timeoutMs: 30_000, memoryLimitBytes: 128 * 2 ** 20, tenantId: 'acme' });
      expect(outcome).toEqual({ ok: true, value: 3, output: ['hi'] });
    } finally {
      await engine.dispose();
    }
  }, 180_000);
});
