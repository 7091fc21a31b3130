/**
 * The marketplace over HTTP, on a real Fastify server on 127.0.0.1 and the filesystem store: a
 * tenant uploads and approves a node (upload API), registers its publisher and lists the version;
 * a platform admin publishes it (403 without the role); a second tenant finds, installs, reviews
 * and runs it in a tree; yanks, upgrades, look-alike publishers, paging, forks, the error shape,
 * the OpenAPI document, and a host without a marketplace.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKETPLACE_ROUTES } from '../../src/http/marketplace-routes.js';
import { PLAYGROUND_ROUTES } from '../../src/http/playground-routes.js';
import { ROUTES } from '../../src/http/routes.js';
import { PluginHost } from '../../src/plugin-host.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { fixedInspector } from '../registry/helpers.js';
import { loadBtree, type SuiteBtree } from '../setup/btree-module.js';
import { runTenantTree } from '../setup/run-tree.js';
import { ANA, RITA, startApiServer, token, type ApiServer } from './api-server.js';
import { greeterSource, plainSource } from './nodes.js';

const ADMIN = token('ops', 'olga', ['platform-admin']);
const GUS = token('globex', 'gus');
const GIA = token('globex', 'gia');
const IAN = token('initech', 'ian');
const HAL = token('hooli', 'hal', ['approver']);

const LISTING = 'acme-tools.Greeter';
const TREE = 'type: Sequence\nid: root\nchildren:\n  - type: Greeter\n    id: greet\n    props:\n      who: Ada\n';

let btree: SuiteBtree;
let dir: string;
let host: PluginHost;
let api: ApiServer;

beforeAll(async () => {
  btree = await loadBtree();
  dir = await mkdtemp(join(tmpdir(), 'api-marketplace-'));
  host = new PluginHost({ btree, storage: new FsStorage({ root: dir }), execution: { isolation: 'inline' } });
  api = await startApiServer({ host, prefix: '/api' });
});

afterAll(async () => {
  await api?.close();
  await host?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Uploads and approves a version in the caller's tenant through the upload API. */
async function uploadApproved(author: string, approver: string, name: string, version: string, sourceCode: string): Promise<void> {
  expect((await api.call('POST', '/custom-nodes', { token: author, body: { name, version, sourceCode } })).status).toBe(201);
  expect((await api.call('POST', `/custom-nodes/${name}@${version}/approve`, { token: approver })).status).toBe(200);
}

/** Registers the tenant's nodes (its own and its installs) and runs {@link TREE}. */
const runFor = (tenantId: string) => runTenantTree(host, btree, tenantId, TREE);

function expectError(answer: { status: number; json: any }, status: number, code: string): void {
  expect(answer.status, JSON.stringify(answer.json)).toBe(status);
  expect(answer.json).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
}

describe('marketplace over HTTP', () => {
  it('a publisher lists an approved version; it stays pending, seen by its publisher and admins only, until a platform admin publishes it', async () => {
    await uploadApproved(ANA, RITA, 'Greeter', '1.0.0', greeterSource());
    const body = { source: 'Greeter@1.0.0', category: 'greetings', description: 'Greets someone on the blackboard' };
    const early = await api.call('POST', '/marketplace/listings', { body });
    expectError(early, 409, 'CONFLICT');
    expect(early.json.error.hint).toMatch(/register a publisher first/);

    const registered = await api.call('POST', '/marketplace/publishers', { body: { slug: 'acme-tools', displayName: 'Acme Tools' } });
    expect(registered.status).toBe(201);
    expect(registered.json).toEqual({ publisher: { slug: 'acme-tools', displayName: 'Acme Tools', supportLevel: 'community', createdAt: expect.any(String) } });
    expect((await api.call('POST', '/marketplace/publishers', { body: { slug: 'acme-tools', displayName: 'Acme Tools' } })).status).toBe(200);
    expect((await api.call('GET', '/marketplace/publishers/acme-tools', { token: GUS })).json).toEqual(registered.json);

    const listed = await api.call('POST', '/marketplace/listings', { body });
    expect(listed.status).toBe(201);
    expect(listed.json.listing).toMatchObject({
      id: LISTING,
      name: 'Greeter',
      category: 'greetings',
      publisher: { slug: 'acme-tools', displayName: 'Acme Tools', supportLevel: 'community' },
      latestVersion: null,
      ratingAverage: null,
      ratingCount: 0,
      installCount: 0,
      reviews: [],
    });
    expect(listed.json.listing.versions).toEqual([
      { version: '1.0.0', state: 'pending_review', source: 'Greeter@1.0.0', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), sourceSha256: expect.any(String), listedAt: expect.any(String) },
    ]);
    // Listing the same version again changes nothing: 200.
    const again = await api.call('POST', '/marketplace/listings', { body: { source: 'Greeter@1.0.0' } });
    expect(again.status).toBe(200);
    expect(again.json.listing.versions).toEqual(listed.json.listing.versions);

    // Pending: another tenant neither finds nor reads it; a platform admin does.
    expect((await api.call('GET', '/marketplace/listings', { token: GUS })).json).toEqual({ listings: [], nextCursor: null });
    expectError(await api.call('GET', `/marketplace/listings/${LISTING}`, { token: GUS }), 404, 'NOT_FOUND');
    expectError(await api.call('POST', `/marketplace/listings/${LISTING}/install`, { token: GUS }), 404, 'NOT_FOUND');
    expect((await api.call('GET', '/marketplace/listings', { token: ADMIN })).json.listings.map((l: { id: string }) => l.id)).toEqual([LISTING]);
    expect((await api.call('GET', '/marketplace/listings')).json.listings.map((l: { id: string }) => l.id)).toEqual([LISTING]);

    // Publishing needs the platform-admin role: not the publisher, not the tenant's approver.
    for (const who of [ANA, RITA]) {
      const refused = await api.call('POST', `/marketplace/listings/${LISTING}/versions/1.0.0/publish`, { token: who });
      expectError(refused, 403, 'FORBIDDEN');
      expect(refused.json.error.message).toContain('"platform-admin"');
    }
    const published = await api.call('POST', `/marketplace/listings/${LISTING}/versions/1.0.0/publish`, { token: ADMIN });
    expect(published.status).toBe(200);
    expect(published.json.listing).toMatchObject({ latestVersion: '1.0.0', versions: [expect.objectContaining({ state: 'published', publishedAt: expect.any(String) })] });
  });

  it('another tenant finds it, installs it (201, then 200), and reviews it only once installed; a second review updates; a hidden one is not counted', async () => {
    const found = await api.call('GET', '/marketplace/listings?q=greets%20blackboard&category=greetings&sort=rating', { token: GUS });
    expect(found.json).toEqual({
      listings: [
        {
          id: LISTING,
          name: 'Greeter',
          category: 'greetings',
          description: 'Greets someone on the blackboard',
          publisher: { slug: 'acme-tools', displayName: 'Acme Tools', supportLevel: 'community' },
          latestVersion: '1.0.0',
          ratingAverage: null,
          ratingCount: 0,
          installCount: 0,
          updatedAt: expect.any(String),
        },
      ],
      nextCursor: null,
    });
    expect((await api.call('GET', '/marketplace/listings?q=slack', { token: GUS })).json.listings).toEqual([]);

    const early = await api.call('POST', `/marketplace/listings/${LISTING}/reviews`, { token: GUS, body: { rating: 5, body: 'great' } });
    expectError(early, 409, 'CONFLICT');
    expect(early.json.error.message).toMatch(/has not installed/);

    const installed = await api.call('POST', `/marketplace/listings/${LISTING}/install`, { token: GUS });
    expect(installed.status).toBe(201);
    expect(installed.json).toEqual({ install: { as: 'Greeter', listingId: LISTING, version: '1.0.0', installedAt: expect.any(String), installedBy: 'gus' } });
    const again = await api.call('POST', `/marketplace/listings/${LISTING}/install`, { token: GUS, body: { version: '1.0.0' } });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(installed.json);
    expect((await api.call('GET', '/marketplace/installs', { token: GUS })).json).toEqual({ installs: [installed.json.install], nextCursor: null });
    expect((await api.call('GET', '/marketplace/installs', { token: IAN })).json).toEqual({ installs: [], nextCursor: null });

    const first = await api.call('POST', `/marketplace/listings/${LISTING}/reviews`, { token: GUS, body: { rating: 5, body: 'great' } });
    expect(first.status).toBe(201);
    expect(first.json.review).toMatchObject({ rating: 5, body: 'great', version: '1.0.0', tenantId: 'globex', userId: 'gus' });
    const second = await api.call('POST', `/marketplace/listings/${LISTING}/reviews`, { token: GUS, body: { rating: 2, body: 'meh after all' } });
    expect(second.status).toBe(200);
    expect(second.json.review).toMatchObject({ id: first.json.review.id, rating: 2, createdAt: first.json.review.createdAt });
    expect((await api.call('POST', `/marketplace/listings/${LISTING}/reviews`, { token: GIA, body: { rating: 5, body: 'works' } })).status).toBe(201);

    const seen = (await api.call('GET', `/marketplace/listings/${LISTING}`, { token: IAN })).json.listing;
    expect(seen).toMatchObject({ ratingCount: 2, ratingAverage: Math.round(((5 * 3 + 2 + 5) / 7) * 100) / 100, installCount: 1 });
    // Another tenant sees the reviews, not who wrote them.
    for (const r of seen.reviews) expect(Object.keys(r).sort()).toEqual(['body', 'createdAt', 'id', 'rating', 'updatedAt', 'version']);

    expectError(await api.call('POST', `/marketplace/listings/${LISTING}/reviews/${first.json.review.id}/hide`, { token: GUS, body: { reason: 'spam' } }), 403, 'FORBIDDEN');
    const hidden = await api.call('POST', `/marketplace/listings/${LISTING}/reviews/${first.json.review.id}/hide`, { token: ADMIN, body: { reason: 'spam' } });
    expect(hidden.status).toBe(200);
    expect(hidden.json.review.hidden).toMatchObject({ reason: 'spam', by: 'olga' });
    const after = (await api.call('GET', `/marketplace/listings/${LISTING}`, { token: GUS })).json.listing;
    expect(after).toMatchObject({ ratingCount: 1, ratingAverage: Math.round(((5 * 3 + 5) / 6) * 100) / 100 });
    expect(after.reviews.map((r: { body: string }) => r.body)).toEqual(['works']);
    const adminView = (await api.call('GET', `/marketplace/listings/${LISTING}`, { token: ADMIN })).json.listing;
    expect(adminView.reviews).toHaveLength(2);
    expectError(await api.call('POST', `/marketplace/listings/${LISTING}/reviews/nope/hide`, { token: ADMIN, body: { reason: 'x' } }), 404, 'NOT_FOUND');
  });

  it('the install runs in the installing tenant’s tree, like its own node', async () => {
    const { summary, result } = await runFor('globex');
    expect(summary.registered).toEqual([expect.objectContaining({ type: 'Greeter', version: '1.0.0' })]);
    expect(result).toEqual({ status: 'SUCCESS', output: { greeting: 'Hello, Ada' } });
  });

  it('a yanked version cannot be newly installed but still runs for pinned installs; its publisher may yank, other tenants may not; upgrades are explicit', async () => {
    await uploadApproved(ANA, RITA, 'Greeter', '1.1.0', greeterSource(1));
    expect((await api.call('POST', '/marketplace/listings', { body: { source: 'Greeter@1.1.0' } })).status).toBe(201);
    expect((await api.call('POST', `/marketplace/listings/${LISTING}/versions/1.1.0/publish`, { token: ADMIN })).status).toBe(200);

    expectError(await api.call('POST', `/marketplace/listings/${LISTING}/versions/1.0.0/yank`, { token: GUS, body: { reason: 'mine now' } }), 403, 'FORBIDDEN');
    expectError(await api.call('POST', `/marketplace/listings/${LISTING}/versions/1.0.0/yank`, { body: {} }), 400, 'INVALID_REQUEST');
    const yanked = await api.call('POST', `/marketplace/listings/${LISTING}/versions/1.0.0/yank`, { body: { reason: 'greets too quietly' } });
    expect(yanked.status).toBe(200);
    expect(yanked.json.listing.versions).toEqual([
      expect.objectContaining({ version: '1.1.0', state: 'published' }),
      expect.objectContaining({ version: '1.0.0', state: 'yanked', yanked: { reason: 'greets too quietly', at: expect.any(String) } }),
    ]);
    expect(yanked.json.listing.latestVersion).toBe('1.1.0');

    const refused = await api.call('POST', `/marketplace/listings/${LISTING}/install`, { token: IAN, body: { version: '1.0.0' } });
    expectError(refused, 409, 'CONFLICT');
    expect(refused.json.error.message).toMatch(/was yanked \(greets too quietly\)/);
    expect((await api.call('POST', `/marketplace/listings/${LISTING}/install`, { token: IAN })).json.install.version).toBe('1.1.0');

    // globex stays pinned to 1.0.0, and still runs it (with a warning).
    expect((await api.call('GET', '/marketplace/installs', { token: GUS })).json.installs.map((i: { version: string }) => i.version)).toEqual(['1.0.0']);
    const pinned = await runFor('globex');
    expect(pinned.summary.registered).toEqual([expect.objectContaining({ type: 'Greeter', version: '1.0.0' })]);
    expect(pinned.summary.warnings.join('\n')).toMatch(/was yanked: greets too quietly/);
    expect(pinned.result.output).toEqual({ greeting: 'Hello, Ada' });

    const upgraded = await api.call('POST', '/marketplace/installs/Greeter/upgrade', { token: GUS });
    expect(upgraded.status).toBe(200);
    expect(upgraded.json.install).toMatchObject({ as: 'Greeter', version: '1.1.0', upgradedAt: expect.any(String) });
    expect((await runFor('globex')).result.output).toEqual({ greeting: 'Hello, Ada!' });
    expectError(await api.call('POST', '/marketplace/installs/Greeter/upgrade', { token: GUS, body: { version: '1.0.0' } }), 409, 'CONFLICT');

    const removed = await api.call('POST', '/marketplace/installs/Greeter/uninstall', { token: IAN });
    expect(removed.status).toBe(200);
    expect(removed.json.install).toMatchObject({ as: 'Greeter', listingId: LISTING, version: '1.1.0' });
    expectError(await api.call('POST', '/marketplace/installs/Greeter/uninstall', { token: IAN }), 404, 'NOT_FOUND');
    expect((await api.call('GET', `/marketplace/listings/${LISTING}`, { token: IAN })).json.listing.installCount).toBe(1);
  });

  it('look-alike publishers are refused with 409; a platform admin sets support levels', async () => {
    const lookAlikes: Array<[string, string]> = [
      ['acme-t00ls', 'Hooli'],
      ['acmetools', 'Hooli'],
      ['hooli', 'ACME  TOOLS'],
      ['hooli', 'Acme Tооls'], // Cyrillic о
      ['acrne-tools', 'Hooli'], // rn looks like m
    ];
    for (const [slug, displayName] of lookAlikes) {
      const refused = await api.call('POST', '/marketplace/publishers', { token: HAL, body: { slug, displayName } });
      expectError(refused, 409, 'CONFLICT');
      expect(refused.json.error.message).toMatch(/looks like the publisher "acme-tools"/);
    }
    expectError(await api.call('POST', '/marketplace/publishers', { token: HAL, body: { slug: 'Hooli Tools', displayName: 'Hooli' } }), 400, 'INVALID_INPUT');
    expect((await api.call('POST', '/marketplace/publishers', { token: HAL, body: { slug: 'hooli-labs', displayName: 'Hooli Labs' } })).status).toBe(201);
    expectError(await api.call('POST', '/marketplace/publishers', { token: HAL, body: { slug: 'hooli-two', displayName: 'Hooli Two' } }), 409, 'CONFLICT');
    expectError(await api.call('GET', '/marketplace/publishers/nobody-here', { token: HAL }), 404, 'NOT_FOUND');

    expectError(await api.call('POST', '/marketplace/publishers/acme-tools/support-level', { body: { supportLevel: 'verified' } }), 403, 'FORBIDDEN');
    expectError(await api.call('POST', '/marketplace/publishers/acme-tools/support-level', { token: ADMIN, body: { supportLevel: 'gold' } }), 400, 'INVALID_REQUEST');
    const verified = await api.call('POST', '/marketplace/publishers/acme-tools/support-level', { token: ADMIN, body: { supportLevel: 'verified' } });
    expect(verified.json.publisher).toMatchObject({ slug: 'acme-tools', supportLevel: 'verified' });
    expect((await api.call('GET', '/marketplace/listings?supportLevel=verified', { token: IAN })).json.listings.map((l: { id: string }) => l.id)).toEqual([LISTING]);
    expect((await api.call('GET', '/marketplace/listings?supportLevel=certified', { token: IAN })).json.listings).toEqual([]);
  });

  it('pages listings and installs with limit and an opaque cursor', async () => {
    await uploadApproved(HAL, HAL, 'Pinger', '0.1.0', plainSource('Pinger'));
    expect((await api.call('POST', '/marketplace/listings', { token: HAL, body: { source: 'Pinger@0.1.0', category: 'utility', description: 'Answers SUCCESS' } })).status).toBe(201);
    expect((await api.call('POST', '/marketplace/listings/hooli-labs.Pinger/versions/0.1.0/publish', { token: ADMIN })).status).toBe(200);

    const first = await api.call('GET', '/marketplace/listings?limit=1&sort=installs', { token: IAN });
    expect(first.json.listings).toHaveLength(1);
    expect(first.json.listings[0].id).toBe(LISTING); // 1 install before 0
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await api.call('GET', `/marketplace/listings?limit=1&sort=installs&cursor=${first.json.nextCursor}`, { token: IAN });
    expect(second.json).toEqual({ listings: [expect.objectContaining({ id: 'hooli-labs.Pinger', latestVersion: '0.1.0' })], nextCursor: null });
    expectError(await api.call('GET', '/marketplace/listings?limit=101', { token: IAN }), 400, 'INVALID_REQUEST');

    expect((await api.call('POST', '/marketplace/listings/hooli-labs.Pinger/install', { token: GUS, body: { as: 'HooliPinger' } })).status).toBe(201);
    const page1 = await api.call('GET', '/marketplace/installs?limit=1', { token: GUS });
    expect(page1.json.installs.map((i: { as: string }) => i.as)).toEqual(['Greeter']);
    const page2 = await api.call('GET', `/marketplace/installs?limit=1&cursor=${page1.json.nextCursor}`, { token: GUS });
    expect(page2.json).toEqual({ installs: [expect.objectContaining({ as: 'HooliPinger', listingId: 'hooli-labs.Pinger' })], nextCursor: null });
    // A cursor belongs to its list.
    expectError(await api.call('GET', `/marketplace/listings?cursor=${page1.json.nextCursor}`, { token: GUS }), 400, 'INVALID_INPUT');
    expectError(await api.call('GET', `/marketplace/installs?cursor=${first.json.nextCursor}`, { token: GUS }), 400, 'INVALID_INPUT');
  });

  it('forks a published version into the caller’s registry as a draft', async () => {
    const fork = await api.call('POST', `/marketplace/listings/${LISTING}/fork`, { token: IAN, body: { as: 'MyGreeter' } });
    expect(fork.status).toBe(201);
    expect(fork.json.customNode).toMatchObject({ id: 'MyGreeter@1.1.0', name: 'MyGreeter', version: '1.1.0', status: 'draft', createdBy: 'ian' });
    expect((await api.call('POST', `/marketplace/listings/${LISTING}/fork`, { token: IAN, body: { as: 'MyGreeter' } })).status).toBe(200);
    expect((await api.call('GET', '/custom-nodes/MyGreeter@1.1.0', { token: IAN })).json.customNode.source.files['index.ts']).toContain("'!'");
    expectError(await api.call('POST', `/marketplace/listings/${LISTING}/fork`, { token: IAN, body: { version: '9.9.9' } }), 404, 'NOT_FOUND');
  });

  it('answers unknown listings 404 and bad requests 400, every error in the one JSON shape', async () => {
    expectError(await api.call('GET', '/marketplace/listings/acme-tools.Nope', { token: GUS }), 404, 'NOT_FOUND');
    expectError(await api.call('POST', '/marketplace/listings/acme-tools.Nope/install', { token: GUS }), 404, 'NOT_FOUND');
    expectError(await api.call('POST', '/marketplace/listings/acme-tools.Nope/reviews', { token: GUS, body: { rating: 3, body: '' } }), 404, 'NOT_FOUND');
    expectError(await api.call('POST', '/marketplace/listings/acme-tools.Nope/versions/1.0.0/publish', { token: ADMIN }), 404, 'NOT_FOUND');
    expectError(await api.call('POST', '/marketplace/installs/Nope/upgrade', { token: GUS }), 404, 'NOT_FOUND');
    expectError(await api.call('GET', '/marketplace/listings/no-dot', { token: GUS }), 400, 'INVALID_INPUT');
    expectError(await api.call('POST', '/marketplace/installs/not_a_name/uninstall', { token: GUS }), 400, 'INVALID_INPUT');

    const rating = await api.call('POST', `/marketplace/listings/${LISTING}/reviews`, { token: GUS, body: { rating: 6, body: 'x' } });
    expectError(rating, 400, 'INVALID_REQUEST');
    expect(rating.json.error.message).toContain('body.rating');
    expectError(await api.call('POST', `/marketplace/listings/${LISTING}/reviews`, { token: GUS, body: { rating: 4 } }), 400, 'INVALID_REQUEST');
    const extra = await api.call('POST', `/marketplace/listings/${LISTING}/install`, { token: GUS, body: { tenantId: 'acme' } });
    expectError(extra, 400, 'INVALID_REQUEST');
    expect(extra.json.error.message).toContain('body.tenantId is not a field of this route');
    expectError(await api.call('POST', '/marketplace/listings', { body: { source: 'Greeter' } }), 400, 'INVALID_INPUT');
    expectError(await api.call('POST', '/marketplace/listings', { body: { source: 'Greeter@2.0.0', category: 'greetings', description: 'x' } }), 404, 'NOT_FOUND');
    expectError(await api.call('GET', '/marketplace/listings?sort=best', { token: GUS }), 400, 'INVALID_REQUEST');
    expectError(await api.call('GET', '/marketplace/listings?category=Not%20One', { token: GUS }), 400, 'INVALID_INPUT');
    expectError(await api.call('POST', '/marketplace/publishers', { raw: '{"slug":', token: GUS }), 400, 'INVALID_JSON');
    expectError(await api.call('POST', '/marketplace/publishers', { raw: 'slug=x', contentType: 'text/plain', token: GUS }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await api.call('GET', '/marketplace/listings', { token: null }), 401, 'UNAUTHENTICATED');
    expectError(await api.call('DELETE', '/marketplace/installs/Greeter', { token: GUS }), 404, 'NOT_FOUND');
    expectError(await api.call('PUT', '/marketplace/listings', { token: GUS }), 404, 'NOT_FOUND');

    for (const a of api.answers.filter((x) => x.status >= 400)) {
      expect(a.json, a.text).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
      expect(a.text).not.toMatch(/\n\s+at\s|node_modules/);
    }
  });

  it('lists every marketplace route in the OpenAPI document, with its bodies, the roles as configured and the one error shape', async () => {
    const doc = (await api.call('GET', '/openapi.json', { token: null })).json;
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const expected = [...ROUTES, ...MARKETPLACE_ROUTES, ...PLAYGROUND_ROUTES].map((r) => `${r.method} /api${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(listed.sort()).toEqual(expected.sort());
    expect(MARKETPLACE_ROUTES).toHaveLength(15);

    const listing = doc.components.schemas.MarketplaceListing.properties;
    expect(Object.keys(listing)).toEqual(expect.arrayContaining(['ratingAverage', 'ratingCount', 'installCount', 'latestVersion', 'publisher']));
    expect(doc.components.schemas.MarketplaceVersion.properties.source.description).toContain('`Name@version`');
    const review = doc.paths['/api/marketplace/listings/{id}/reviews'].post;
    expect(Object.keys(review.requestBody.content['application/json'].schema.properties).sort()).toEqual(['body', 'rating']);
    expect(Object.keys(review.responses).sort()).toEqual(['200', '201', '400', '401', '403', '404', '409', '413', '415', '429', '500']);
    expect(doc.paths['/api/marketplace/listings/{id}/versions/{version}/publish'].post.description).toContain('Permission `marketplaceAdmin`: the role `platform-admin`.');
    expect(doc.paths['/api/marketplace/listings/{id}/versions/{version}/yank'].post.description).toContain('Permission `marketplacePublish`: every authenticated user of the tenant.');
    expect(doc.paths['/api/marketplace/listings'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['category', 'cursor', 'limit', 'q', 'sort', 'supportLevel']);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, any> }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400) expect(JSON.stringify(response.content['application/json'].schema), `${method} ${path} ${status}`).toContain('#/components/schemas/CustomNodesError');
        }
      }
    }
  });
});

describe('marketplace routes and a host without a marketplace', () => {
  it('are not mounted when the host is a bare TenantRegistry, and the paths answer 404 saying why', async () => {
    const bare = await startApiServer({ host: new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() }) });
    try {
      const answer = await bare.call('GET', '/marketplace/listings');
      expectError(answer, 404, 'NOT_FOUND');
      expect(answer.json.error.hint).toMatch(/host: pluginHost/);
      const doc = (await bare.call('GET', '/openapi.json', { token: null })).json;
      expect(Object.keys(doc.paths).filter((p) => p.includes('marketplace'))).toEqual([]);
      expect(Object.keys(doc.components.schemas).filter((s) => s.startsWith('Marketplace'))).toEqual([]);
    } finally {
      await bare.close();
    }
  });

  it('refuses a marketplaceAdmin role of null (every user a platform admin)', async () => {
    await expect(startApiServer({ host, roles: { marketplaceAdmin: null } })).rejects.toThrow(/roles\.marketplaceAdmin is null/);
  });
});
