/**
 * The marketplace with its documents in PostgreSQL (PostgresCatalogue) on the real server, and the
 * registry's metadata in the same schema: two hosts — two workers sharing the database and the
 * storage backend — register a publisher, list and publish a version, install it for a second
 * tenant and run it there, review it, and take concurrent installs, reviews and look-alike
 * registrations without losing any.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import { PostgresCatalogue, PostgresMetadataStore } from '../../src/metadata-stores/postgres/index.js';
import { PluginHost } from '../../src/plugin-host.js';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { loadBtree, type SuiteBtree } from '../setup/btree-module.js';
import { runTenantTree } from '../setup/run-tree.js';

const ACME = { tenantId: 'acme', userId: 'ada' };
const GLOBEX = { tenantId: 'globex', userId: 'gus' };
const ID = 'acme-tools.Notifier';
const TREE = 'type: Notifier\nid: n\nprops:\n  who: Ada\n';

/** A node that greets through the host capability `notify` and writes what it returned. */
function notifierSource(name: string): string {
  return [
    "import { defineNode, z, NodeStatus } from '@wayfarer-ai/btree-plugins/sdk';",
    "import { proxyActivities } from '@temporalio/workflow';",
    'const { notify } = proxyActivities<{ notify(text: string): Promise<string> }>({ startToCloseTimeout: "10s" });',
    `export default defineNode({ name: '${name}', description: 'Notifies someone', category: 'action', props: z.object({ who: z.string().min(1) }),`,
    "  async tick(ctx) { ctx.blackboard.set('receipt', await notify('Hello, ' + ctx.props.who)); return NodeStatus.SUCCESS; } });",
    '',
  ].join('\n');
}

describe('marketplace on PostgreSQL (real server)', () => {
  const schema = `marketplace_${process.pid}`;
  const pool = new pg.Pool({ connectionString: process.env.BTREE_PLUGINS_POSTGRES_URL!, max: 8 });
  pool.on('error', () => {});
  const backend = new MemoryBackend();
  let btree: SuiteBtree;
  let workers: PluginHost[] = [];

  /** A host as one worker has it: the registry's metadata and the marketplace's documents in `schema`, bytes in the shared backend. */
  function worker(): PluginHost {
    return new PluginHost({
      btree,
      storage: new MemoryStorage({ backend }),
      execution: { isolation: 'inline' },
      registry: { metadata: new PostgresMetadataStore({ pool, schema }) },
      marketplace: { store: new PostgresCatalogue({ pool, schema }) },
      tenants: (tenantId) => ({ capabilities: { notify: async (_ctx, text) => `${String(text)} (sent by ${tenantId})` } }),
    });
  }

  beforeAll(async () => {
    btree = await loadBtree();
    // One migration run creates the registry's and the marketplace's tables.
    expect(await new PostgresCatalogue({ pool, schema }).migrate()).toEqual({ applied: ['0001_initial', '0002_marketplace', '0003_rate_limits'] });
    workers = [worker(), worker()];
    const r = workers[0]!.registry;
    await r.publish('acme', { name: 'Notifier', version: '1.0.0', source: notifierSource('Notifier') });
    await r.approve('acme', 'Notifier', '1.0.0', { by: 'rita' });
  }, 120_000);

  afterAll(async () => {
    for (const host of workers) await host.dispose();
    await pool.end();
  });

  it('register → list → publish → install for a second tenant (on another worker) → run → review', async () => {
    const [a, b] = [workers[0]!.marketplace, workers[1]!.marketplace];
    expect(a.store).toBeInstanceOf(PostgresCatalogue);
    expect(await a.registerPublisher(ACME, { slug: 'acme-tools', displayName: 'Acme Tools' })).toMatchObject({ slug: 'acme-tools', tenantId: 'acme' });
    expect(await b.publisherOfTenant('acme')).toMatchObject({ slug: 'acme-tools', displayName: 'Acme Tools' });
    await expect(b.registerPublisher({ tenantId: 'hooli', userId: 'h' }, { slug: 'hooli', displayName: 'ACME  TOOLS' })).rejects.toThrow(/looks like the publisher "acme-tools"/);

    const listed = await a.listVersion(ACME, { source: 'Notifier@1.0.0', category: 'messaging', description: 'Sends a note' });
    expect(listed.versions).toEqual([expect.objectContaining({ version: '1.0.0', state: 'pending_review' })]);
    expect((await b.search({}, { tenantId: 'globex' })).listings).toEqual([]);
    await b.publishVersion(ID, '1.0.0', 'ops-admin');
    expect((await a.search({ q: 'note' }, { tenantId: 'globex' })).listings).toEqual([expect.objectContaining({ id: ID, latestVersion: '1.0.0' })]);

    expect(await b.install(GLOBEX, ID)).toMatchObject({ as: 'Notifier', listingId: ID, version: '1.0.0', installedBy: 'gus' });
    // Either worker runs globex's install, in globex's sandbox with globex's capability.
    for (const host of workers) {
      const { summary, result } = await runTenantTree(host, btree, 'globex', TREE);
      expect(summary.registered.map((n) => `${n.type}=${n.version}`)).toEqual(['Notifier=1.0.0']);
      expect(result).toEqual({ status: 'SUCCESS', output: { receipt: 'Hello, Ada (sent by globex)' } });
    }

    await expect(a.review({ tenantId: 'initech', userId: 'ian' }, ID, { rating: 5, body: 'great' })).rejects.toThrow(/has not installed/);
    const review = await a.review(GLOBEX, ID, { rating: 4, body: 'works' });
    expect(review).toMatchObject({ rating: 4, version: '1.0.0', tenantId: 'globex' });
    expect(await b.listing(ID)).toMatchObject({ installCount: 1, ratingCount: 1, reviews: [expect.objectContaining({ body: 'works' })] });
  });

  it('concurrent installs and reviews from both workers: none lost; the rows agree', async () => {
    const tenants = Array.from({ length: 12 }, (_, i) => ({ tenantId: `crowd-${i}`, userId: `user-${i}` }));
    const on = (i: number) => workers[i % 2]!.marketplace;
    const before = await pool.query<{ revision: number }>(`SELECT revision FROM "${schema}".marketplace_listings WHERE id = $1`, [ID]);
    await Promise.all(tenants.map((t, i) => on(i).install(t, ID)));
    await Promise.all(tenants.map((t, i) => on(i + 1).review(t, ID, { rating: (i % 5) + 1, body: `review ${i}` })));
    const listing = await on(0).listing(ID);
    expect(listing.installCount).toBe(1 + tenants.length);
    expect(listing.ratingCount).toBe(1 + tenants.length);
    for (const t of tenants) expect((await on(1).installs(t.tenantId)).map((i) => i.version)).toEqual(['1.0.0']);

    // One revision per install and per review, in the row every change locked.
    const after = await pool.query<{ revision: number; installers: number; reviews: number }>(
      `SELECT revision, (SELECT count(*)::int FROM jsonb_object_keys(document->'installedBy')) AS installers, (SELECT count(*)::int FROM jsonb_object_keys(document->'reviews')) AS reviews
         FROM "${schema}".marketplace_listings WHERE id = $1`,
      [ID],
    );
    expect(after.rows[0]).toEqual({ revision: before.rows[0]!.revision + 2 * tenants.length, installers: 1 + tenants.length, reviews: 1 + tenants.length });
    const installs = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".marketplace_installs`);
    expect(installs.rows[0].n).toBe(1 + tenants.length);
  }, 60_000);

  it('concurrent look-alike registrations on both workers: exactly one publisher, the others refused', async () => {
    const names = ['Hooli', 'HOOli', 'Hoo li', 'Ηooli', 'hoo-li', 'H00li', 'hooli', 'Hooli.'];
    const outcomes = await Promise.allSettled(
      names.map((displayName, i) => workers[i % 2]!.marketplace.registerPublisher({ tenantId: `hooli-${i}`, userId: 'h' }, { slug: `hooli-co-${i}`, displayName })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ConflictError);
    const rows = await pool.query(`SELECT slug FROM "${schema}".marketplace_publishers WHERE slug LIKE 'hooli-co-%'`);
    expect(rows.rows).toEqual([{ slug: (won[0] as PromiseFulfilledResult<{ slug: string }>).value.slug }]);
  }, 60_000);
});
