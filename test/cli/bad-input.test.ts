/**
 * The CLI refusing bad input: each case is one clear line on stderr (and a hint), the documented
 * exit code, and nothing deployed. Also: a changed node under a deployed version, a new version,
 * and rollback.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../examples/api-server/server.js';
import * as btree from '../../src/testing/index.js';
import { buildCliPackage, linkPackage, runCli, type CliRun } from './cli-package.js';

btree.setTestHostLogging(false);

const TOKEN = 'cli-bad-input-token-0123456789';
let dir: string;
let bin: string;
let project: string;
let server: ApiServer;

const cli = (args: string[], env: Record<string, string> = {}, cwd = project): Promise<CliRun> => runCli(bin, args, cwd, env);

/** The one-line error the CLI printed (its first stderr line) and the exit code. */
function refused(run: CliRun, code: number, message: string | RegExp): void {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(code);
  const first = run.stderr.split('\n')[0]!;
  expect(first.startsWith('error ')).toBe(true);
  if (typeof message === 'string') expect(first).toContain(message);
  else expect(first).toMatch(message);
}

const SOURCE_FILE = 'src/send-slack-message.ts';
let source: string;
const setSource = (text: string): void => writeFileSync(join(project, SOURCE_FILE), text);
/** Runs `fn` with the node's source changed by `edit`, then restores it. */
async function withSource(edit: (text: string) => string, fn: () => Promise<void>): Promise<void> {
  setSource(edit(source));
  try {
    await fn();
  } finally {
    setSource(source);
  }
}
const setVersion = (version: string): void => {
  const file = join(project, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { btreePlugins: { nodes: Array<{ version: string }> } };
  pkg.btreePlugins.nodes[0]!.version = version;
  writeFileSync(file, JSON.stringify(pkg, null, 2));
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btree-plugins-cli-bad-'));
  ({ bin } = await buildCliPackage(dir));
  server = await startApiServer({ port: 0, dataDir: join(dir, 'api-data'), tokens: { [TOKEN]: { tenantId: 'acme', userId: 'ana', roles: ['approver'] } }, logger: false, btree });
  const init = await runCli(bin, ['init', 'SendSlackMessage'], dir);
  expect(init.code, init.stderr).toBe(0);
  project = join(dir, 'send-slack-message');
  linkPackage(project, join(dir, 'package'));
  source = readFileSync(join(project, SOURCE_FILE), 'utf8');
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('btree-plugins refuses bad input with one line and an exit code', () => {
  it('an unknown flag: exit 2', async () => {
    const run = await cli(['deploy', '--tenant', 'acme', '--bogus']);
    refused(run, 2, "unknown option '--bogus'");
  });

  it('a missing tenant: exit 2, nothing read from the store', async () => {
    const run = await cli(['deploy', '--store', 'fs:../never']);
    refused(run, 2, '--tenant is required');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('no target, or two: exit 2', async () => {
    refused(await cli(['deploy', '--tenant', 'acme']), 2, 'no target');
    refused(await cli(['deploy', '--tenant', 'acme', '--api', server.url, '--store', 'fs:x'], { BTREE_PLUGINS_TOKEN: TOKEN }), 2, '--api and --store were both given');
    refused(await cli(['deploy', '--tenant', 'acme', '--store', 'ftp://x']), 2, 'is not a store location');
  });

  it('an existing folder: init overwrites nothing (exit 2)', async () => {
    const before = readFileSync(join(project, 'package.json'), 'utf8');
    const run = await cli(['init', 'SendSlackMessage', 'send-slack-message'], {}, dir);
    refused(run, 2, 'is not empty');
    expect(readFileSync(join(project, 'package.json'), 'utf8')).toBe(before);
    refused(await cli(['init', 'send_slack'], {}, dir), 2, 'is not a node name');
  });

  it('a command outside a project: exit 2 with the way out', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const run = await cli(['test'], {}, empty);
    refused(run, 2, 'no node project here');
    expect(run.stderr).toContain('btree-plugins init');
  });

  it('a compile error: validate and deploy print it with its code frame, exit 1, nothing deployed', async () => {
    await withSource((t) => t.replace('return NodeStatus.SUCCESS;', 'return NodeStatus.SUCCESS +;'), async () => {
      const validate = await cli(['validate']);
      expect(validate.code).toBe(1);
      expect(validate.stdout).toContain('SendSlackMessage@0.1.0 invalid (1 error(s)');
      expect(validate.stdout).toMatch(/error src\/send-slack-message\.ts:\d+:\d+: Unexpected ";"/);
      expect(validate.stdout).toMatch(/> +\d+ \| +return NodeStatus\.SUCCESS \+;/);

      const test = await cli(['test']);
      expect(test.code).toBe(1);
      expect(test.stdout).toContain('does not compile');

      const deploy = await cli(['deploy', '--api', server.url, '--tenant', 'acme', '--json'], { BTREE_PLUGINS_TOKEN: TOKEN });
      expect(deploy.code).toBe(1);
      expect(JSON.parse(deploy.stdout)).toEqual({ ok: false, deployed: [], invalid: ['SendSlackMessage'] });
      const list = await cli(['list', '--api', server.url, '--tenant', 'acme', '--json'], { BTREE_PLUGINS_TOKEN: TOKEN });
      expect(JSON.parse(list.stdout).nodes).toEqual([]);
    });
  });

  it('a banned import is refused by validate with the import policy\'s advice', async () => {
    await withSource((t) => `import { readFileSync } from 'node:fs';\n${t}`, async () => {
      const run = await cli(['validate', '--json']);
      expect(run.code).toBe(1);
      const [node] = (JSON.parse(run.stdout) as { nodes: Array<{ diagnostics: Array<{ kind: string; severity: string; line: number; hint: string }> }> }).nodes;
      expect(node!.diagnostics).toEqual([expect.objectContaining({ kind: 'import', severity: 'error', line: 1, hint: expect.stringContaining('proxyActivities') })]);
    });
  });

  it('a failing test case: exit 1 and what differed', async () => {
    await withSource((t) => t.replace('answer.id)', 'answer.id.toUpperCase())'), async () => {
      const run = await cli(['test']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('✗ fills the template from the blackboard and stores the answer');
      expect(run.stdout).toContain('writes: expected {"sendSlackMessageResult":"sent:Order 42 shipped"}, got {"sendSlackMessageResult":"SENT:ORDER 42 SHIPPED"}');
      expect(run.stdout).toContain('1 of 3 case(s) failed');
    });
  });

  it('an unreachable API: exit 3', async () => {
    const run = await cli(['deploy', '--api', 'http://127.0.0.1:9/api', '--tenant', 'acme'], { BTREE_PLUGINS_TOKEN: TOKEN });
    refused(run, 3, 'cannot reach the API at http://127.0.0.1:9/api');
  });

  it('a wrong token, no token, or a token of another tenant', async () => {
    refused(await cli(['deploy', '--api', server.url, '--tenant', 'acme', '--token', 'not-the-right-token-000']), 3, 'the API refused the token (401');
    refused(await cli(['deploy', '--api', server.url, '--tenant', 'acme']), 2, 'no API token');
    refused(await cli(['deploy', '--api', server.url, '--tenant', 'globex'], { BTREE_PLUGINS_TOKEN: TOKEN }), 2, 'the token belongs to tenant acme, not globex');
    const list = await cli(['list', '--api', server.url, '--tenant', 'acme', '--json'], { BTREE_PLUGINS_TOKEN: TOKEN });
    expect(JSON.parse(list.stdout).nodes).toEqual([]);
  });

  it('other content under a deployed version is refused (exit 3); a new version deploys, and rollback returns to the old one', async () => {
    const api = ['--api', server.url, '--tenant', 'acme'];
    const env = { BTREE_PLUGINS_TOKEN: TOKEN };
    // requireDistinctApprover: this token's user uploads, so approval is done in a store of its own below.
    expect((await cli(['deploy', ...api], env)).code).toBe(0);
    setSource(source.replace("description: 'SendSlackMessage: describe what it does'", "description: 'Posts a message'"));
    try {
      const conflict = await cli(['deploy', ...api, '--json'], env);
      expect(conflict.code).toBe(3);
      const doc = JSON.parse(conflict.stdout) as { ok: boolean; deployed: unknown[]; error: { code: string; message: string } };
      expect(doc).toMatchObject({ ok: false, deployed: [], error: { code: 'REMOTE' } });
      expect(doc.error.message).toMatch(/already exists with different content.*\[409 /);

      const store = ['--store', 'fs:../rollback-store', '--tenant', 'acme', '--no-require-approval'];
      setSource(source);
      expect((await cli(['deploy', ...store, '--activate'])).code).toBe(0);
      setVersion('0.2.0');
      setSource(source.replace("description: 'SendSlackMessage: describe what it does'", "description: 'Posts a message'"));
      const v2 = await cli(['deploy', ...store, '--activate']);
      expect(v2.code, v2.stderr).toBe(0);
      expect(v2.stdout).toContain('SendSlackMessage@0.2.0 activated');
      const back = await cli(['rollback', 'SendSlackMessage', ...store, '--json']);
      expect(back.code, back.stderr).toBe(0);
      expect(JSON.parse(back.stdout).customNode).toMatchObject({ id: 'SendSlackMessage@0.1.0', active: true });
    } finally {
      setSource(source);
      setVersion('0.1.0');
    }
  });

  it('a malformed project file: exit 2 naming the field', async () => {
    const file = join(project, 'package.json');
    const before = readFileSync(file, 'utf8');
    await writeFile(file, JSON.stringify({ name: 'x', btreePlugins: { nodes: [{ name: 'SendSlackMessage', version: 'one', entry: SOURCE_FILE }] } }));
    try {
      refused(await cli(['validate']), 2, /"btreePlugins": node 1: .*version/);
    } finally {
      await writeFile(file, before);
    }
  });
});
