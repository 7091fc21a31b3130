/**
 * The marketplace through the library API, on memory, fs and S3 (moto) storage: a publisher lists
 * its tenant's approved version, an admin publishes it, a second tenant installs it (pinned, by
 * reference) and runs it in a tree with its own capabilities, never seeing the publisher's other
 * nodes; yanked versions, tampered catalogue bundles, look-alike publishers, name clashes, reviews,
 * upgrades, forks, and concurrent installs and reviews.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, IntegrityError, InvalidInputError, isBtreePluginsError, NotFoundError } from '../../src/errors.js';
import { catalogueVersionKeys } from '../../src/marketplace/layout.js';
import { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { S3Storage } from '../../src/storage-adapters/s3.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import { loadBtree, type SuiteBtree } from '../setup/btree-module.js';
import { s3Buckets } from '../setup/buckets.js';

let btree: SuiteBtree;
beforeAll(async () => {
  btree = await loadBtree();
});

/** A node that greets through the host capability `notify` and writes what it returned. */
function notifierSource(name: string, greeting = 'Hello'): string {
  return [
    "import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';",
    "import { proxyActivities } from '@temporalio/workflow';",
    'const { notify } = proxyActivities<{ notify(text: string): Promise<string> }>({ startToCloseTimeout: "10s" });',
    'export default defineNode({',
    `  name: '${name}',`,
    "  description: 'Notifies someone',",
    "  category: 'action',",
    '  props: z.object({ who: z.string().min(1) }),',
    '  async tick(ctx) {',
    `    ctx.blackboard.set('receipt', await notify('${greeting}, ' + ctx.props.who));`,
    '    return NodeStatus.SUCCESS;',
    '  },',
    '});',
    '',
  ].join('\n');
}

const ACME = { tenantId: 'acme', userId: 'ada' };
const GLOBEX = { tenantId: 'globex', userId: 'gus' };
const ADMIN = 'platform-admin-ops';
const TREE = 'type: Sequence\nid: root\nchildren:\n  - type: Notifier\n    id: n\n    props:\n      who: Ada\n';

interface Backend {
  name: string;
  make(): Promise<{ storage: () => StorageAdapter; cleanup(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'memory',
    async make() {
      const storage = new MemoryStorage();
      return { storage: () => storage, cleanup: async () => undefined };
    },
  },
  {
    name: 'fs',
    async make() {
      const dir = await mkdtemp(join(tmpdir(), 'marketplace-'));
      return { storage: () => new FsStorage({ root: dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 's3 (moto)',
    async make() {
      const s3 = s3Buckets();
      const bucket = await s3.create('marketplace');
      return { storage: () => new S3Storage({ bucket, client: s3.config() }), cleanup: () => s3.close() };
    },
  },
];

for (const backend of backends) {
  describe(`marketplace on ${backend.name} storage`, () => {
    let made: Awaited<ReturnType<Backend['make']>>;
    let host: PluginHost;
    const calls: Array<{ tenantId: string; node: string; text: string }> = [];

    beforeAll(async () => {
      made = await backend.make();
      host = new PluginHost({
        btree,
        storage: made.storage(),
        execution: { isolation: 'inline' },
        tenants: (tenantId) => ({
          capabilities: {
            notify: async (ctx, text) => {
              calls.push({ tenantId: ctx.tenantId, node: ctx.node, text: String(text) });
              return `sent by ${tenantId}`;
            },
          },
        }),
      });
      const r = host.registry;
      await r.publish('acme', { name: 'Notifier', version: '1.0.0', source: notifierSource('Notifier') });
      await r.approve('acme', 'Notifier', '1.0.0', { by: 'rita' });
      await r.publish('acme', { name: 'Notifier', version: '1.1.0', source: notifierSource('Notifier', 'Hi') });
      await r.approve('acme', 'Notifier', '1.1.0', { by: 'rita' });
      await r.publish('acme', { name: 'Secret', version: '1.0.0', source: notifierSource('Secret', 'Psst') });
      await r.approve('acme', 'Secret', '1.0.0', { by: 'rita' });
      await r.activate('acme', 'Secret', '1.0.0');
    }, 120_000);

    afterAll(async () => {
      await host?.dispose();
      await made?.cleanup();
    });

    async function runFor(tenantId: string, yaml = TREE) {
      const registry = new btree.Registry();
      btree.registerStandardNodes(registry);
      const summary = await host.registerNodes(registry, tenantId, { yaml });
      const result = await new btree.BehaviorTree(btree.loadTreeFromYaml(yaml, registry)).toWorkflow()({ input: {}, treeRegistry: registry });
      return { summary, result };
    }

    it('publish → review → install → run in a tree for a second tenant, which never sees the publisher’s other nodes or data', async () => {
      const m = host.marketplace;
      await expect(m.listVersion(ACME, { source: 'Notifier@1.0.0', category: 'messaging', description: 'Sends a note' })).rejects.toThrow(/tenant acme has no publisher/);
      const publisher = await m.registerPublisher(ACME, { slug: 'acme-tools', displayName: 'Acme Tools' });
      expect(publisher).toMatchObject({ slug: 'acme-tools', tenantId: 'acme', supportLevel: 'community' });

      const listed = await m.listVersion(ACME, { source: 'Notifier@1.0.0', category: 'messaging', description: 'Sends a note' });
      expect(listed).toMatchObject({ id: 'acme-tools.Notifier', latestVersion: null, installCount: 0 });
      expect(listed.versions).toEqual([expect.objectContaining({ version: '1.0.0', state: 'pending_review' })]);
      // Pending: invisible to others, not installable.
      expect((await m.search({}, { tenantId: 'globex' })).listings).toEqual([]);
      await expect(m.install(GLOBEX, 'acme-tools.Notifier')).rejects.toBeInstanceOf(NotFoundError);
      expect((await m.search({}, { admin: true })).listings.map((l) => l.id)).toEqual(['acme-tools.Notifier']);

      await m.publishVersion('acme-tools.Notifier', '1.0.0', ADMIN);
      const found = await m.search({ q: 'note', category: 'messaging' }, { tenantId: 'globex' });
      expect(found.listings).toEqual([expect.objectContaining({ id: 'acme-tools.Notifier', latestVersion: '1.0.0', publisher: { slug: 'acme-tools', displayName: 'Acme Tools', supportLevel: 'community' } })]);

      const install = await m.install(GLOBEX, 'acme-tools.Notifier');
      expect(install).toMatchObject({ as: 'Notifier', listingId: 'acme-tools.Notifier', version: '1.0.0', installedBy: 'gus' });
      calls.length = 0;
      const { summary, result } = await runFor('globex');
      expect(summary.registered.map((r) => `${r.type}=${r.version}`)).toEqual(['Notifier=1.0.0']);
      expect(result).toEqual({ status: 'SUCCESS', output: { receipt: 'sent by globex' } });
      // It ran as globex's node, with globex's capability.
      expect(calls).toEqual([{ tenantId: 'globex', node: 'Notifier', text: 'Hello, Ada' }]);
      // The publisher's other node stays the publisher's.
      const secret = 'type: Secret\nid: s\nprops:\n  who: Ada\n';
      const registry = new btree.Registry();
      btree.registerStandardNodes(registry);
      expect((await host.registerNodes(registry, 'globex', { yaml: secret })).registered.map((r) => r.type)).toEqual(['Notifier']);
      expect(() => btree.loadTreeFromYaml(secret, registry)).toThrow(/Secret/);
      await expect(host.nodeCatalog().resolve('globex', 'Secret')).rejects.toBeInstanceOf(NotFoundError);
      await expect(host.nodeCatalog().loadBundle('globex', 'Secret', '1.0.0')).rejects.toBeInstanceOf(NotFoundError);
      expect((await m.listing('acme-tools.Notifier')).installCount).toBe(1);
    });

    it('reviews: refused without an install, a second review updates the first, a hidden one is not counted', async () => {
      const m = host.marketplace;
      await expect(m.review({ tenantId: 'initech', userId: 'ian' }, 'acme-tools.Notifier', { rating: 5, body: 'great' })).rejects.toThrow(/has not installed/);
      await expect(m.review(GLOBEX, 'acme-tools.Notifier', { rating: 6, body: 'x' })).rejects.toBeInstanceOf(InvalidInputError);
      const first = await m.review(GLOBEX, 'acme-tools.Notifier', { rating: 2, body: 'meh' });
      expect(first).toMatchObject({ rating: 2, version: '1.0.0', tenantId: 'globex', userId: 'gus' });
      const second = await m.review(GLOBEX, 'acme-tools.Notifier', { rating: 4, body: 'better now' });
      expect(second).toMatchObject({ id: first.id, rating: 4, body: 'better now', createdAt: first.createdAt });
      let listing = await m.listing('acme-tools.Notifier');
      expect(listing).toMatchObject({ ratingCount: 1, ratingAverage: Math.round(((5 * 3 + 4) / 6) * 100) / 100 });
      expect(listing.reviews.map((r) => r.body)).toEqual(['better now']);
      await m.hideReview('acme-tools.Notifier', first.id, { by: ADMIN, reason: 'spam' });
      listing = await m.listing('acme-tools.Notifier');
      expect(listing).toMatchObject({ ratingCount: 0, ratingAverage: null, reviews: [] });
      expect((await m.listing('acme-tools.Notifier', { admin: true })).reviews).toEqual([expect.objectContaining({ hidden: expect.objectContaining({ reason: 'spam' }) })]);
    });

    it('yanked versions stay runnable for pinned installs but cannot be newly installed; upgrades are explicit', async () => {
      const m = host.marketplace;
      await m.listVersion(ACME, { source: 'Notifier@1.1.0' });
      await m.publishVersion('acme-tools.Notifier', '1.1.0', ADMIN);
      await m.yankVersion('acme-tools.Notifier', '1.0.0', { by: ADMIN, reason: 'greets too loudly' });
      // globex stays pinned to the yanked 1.0.0 and still runs it, with a warning.
      const { summary, result } = await runFor('globex');
      expect(summary.registered.map((r) => `${r.type}=${r.version}`)).toEqual(['Notifier=1.0.0']);
      expect(summary.warnings.join('\n')).toMatch(/Notifier@1\.0\.0 \(from acme-tools\.Notifier\) was yanked: greets too loudly/);
      expect(result.status).toBe('SUCCESS');
      const initech = { tenantId: 'initech', userId: 'ian' };
      await expect(m.install(initech, 'acme-tools.Notifier', { version: '1.0.0' })).rejects.toThrow(/was yanked \(greets too loudly\)/);
      expect((await m.install(initech, 'acme-tools.Notifier')).version).toBe('1.1.0');
      // An explicit upgrade moves globex.
      expect((await m.upgrade(GLOBEX, 'Notifier')).version).toBe('1.1.0');
      // A workflow that resolved 1.0.0 before the upgrade still loads it; unknown versions do not load.
      expect((await host.nodeCatalog().loadBundle('globex', 'Notifier', '1.0.0')).version).toBe('1.0.0');
      await expect(host.nodeCatalog().loadBundle('globex', 'Notifier', '9.9.9')).rejects.toBeInstanceOf(NotFoundError);
      // Trees resolve the pinned version only.
      await expect(host.nodeCatalog().resolve('globex', 'Notifier@1.0.0')).rejects.toThrow(/pinned to 1\.1\.0/);
      expect((await host.nodeCatalog().resolve('globex', 'Notifier@^1.0')).version).toBe('1.1.0');
      calls.length = 0;
      await runFor('globex');
      expect(calls).toEqual([{ tenantId: 'globex', node: 'Notifier', text: 'Hi, Ada' }]);
    });

    it('a tampered catalogue bundle is refused at load', async () => {
      const storage = made.storage();
      const key = catalogueVersionKeys('acme-tools.Notifier', '1.1.0').bundle;
      const original = (await storage.get(key))!.body;
      try {
        await storage.put(key, new TextEncoder().encode('export default class Evil {}'));
        const e = await host.nodeCatalog().loadBundle('globex', 'Notifier', '1.1.0').catch((x: unknown) => x);
        expect(e).toBeInstanceOf(IntegrityError);
        expect((e as Error).message).toMatch(/catalogue bundle integrity check failed/);
      } finally {
        await storage.put(key, original);
      }
      expect((await host.nodeCatalog().loadBundle('globex', 'Notifier', '1.1.0')).tenantId).toBe('globex');
    });

    it('look-alike publisher names are refused', async () => {
      const m = host.marketplace;
      const attempts: Array<[string, string, string]> = [
        ['hooli', 'acmetools', 'Hooli'],
        ['hooli', 'hooli', 'ACME  TOOLS'],
        ['hooli', 'hooli', 'Acme Tооls'], // Cyrillic о
        ['hooli', 'acme-t00ls', 'Hooli'], // digit zeros
      ];
      for (const [tenantId, slug, displayName] of attempts) {
        await expect(m.registerPublisher({ tenantId, userId: 'h' }, { slug, displayName })).rejects.toThrow(/looks like the publisher "acme-tools"/);
      }
      await expect(m.registerPublisher({ tenantId: 'hooli', userId: 'h' }, { slug: 'аcme-tools', displayName: 'X' })).rejects.toBeInstanceOf(InvalidInputError);
      // A tenant has one publisher.
      await expect(m.registerPublisher(ACME, { slug: 'acme-two', displayName: 'Acme Two' })).rejects.toThrow(/already has the publisher "acme-tools"/);
      // A name that only shares a prefix is fine.
      expect((await m.registerPublisher({ tenantId: 'hooli', userId: 'h' }, { slug: 'hooli-xyz', displayName: 'Hooli XYZ' })).slug).toBe('hooli-xyz');
      await expect(m.publisher('acmetools')).rejects.toBeInstanceOf(NotFoundError);
      expect((await m.setSupportLevel('acme-tools', 'verified', ADMIN)).supportLevel).toBe('verified');
      expect((await m.search({ supportLevel: 'verified' })).listings.map((l) => l.id)).toEqual(['acme-tools.Notifier']);
    });

    it('name clashes with the tenant’s own nodes are refused unless the tenant picks another name; fork copies the source as a draft', async () => {
      const m = host.marketplace;
      await host.registry.publish('umbrella', { name: 'Notifier', version: '3.0.0', source: notifierSource('Notifier', 'Own') });
      const umbrella = { tenantId: 'umbrella', userId: 'u' };
      const e = await m.install(umbrella, 'acme-tools.Notifier').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConflictError);
      expect((e as Error).message).toMatch(/tenant umbrella has its own node Notifier.*HINT: install under another name/);
      expect(await m.install(umbrella, 'acme-tools.Notifier', { as: 'AcmeNotifier' })).toMatchObject({ as: 'AcmeNotifier', version: '1.1.0' });
      calls.length = 0;
      const { result } = await runFor('umbrella', 'type: AcmeNotifier\nid: n\nprops:\n  who: Bo\n');
      expect(result).toEqual({ status: 'SUCCESS', output: { receipt: 'sent by umbrella' } });
      expect(calls).toEqual([{ tenantId: 'umbrella', node: 'AcmeNotifier', text: 'Hi, Bo' }]);
      // The same name twice is refused, the same install again is a no-op.
      await expect(m.install(umbrella, 'acme-tools.Notifier', { as: 'AcmeNotifier', version: '1.0.0' })).rejects.toThrow(/yanked/);
      expect((await m.install(umbrella, 'acme-tools.Notifier', { as: 'AcmeNotifier' })).installedAt).toBeDefined();
      expect((await m.installs('umbrella')).map((i) => i.as)).toEqual(['AcmeNotifier']);

      const fork = await m.fork(umbrella, 'acme-tools.Notifier', { as: 'MyNotifier' });
      expect(fork.info).toMatchObject({ name: 'MyNotifier', version: '1.1.0', status: 'draft' });
      expect((await host.registry.sources('umbrella', 'MyNotifier', '1.1.0')).files['index.ts']).toContain("'Hi, '");
      await expect(m.fork(umbrella, 'acme-tools.Notifier', { as: 'AcmeNotifier' })).rejects.toThrow(/name of an install/);

      expect(await m.uninstall(umbrella, 'AcmeNotifier')).toMatchObject({ as: 'AcmeNotifier', listingId: 'acme-tools.Notifier', version: '1.1.0' });
      expect(await m.installs('umbrella')).toEqual([]);
      expect((await m.listing('acme-tools.Notifier')).installCount).toBe(2); // globex, initech
    });

    it('concurrent installs and reviews stay consistent', async () => {
      const m = host.marketplace;
      const tenants = Array.from({ length: 12 }, (_, i) => ({ tenantId: `crowd-${i}`, userId: `user-${i}` }));
      const before = (await m.listing('acme-tools.Notifier')).installCount;
      await Promise.all(tenants.map((t) => m.install(t, 'acme-tools.Notifier')));
      await Promise.all(tenants.map((t, i) => m.review(t, 'acme-tools.Notifier', { rating: (i % 5) + 1, body: `review ${i}` })));
      const listing = await m.listing('acme-tools.Notifier');
      expect(listing.installCount).toBe(before + tenants.length);
      expect(listing.ratingCount).toBe(tenants.length);
      const sum = tenants.reduce((s, _, i) => s + (i % 5) + 1, 0);
      expect(listing.ratingAverage).toBe(Math.round(((15 + sum) / (5 + tenants.length)) * 100) / 100);
      for (const t of tenants) expect((await m.installs(t.tenantId)).map((i) => i.version)).toEqual(['1.1.0']);
    }, 60_000);
  });
}

describe('marketplace input checks', () => {
  it('refuses bad ids, categories and paging with messages that say how to fix them', async () => {
    const btreeModule = await loadBtree();
    const host = new PluginHost({ btree: btreeModule, storage: new MemoryStorage(), execution: { isolation: 'inline' } });
    try {
      const m = host.marketplace;
      await expect(m.listing('no-dot')).rejects.toThrow(/a listing id is `<publisher>\.<NodeName>`/);
      await expect(m.search({ sort: 'best' as never })).rejects.toThrow(/sort by rating, installs or recent/);
      await expect(m.search({ limit: 500 })).rejects.toThrow(/at most 100/);
      await expect(m.search({ cursor: 'garbage!' })).rejects.toThrow(/cursor is not one this list gave out/);
      await m.registerPublisher(ACME, { slug: 'acme-tools', displayName: 'Acme Tools' });
      await expect(m.listVersion(ACME, { source: 'Notifier' })).rejects.toThrow(/name the approved version/);
      const e = await m.listVersion(ACME, { source: 'Notifier@1.0.0', category: 'Bad Category', description: 'x' }).catch((x: unknown) => x);
      expect(isBtreePluginsError(e, 'NotFoundError')).toBe(true); // no such version, before the category is read
    } finally {
      await host.dispose();
    }
  });
});
