/**
 * `btree-plugins marketplace search | publish | install`, as a subprocess against a real API
 * server (Fastify on 127.0.0.1, the example server over a filesystem store) and against a
 * filesystem store: tenant acme uploads and approves a node through the API and lists it with
 * the CLI; a platform admin publishes it; tenant globex finds it and installs it with the CLI.
 * Plus the refusals: a draft, an unknown listing (exit 3, the API's message), bad arguments (exit 2).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../examples/api-server/server.js';
import { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import * as btree from '../../src/testing/index.js';
import { greeterSource, plainSource } from '../http/nodes.js';
import { buildCliPackage, runCli, type CliRun } from './cli-package.js';

btree.setTestHostLogging(false);

const ANA = 'cli-market-ana-0123456789';
const RITA = 'cli-market-rita-0123456789';
const GUS = 'cli-market-gus-0123456789';
const OLGA = 'cli-market-olga-0123456789';
const TOKENS = {
  [ANA]: { tenantId: 'acme', userId: 'ana', roles: [] },
  [RITA]: { tenantId: 'acme', userId: 'rita', roles: ['approver'] },
  [GUS]: { tenantId: 'globex', userId: 'gus', roles: [] },
  [OLGA]: { tenantId: 'ops', userId: 'olga', roles: ['platform-admin'] },
};
const LISTING = 'acme-tools.Greeter';
const DESCRIPTION = 'Greets someone on the blackboard';

let dir: string;
let bin: string;
let server: ApiServer;

const cli = (args: string[]): Promise<CliRun> => runCli(bin, args, dir);
/** `args` through the API as the user of `token`, for `tenant`. */
const viaApi = (token: string, tenant: string, args: string[]): Promise<CliRun> => cli([...args, '--api', server.url, '--token', token, '--tenant', tenant]);

function ok(run: CliRun): CliRun {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  return run;
}

/** The one-line error the CLI printed (its first stderr line), its hint, and the exit code. */
function refused(run: CliRun, code: number, message: string | RegExp): void {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(code);
  const [first, hint] = run.stderr.split('\n');
  expect(first!.startsWith('error ')).toBe(true);
  if (typeof message === 'string') expect(first).toContain(message);
  else expect(first).toMatch(message);
  if (code !== 2 || !first!.includes('unknown')) expect(hint).toMatch(/^hint {2}\S/);
  expect(run.stdout).toBe('');
}

async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

async function upload(version: string, approve: boolean): Promise<void> {
  expect((await call('POST', '/custom-nodes', ANA, { name: 'Greeter', version, sourceCode: greeterSource() })).status).toBe(201);
  if (approve) expect((await call('POST', `/custom-nodes/Greeter@${version}/approve`, RITA)).status).toBe(200);
}

/** The fields of a listing in search results and in `marketplace publish --json`, in the API's order. */
const LISTING_FIELDS = ['id', 'name', 'category', 'description', 'publisher', 'latestVersion', 'ratingAverage', 'ratingCount', 'installCount', 'updatedAt'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btree-plugins-cli-market-'));
  ({ bin } = await buildCliPackage(dir));
  server = await startApiServer({ port: 0, dataDir: join(dir, 'api-data'), tokens: TOKENS, logger: false, btree });
  await upload('1.0.0', true);
  expect((await call('POST', '/marketplace/publishers', ANA, { slug: 'acme-tools', displayName: 'Acme Tools' })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('btree-plugins marketplace, through the upload API', () => {
  it('publish lists an approved version: it prints the listing id and that it awaits a platform admin', async () => {
    // A new listing needs a category (and a description): the API refuses, the hint names the flags.
    const bare = await viaApi(ANA, 'acme', ['marketplace', 'publish', 'Greeter@1.0.0', '--description', DESCRIPTION]);
    refused(bare, 3, /is not a category.* \[400 INVALID_INPUT\]$/);
    expect(bare.stderr).toContain('hint  a new listing needs --category <category> and --description <text>');

    const run = ok(await viaApi(ANA, 'acme', ['marketplace', 'publish', 'Greeter@1.0.0', '--category', 'greetings', '--description', DESCRIPTION]));
    expect(run.stdout).toContain(`${LISTING}@1.0.0 listed from Greeter@1.0.0 of tenant acme (pending_review)`);
    expect(run.stdout).toContain("awaits a platform admin's review");

    // Again, with --json: nothing changes (category and description are the listing's already).
    const again = JSON.parse(ok(await viaApi(ANA, 'acme', ['marketplace', 'publish', 'Greeter@1.0.0', '--json'])).stdout);
    expect(Object.keys(again.listing)).toEqual(LISTING_FIELDS);
    expect(again).toEqual({
      ok: true,
      listing: expect.objectContaining({ id: LISTING, category: 'greetings', description: DESCRIPTION, publisher: { slug: 'acme-tools', displayName: 'Acme Tools', supportLevel: 'community' }, latestVersion: null }),
      version: { version: '1.0.0', state: 'pending_review', source: 'Greeter@1.0.0', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), listedAt: expect.any(String) },
    });
    // Pending: globex does not find it yet.
    expect(JSON.parse(ok(await viaApi(GUS, 'globex', ['marketplace', 'search', '--json'])).stdout)).toEqual({ ok: true, listings: [], nextCursor: null });
  });

  it('publish of a draft is refused by the API: exit 3 with its message', async () => {
    await upload('1.1.0', false);
    const run = await viaApi(ANA, 'acme', ['marketplace', 'publish', 'Greeter@1.1.0']);
    refused(run, 3, /Greeter@1\.1\.0 is draft; only approved versions that are not deprecated can be listed\.? \[400 INVALID_INPUT\]$/);
    expect(run.stderr).toContain('have the version approved');
    const json = await viaApi(ANA, 'acme', ['marketplace', 'publish', 'Greeter@1.1.0', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: { code: 'REMOTE', message: expect.stringContaining('is draft'), hint: expect.any(String) } });
  });

  it('search finds the listing once a platform admin published it: a table, and one JSON document', async () => {
    expect((await call('POST', `/marketplace/listings/${LISTING}/versions/1.0.0/publish`, OLGA)).status).toBe(200);

    const table = ok(await viaApi(GUS, 'globex', ['marketplace', 'search', 'greets', 'blackboard']));
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^LISTING +LATEST +PUBLISHER +RATING +INSTALLS$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^acme-tools\.Greeter +1\.0\.0 +Acme Tools \(community\) +- \(0\) +0$/)]);

    // --json: exactly the API's answer, after `ok`.
    const json = JSON.parse(ok(await viaApi(GUS, 'globex', ['marketplace', 'search', 'greets', '--category', 'greetings', '--support-level', 'community', '--sort', 'installs', '--limit', '5', '--json'])).stdout);
    const api = (await call('GET', '/marketplace/listings?q=greets&category=greetings&supportLevel=community&sort=installs&limit=5', GUS)).json;
    expect(api.listings.map((l: { id: string; latestVersion: string }) => [l.id, l.latestVersion])).toEqual([[LISTING, '1.0.0']]);
    expect(json).toEqual({ ok: true, ...api });
    expect(Object.keys(json)).toEqual(['ok', 'listings', 'nextCursor']);

    const none = ok(await viaApi(GUS, 'globex', ['marketplace', 'search', 'slack']));
    expect(none.stdout).toBe(`no listings match "slack" on ${server.url}\n`);
  });

  it('install pins the latest published version under a name of the tenant; the install is visible over the API', async () => {
    const run = ok(await viaApi(GUS, 'globex', ['marketplace', 'install', LISTING, '--as', 'Hello']));
    expect(run.stdout).toContain(`Hello installed: ${LISTING}, pinned to 1.0.0`);
    expect(run.stdout).toContain('type: Hello');
    const installs = await call('GET', '/marketplace/installs', GUS);
    expect(installs.json).toEqual({ installs: [expect.objectContaining({ as: 'Hello', listingId: LISTING, version: '1.0.0', installedBy: 'gus' })], nextCursor: null });

    // The same install again changes nothing; --json prints the install record.
    const again = ok(await viaApi(GUS, 'globex', ['marketplace', 'install', LISTING, '--as', 'Hello', '--version', '1.0.0', '--json']));
    expect(JSON.parse(again.stdout)).toEqual({ ok: true, install: installs.json.installs[0] });
    const search = JSON.parse(ok(await viaApi(GUS, 'globex', ['marketplace', 'search', '--json'])).stdout) as { listings: Array<{ installCount: number }> };
    expect(search.listings[0]!.installCount).toBe(1);
  });

  it('install of an unknown listing or an unpublished version: exit 3 with the API\'s message', async () => {
    refused(await viaApi(GUS, 'globex', ['marketplace', 'install', 'acme-tools.Nope']), 3, /there is no listing "acme-tools\.Nope"\.? \[404 NOT_FOUND\]$/);
    refused(await viaApi(GUS, 'globex', ['marketplace', 'install', LISTING, '--as', 'Other', '--version', '1.1.0']), 3, /has no published version 1\.1\.0\.? \[404 NOT_FOUND\]$/);
    const json = await viaApi(GUS, 'globex', ['marketplace', 'install', 'acme-tools.Nope', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'REMOTE', message: expect.stringContaining('there is no listing') } });
  });

  it('bad arguments: exit 2 with one line and a hint, before anything is sent', async () => {
    const api = ['--api', 'http://127.0.0.1:9/api', '--token', GUS, '--tenant', 'globex'];
    refused(await cli(['marketplace', 'install', 'Greeter', ...api]), 2, '"Greeter" is not a listing id');
    refused(await cli(['marketplace', 'install', 'Acme.Greeter', ...api]), 2, '"Acme.Greeter" is not a listing id: "Acme" is not a publisher slug');
    refused(await cli(['marketplace', 'install', LISTING, '--as', 'hello', ...api]), 2, '"hello" is not a node name');
    refused(await cli(['marketplace', 'install', LISTING, '--version', 'latest', ...api]), 2, '--version "latest" is not a version');
    refused(await cli(['marketplace', 'publish', 'Greeter@one', ...api]), 2, '"Greeter@one" is not a version id');
    refused(await cli(['marketplace', 'publish', 'Greeter@1.0.0', '--category', 'Greetings!', ...api]), 2, '--category "Greetings!" is not a category');
    refused(await cli(['marketplace', 'search', '--sort', 'best', ...api]), 2, '--sort "best" is not one of rating, installs, recent');
    refused(await cli(['marketplace', 'search', '--support-level', 'gold', ...api]), 2, '--support-level "gold" is not one of community, verified, certified');
    refused(await cli(['marketplace', 'search', '--limit', '101', ...api]), 2, '--limit "101" is not a number from 1 to 100');
    refused(await cli(['marketplace', 'search', '--tenant', 'globex']), 2, 'no target');
    refused(await cli(['marketplace', 'search', '--api', server.url, '--tenant', 'globex']), 2, 'no API token');
    refused(await cli(['marketplace', 'search', '--bogus']), 2, "unknown option '--bogus'");
    refused(await cli(['marketplace', 'bogus']), 2, "unknown command 'bogus'");
    const json = await cli(['marketplace', 'search', '--sort', 'best', '--json', ...api]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: { code: 'USAGE', message: '--sort "best" is not one of rating, installs, recent', hint: 'e.g. --sort rating' } });
    // A command group alone prints its help, as a usage error.
    const bare = await cli(['marketplace']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: btree-plugins marketplace');
  });

  it('--help lists the marketplace commands', async () => {
    expect(ok(await cli(['--help'])).stdout).toContain('marketplace search | publish | install');
    const help = ok(await cli(['marketplace', '--help'])).stdout;
    for (const command of ['search [options] [words...]', 'publish [options] <Name@version>', 'install [options] <listing-id>']) expect(help).toContain(command);
    const install = ok(await cli(['marketplace', 'install', '--help'])).stdout;
    expect(install).toContain('--version <version>');
    expect(install).toContain('--as <Name>');
    expect(ok(await cli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('btree-plugins marketplace, on a filesystem store', () => {
  it('publish, search and install act on the catalogue in the store, as a host with the default catalogue sees it', async () => {
    const root = join(dir, 'store');
    const host = new PluginHost({ btree, storage: new FsStorage({ root }) });
    try {
      await host.registry.publish('acme', { name: 'Greeter', version: '2.0.0', files: { 'greeter.ts': greeterSource() }, entry: 'greeter.ts', author: 'ana' });
      await host.registry.approve('acme', 'Greeter', '2.0.0', { by: 'rita' });
      await host.marketplace.registerPublisher({ tenantId: 'acme', userId: 'ana' }, { slug: 'acme-tools', displayName: 'Acme Tools' });
      const store = ['--store', 'fs:store'];

      const listed = ok(await cli(['marketplace', 'publish', 'Greeter@2.0.0', '--category', 'greetings', '--description', DESCRIPTION, ...store, '--tenant', 'acme', '--user', 'ana', '--json']));
      expect(JSON.parse(listed.stdout)).toMatchObject({ ok: true, listing: { id: LISTING, latestVersion: null }, version: { version: '2.0.0', state: 'pending_review', source: 'Greeter@2.0.0' } });
      await host.marketplace.publishVersion(LISTING, '2.0.0', 'olga');

      const found = ok(await cli(['marketplace', 'search', 'greets', ...store, '--tenant', 'globex', '--json']));
      const library = await host.marketplace.search({ q: 'greets' }, { tenantId: 'globex' });
      expect(library.listings.map((l) => [l.id, l.latestVersion])).toEqual([[LISTING, '2.0.0']]);
      expect(JSON.parse(found.stdout)).toEqual({ ok: true, listings: library.listings, nextCursor: null });

      const installed = ok(await cli(['marketplace', 'install', LISTING, ...store, '--tenant', 'globex', '--user', 'gus']));
      expect(installed.stdout).toContain(`Greeter installed: ${LISTING}, pinned to 2.0.0`);
      expect(await host.marketplace.installs('globex')).toEqual([expect.objectContaining({ as: 'Greeter', listingId: LISTING, version: '2.0.0', installedBy: 'gus' })]);

      refused(await cli(['marketplace', 'install', 'acme-tools.Nope', ...store, '--tenant', 'globex']), 3, 'there is no listing "acme-tools.Nope"');

      // Pages: a second listing, one per page; the table says how to get the next one.
      const acme = { tenantId: 'acme', userId: 'ana' };
      await host.registry.publish('acme', { name: 'Waver', version: '1.0.0', files: { 'waver.ts': plainSource('Waver') }, entry: 'waver.ts', author: 'ana' });
      await host.registry.approve('acme', 'Waver', '1.0.0', { by: 'rita' });
      await host.marketplace.listVersion(acme, { source: 'Waver@1.0.0', category: 'greetings', description: 'Waves' });
      await host.marketplace.publishVersion('acme-tools.Waver', '1.0.0', 'olga');
      const first = ok(await cli(['marketplace', 'search', '--sort', 'installs', '--limit', '1', ...store, '--tenant', 'globex']));
      const cursor = /^more: add --cursor (\S+)$/m.exec(first.stdout)?.[1];
      expect(first.stdout.split('\n')[1]).toMatch(/^acme-tools\.Greeter /);
      expect(cursor).toBeDefined();
      const second = JSON.parse(ok(await cli(['marketplace', 'search', '--sort', 'installs', '--limit', '1', '--cursor', cursor!, ...store, '--tenant', 'globex', '--json'])).stdout);
      expect(second).toEqual({ ok: true, listings: [expect.objectContaining({ id: 'acme-tools.Waver', installCount: 0 })], nextCursor: null });
    } finally {
      await host.dispose();
    }
  });
});
