/**
 * A node author's whole path with the `btree-plugins` executable, as a subprocess from a temporary
 * folder: init → test → validate → deploy to a real API server (Fastify on 127.0.0.1) and to a
 * filesystem store → approve → activate → the node runs in a behaviour tree of a host that reads
 * that store. The generated project links the built package; nothing is fetched.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../examples/api-server/server.js';
import { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { GcsStorage } from '../../src/storage-adapters/gcs.js';
import { S3Storage } from '../../src/storage-adapters/s3.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import { gcsBuckets, s3Buckets } from '../setup/buckets.js';
import { s3TestServer } from '../setup/servers/env.js';
import * as btree from '../../src/testing/index.js';
import { buildCliPackage, linkPackage, runCli, type CliRun } from './cli-package.js';

btree.setTestHostLogging(false);

const AUTHOR = 'cli-author-token-0123456789';
const APPROVER = 'cli-approver-token-0123456789';
const TOKENS = {
  [AUTHOR]: { tenantId: 'acme', userId: 'ana', roles: [] },
  [APPROVER]: { tenantId: 'acme', userId: 'rita', roles: ['approver'] },
};

let dir: string;
let bin: string;
let project: string;
let server: ApiServer;

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli(bin, args, project, env);
const ok = (run: CliRun): CliRun => {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
};

/** Runs one tree of `tenant` over `storage` (disposed after): SendSlackMessage with a template prop. */
async function runTree(storage: StorageAdapter, tenant: string): Promise<{ result: unknown; sent: unknown[] }> {
  const sent: unknown[] = [];
  const host = new PluginHost({
    btree,
    storage,
    capabilities: { sendSlackMessage: async (_ctx, message) => (sent.push(message), { id: `msg-${sent.length}` }) },
  });
  try {
    const yaml = 'type: SendSlackMessage\nid: notify\nprops: { message: "Order {{orderId}} shipped", outputKey: messageId }\n';
    const registry = new btree.Registry();
    btree.registerStandardNodes(registry);
    await host.registerNodes(registry, tenant, { yaml });
    const run = new btree.BehaviorTree(btree.loadTreeFromYaml(yaml, registry)).toWorkflow();
    return { result: await run({ input: { orderId: 42 }, treeRegistry: registry }), sent };
  } finally {
    await host.dispose();
    await storage.dispose();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btree-plugins-cli-'));
  ({ bin } = await buildCliPackage(dir));
  server = await startApiServer({ port: 0, dataDir: join(dir, 'api-data'), tokens: TOKENS, logger: false, btree });
  const init = await runCli(bin, ['init', 'SendSlackMessage'], dir);
  expect(init.code, init.stderr).toBe(0);
  project = join(dir, 'send-slack-message');
  linkPackage(project, join(dir, 'package'));
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('btree-plugins, from init to a running node', () => {
  it('init writes the project the docs describe', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { btreePlugins: unknown; devDependencies: Record<string, string> };
    expect(pkg.btreePlugins).toEqual({ nodes: [{ name: 'SendSlackMessage', version: '0.1.0', entry: 'src/send-slack-message.ts', description: 'SendSlackMessage: describe what it does' }] });
    expect(pkg.devDependencies['@wayfarer-ai/btree-plugins']).toMatch(/^\^\d+\.\d+\.\d+/);
    for (const file of ['tsconfig.json', 'README.md', 'src/send-slack-message.ts', 'src/send-slack-message.schema.ts', 'src/send-slack-message.test.ts']) {
      expect(readFileSync(join(project, file), 'utf8').length, file).toBeGreaterThan(0);
    }
    expect(readFileSync(join(project, 'src/send-slack-message.ts'), 'utf8')).toContain("from './send-slack-message.schema.js'");
  });

  it('test passes as generated and prints each case and the cost against the default limits', async () => {
    const run = ok(await cli(['test']));
    expect(run.stdout).toContain('✓ fills the template from the blackboard and stores the answer');
    expect(run.stdout).toContain('✓ refuses an empty message (the props schema)');
    expect(run.stdout).toMatch(/CPU per tick\s+[\d.]+ ms of\s+100 ms/);
    expect(run.stdout).toMatch(/isolate heap\s+[\d.]+ MiB of 64\.0 MiB/);
    expect(run.stdout).toContain('3 case(s) passed');
    // Pipes are not a terminal: no colour codes.
    expect(run.stdout + run.stderr).not.toContain('\u001b[');
  });

  it("test --api reads the tenant's limits from the API and --json reports every case with its cost", async () => {
    const run = ok(await cli(['test', '--api', server.url, '--tenant', 'acme', '--json'], { BTREE_PLUGINS_TOKEN: AUTHOR }));
    const report = JSON.parse(run.stdout) as { ok: boolean; limitsFrom: string; nodes: Array<{ name: string; passed: boolean; cases: Array<{ cost: { cpuMs: number; heapBytes: number; bundleBytes: number } }>; cost: Array<{ resource: string; limit: number }> }> };
    expect(report.ok).toBe(true);
    expect(report.limitsFrom).toBe(`${server.url}/tenant`);
    const [node] = report.nodes;
    expect(node!.passed).toBe(true);
    expect(node!.cases).toHaveLength(3);
    for (const c of node!.cases.slice(0, 2)) {
      expect(c.cost.cpuMs).toBeGreaterThan(0);
      expect(c.cost.heapBytes).toBeGreaterThan(1024 * 1024);
      expect(c.cost.bundleBytes).toBeGreaterThan(500);
    }
    expect(node!.cost.find((l) => l.resource === 'cpuMs')!.limit).toBe(100);
  });

  it('validate passes as generated and prints the sizes against the compile limits', async () => {
    const run = ok(await cli(['validate']));
    expect(run.stdout).toContain('SendSlackMessage@0.1.0 valid (0 error(s), 0 warning(s))');
    expect(run.stdout).toMatch(/bundle size\s+[\d.]+ KiB of\s+1\.0 MiB/);
    expect(run.stdout).toMatch(/props schema\s+\d+ chars of 65536 chars/);
  });

  it('deploys to the API: draft, approval by another user, activation, then "unchanged"; the node runs in a tree', async () => {
    const api = ['--api', server.url, '--tenant', 'acme'];
    const first = await cli(['deploy', ...api, '--activate'], { BTREE_PLUGINS_TOKEN: AUTHOR });
    // The example server requires approval: the upload stays a draft and the CLI says what to do.
    expect(first.code).toBe(3);
    expect(first.stdout).toContain('SendSlackMessage@0.1.0 uploaded (draft');
    expect(first.stderr).toContain('requires approval before activation');
    expect(first.stderr).toContain('btree-plugins approve SendSlackMessage@0.1.0');

    ok(await cli(['approve', 'SendSlackMessage@0.1.0', ...api, '--token', APPROVER, '--note', 'reviewed']));
    const second = ok(await cli(['deploy', ...api, '--activate', '--json'], { BTREE_PLUGINS_TOKEN: AUTHOR }));
    const doc = JSON.parse(second.stdout) as { ok: boolean; deployed: Array<{ result: string; activated: boolean; record: { status: string } }> };
    expect(doc.ok).toBe(true);
    expect(doc.deployed).toEqual([expect.objectContaining({ result: 'unchanged', activated: true, record: expect.objectContaining({ status: 'active' }) })]);

    const again = ok(await cli(['deploy', ...api], { BTREE_PLUGINS_TOKEN: AUTHOR }));
    expect(again.stdout).toContain('SendSlackMessage@0.1.0 unchanged (active');

    const status = ok(await cli(['status', 'SendSlackMessage', ...api, '--json'], { BTREE_PLUGINS_TOKEN: AUTHOR }));
    expect(JSON.parse(status.stdout).node).toEqual({ name: 'SendSlackMessage', active: '0.1.0', latest: '0.1.0', versions: [{ version: '0.1.0', status: 'active' }] });

    const { result, sent } = await runTree(new FsStorage({ root: join(dir, 'api-data', 'store') }), 'acme');
    expect(result).toEqual({ status: 'SUCCESS', output: { orderId: 42, messageId: 'msg-1' } });
    expect(sent).toEqual(['Order 42 shipped']);
  });

  it('deploys to an fs store, and the life-cycle commands work there too', async () => {
    const store = ['--store', 'fs:../store', '--tenant', 'globex', '--user', 'ops'];
    const up = ok(await cli(['deploy', ...store]));
    expect(up.stdout).toContain('SendSlackMessage@0.1.0 uploaded (draft');
    ok(await cli(['approve', 'SendSlackMessage', ...store]));
    const act = ok(await cli(['activate', 'SendSlackMessage@0.1.0', ...store]));
    expect(act.stdout).toContain('SendSlackMessage@0.1.0 activated (active)');

    const list = ok(await cli(['list', ...store, '--json']));
    expect(JSON.parse(list.stdout)).toEqual({ ok: true, tenant: 'globex', nodes: [{ name: 'SendSlackMessage', active: '0.1.0', latest: '0.1.0', versions: [{ version: '0.1.0', status: 'active' }] }] });

    const { result, sent } = await runTree(new FsStorage({ root: join(dir, 'store') }), 'globex');
    expect(result).toEqual({ status: 'SUCCESS', output: { orderId: 42, messageId: 'msg-1' } });
    expect(sent).toEqual(['Order 42 shipped']);

    const dep = ok(await cli(['deprecate', 'SendSlackMessage@0.1.0', ...store, '--message', 'use 0.2.0']));
    expect(dep.stdout).toContain('SendSlackMessage@0.1.0 deprecated');
  });

  it('deploys to S3 (moto) and GCS (fake-gcs-server) stores named by URL, configured from the environment', async () => {
    const s3 = s3Buckets();
    const gcs = gcsBuckets();
    try {
      const server = s3TestServer();
      const s3Env = { AWS_ENDPOINT_URL_S3: server.endpoint, AWS_REGION: server.region, AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey };
      const gcsEnv = { BTREE_PLUGINS_GCS_ENDPOINT: gcs.endpoint };
      const s3Bucket = await s3.create('cli');
      const gcsBucket = await gcs.create('cli');
      for (const [location, env, storage] of [
        [`s3://${s3Bucket}/nodes`, s3Env, () => new S3Storage({ bucket: s3Bucket, prefix: 'nodes/', client: s3.config() })],
        [`gs://${gcsBucket}/nodes`, gcsEnv, () => new GcsStorage({ bucket: gcsBucket, prefix: 'nodes/', storage: gcs.config() })],
      ] as const) {
        const store = ['--store', location, '--tenant', 'initech'];
        const up = ok(await cli(['deploy', ...store, '--no-require-approval', '--activate'], env));
        expect(up.stdout).toContain('SendSlackMessage@0.1.0 uploaded (draft');
        expect(up.stdout).toContain('SendSlackMessage@0.1.0 activated');
        expect(ok(await cli(['deploy', ...store], env)).stdout).toContain('SendSlackMessage@0.1.0 unchanged (active');
        const { result } = await runTree(storage(), 'initech');
        expect(result, location).toEqual({ status: 'SUCCESS', output: { orderId: 42, messageId: 'msg-1' } });
      }
    } finally {
      await s3.close();
      await gcs.close();
    }
  });

  it('--help lists every command and the exit codes', async () => {
    const run = ok(await cli(['--help']));
    for (const command of ['init', 'test', 'validate', 'deploy', 'list', 'status', 'approve', 'activate', 'deprecate', 'rollback']) expect(run.stdout).toContain(`${command} `);
    expect(run.stdout).toContain('Exit codes: 0 ok');
    const deploy = ok(await cli(['deploy', '--help']));
    expect(deploy.stdout).toContain('--activate');
    expect(deploy.stdout).toContain('--store <location>');
  });
});
