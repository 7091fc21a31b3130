/**
 * The catalogue-store conformance suite: the contract every `CatalogueStore` must keep
 * (src/marketplace/catalogue-store.ts), against a real backend. A store's test file calls
 * {@link describeCatalogueStoreConformance} with a target that makes fresh, empty stores.
 *
 * It checks the store alone: publisher claims all or none (and one winner among 20 concurrent
 * look-alike registrations), reads by slug, tenant and batch, and atomic changes of publishers,
 * listings and installs — 20 concurrent changes from several store instances lose none, and a
 * change that throws changes nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { CatalogueStore, DocumentChange } from '../../src/marketplace/catalogue-store.js';
import type { ListingDocument, Publisher, TenantInstallsDocument } from '../../src/marketplace/types.js';

/** How the suite gets stores of one backend. */
export interface CatalogueTarget {
  /** e.g. 'object-store on memory'. */
  name: string;
  /** A fresh, empty store. Calls with the same `space` share one backend (what two processes would share). */
  create(space: string): Promise<CatalogueStore>;
  /** Releases what `create` made. */
  cleanup?(): Promise<void>;
}

const CREATED = '2026-01-01T00:00:00.000Z';
/** Changes made at once by the concurrency tests, spread over {@link WORKERS} store instances. */
const CONCURRENT = 20;
const WORKERS = 4;

function publisher(slug: string, tenantId: string, nameKeys: string[] = [`key-of-${slug}`]): Publisher {
  return { slug, displayName: slug, tenantId, supportLevel: 'community', createdAt: CREATED, createdBy: 'ada', nameKeys };
}

const claim = (store: CatalogueStore, p: Publisher) => store.claimPublisher(p, p.nameKeys);

function listing(id: string): ListingDocument {
  const [publisherSlug, name] = id.split('.') as [string, string];
  return { schema: 1, id, publisher: publisherSlug, name, category: 'messaging', description: 'Sends a note', createdAt: CREATED, updatedAt: CREATED, revision: 1, versions: {}, installedBy: {}, reviews: {} };
}

/** A change that records `tenant` as an installer of the listing (creating it when absent), one revision up. */
const addInstaller = (id: string, tenant: string): DocumentChange<ListingDocument> => (doc, now) => {
  const base = doc ?? { ...listing(id), revision: 0 };
  return { ...base, revision: base.revision + 1, updatedAt: now, installedBy: { ...base.installedBy, [tenant]: true } };
};

/** A change that adds the install `as` to the tenant's installs (creating them when absent), one revision up. */
const addInstall = (tenantId: string, as: string): DocumentChange<TenantInstallsDocument> => (doc, now) => {
  const base = doc ?? { schema: 1 as const, tenantId, revision: 0, installs: {} };
  return { ...base, revision: base.revision + 1, installs: { ...base.installs, [as]: { as, listingId: 'acme-tools.Notifier', version: '1.0.0', installedAt: now, installedBy: 'ada' } } };
};

class Refused extends Error {}
const refuse = (): never => {
  throw new Refused('the change refuses');
};

let spaces = 0;

export function describeCatalogueStoreConformance(target: CatalogueTarget): void {
  const newSpace = () => `cat_${process.pid}_${spaces++}_${Math.random().toString(36).slice(2, 8)}`;
  const fresh = () => target.create(newSpace());
  /** {@link WORKERS} stores on one fresh backend, as separate workers would have. */
  const workers = async () => {
    const space = newSpace();
    const first = await target.create(space);
    return [first, ...(await Promise.all(Array.from({ length: WORKERS - 1 }, () => target.create(space))))];
  };
  afterAll(async () => target.cleanup?.());

  describe(`catalogue store conformance: ${target.name}`, () => {
    it('claims a publisher, found by slug, by tenant and in a batch', async () => {
      const store = await fresh();
      const acme = publisher('acme-tools', 'acme');
      expect(await store.readPublisher('acme-tools')).toBeUndefined();
      expect(await store.publisherOfTenant('acme')).toBeUndefined();
      expect(await claim(store, acme)).toBeUndefined();
      expect(await store.readPublisher('acme-tools')).toEqual(acme);
      expect(await store.publisherOfTenant('acme')).toEqual(acme);
      expect(await store.publisherOfTenant('globex')).toBeUndefined();
      const globex = publisher('globex-labs', 'globex');
      expect(await claim(store, globex)).toBeUndefined();
      const found = await store.readPublishers(['globex-labs', 'nobody', 'acme-tools', 'acme-tools']);
      expect([...found.keys()].sort()).toEqual(['acme-tools', 'globex-labs']);
      expect(found.get('acme-tools')).toEqual(acme);
      expect(found.get('globex-labs')).toEqual(globex);
      expect((await store.readPublishers([])).size).toBe(0);
    });

    it('claimPublisher is all or none: a taken tenant, name key or slug leaves nothing else claimed', async () => {
      const store = await fresh();
      expect(await claim(store, publisher('acme-tools', 'acme', ['acme-key', 'acme-name-key']))).toBeUndefined();

      // The tenant is taken: its other slug and name key stay free.
      expect(await claim(store, publisher('acme-two', 'acme', ['two-key']))).toEqual({ taken: 'tenant', by: 'acme-tools' });
      expect(await store.readPublisher('acme-two')).toBeUndefined();
      // A name key is taken (after one that was free): the tenant and the free key stay free.
      expect(await claim(store, publisher('globex-labs', 'globex', ['free-key', 'acme-name-key']))).toEqual({ taken: 'name', by: 'acme-tools' });
      // The slug is taken: the tenant and the name key stay free.
      expect(await claim(store, publisher('acme-tools', 'initech', ['initech-key']))).toEqual({ taken: 'slug', by: 'acme-tools' });
      expect(await store.readPublisher('acme-tools')).toEqual(publisher('acme-tools', 'acme', ['acme-key', 'acme-name-key']));
      for (const tenant of ['globex', 'initech']) expect(await store.publisherOfTenant(tenant)).toBeUndefined();

      // So each refused registration's claims can be made again.
      expect(await claim(store, publisher('two-labs', 'two', ['two-key']))).toBeUndefined();
      expect(await claim(store, publisher('globex-labs', 'globex', ['free-key']))).toBeUndefined();
      expect(await claim(store, publisher('initech-co', 'initech', ['initech-key']))).toBeUndefined();
      expect((await store.publisherOfTenant('globex'))?.slug).toBe('globex-labs');
      expect((await store.publisherOfTenant('acme'))?.slug).toBe('acme-tools');
    });

    it(`${CONCURRENT} concurrent look-alike registrations: exactly one wins, the others claim nothing`, async () => {
      const stores = await workers();
      const racers = Array.from({ length: CONCURRENT }, (_, i) => publisher(`racer-${i}`, `tenant-${i}`, [`own-key-${i}`, 'shared-look-alike-key']));
      const outcomes = await Promise.all(racers.map((p, i) => claim(stores[i % WORKERS]!, p)));
      const winners = racers.filter((_, i) => outcomes[i] === undefined);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      for (const outcome of outcomes.filter((o) => o !== undefined)) {
        expect(outcome!.taken).toBe('name');
        // Absent only while the winner's registration was still under way.
        if (outcome!.by !== undefined) expect(outcome!.by).toBe(winner.slug);
      }
      const store = stores[0]!;
      expect([...(await store.readPublishers(racers.map((p) => p.slug))).keys()]).toEqual([winner.slug]);
      const losers = racers.filter((p) => p !== winner);
      for (const p of losers) expect(await store.publisherOfTenant(p.tenantId)).toBeUndefined();
      // Nothing of the losers stayed claimed: each registers again without the shared key.
      for (const p of losers) expect(await claim(store, { ...p, nameKeys: [p.nameKeys[0]!] }), p.slug).toBeUndefined();
      expect(await claim(store, publisher('late-racer', 'late', ['shared-look-alike-key']))).toEqual({ taken: 'name', by: winner.slug });
    }, 120_000);

    it('updatePublisher changes a publisher atomically; null changes nothing; a missing one stays missing', async () => {
      const store = await fresh();
      const acme = publisher('acme-tools', 'acme');
      await claim(store, acme);
      let seenNow = '';
      const verified = await store.updatePublisher('acme-tools', (p, now) => {
        seenNow = now;
        return { ...p!, supportLevel: 'verified', supportLevelSetBy: { by: 'ops', at: now } };
      });
      expect(Number.isNaN(Date.parse(seenNow))).toBe(false);
      expect(verified).toEqual({ ...acme, supportLevel: 'verified', supportLevelSetBy: { by: 'ops', at: seenNow } });
      expect(await store.readPublisher('acme-tools')).toEqual(verified);
      expect(await store.publisherOfTenant('acme')).toEqual(verified);
      expect(await store.updatePublisher('acme-tools', () => null)).toEqual(verified);
      expect(await store.updatePublisher('nobody', (p) => (expect(p).toBeUndefined(), null))).toBeUndefined();
      expect(await store.readPublisher('nobody')).toBeUndefined();

      // Concurrent changes of one publisher: none lost.
      const stores = await workers();
      await claim(stores[0]!, publisher('busy-co', 'busy'));
      await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => stores[i % WORKERS]!.updatePublisher('busy-co', (p) => ({ ...p!, nameKeys: [...p!.nameKeys, `extra-${i}`] }))));
      expect((await stores[0]!.readPublisher('busy-co'))!.nameKeys).toHaveLength(1 + CONCURRENT);
    }, 120_000);

    it('updateListing creates a listing, then serialises changes; listListings lists them by id', async () => {
      const store = await fresh();
      expect(await store.listListings()).toEqual([]);
      expect(await store.readListing('acme-tools.Notifier')).toBeUndefined();
      // A change that finds nothing to do creates nothing.
      expect(await store.updateListing('acme-tools.Notifier', () => null)).toBeUndefined();
      expect(await store.readListing('acme-tools.Notifier')).toBeUndefined();
      const created = await store.updateListing('acme-tools.Notifier', (doc) => (expect(doc).toBeUndefined(), listing('acme-tools.Notifier')));
      expect(created).toEqual(listing('acme-tools.Notifier'));
      expect(await store.readListing('acme-tools.Notifier')).toEqual(created);
      expect(await store.updateListing('acme-tools.Notifier', () => null)).toEqual(created);
      await store.updateListing('acme-tools.Alerter', () => listing('acme-tools.Alerter'));
      await store.updateListing('globex-labs.Zipper', () => listing('globex-labs.Zipper'));
      expect((await store.listListings()).map((d) => d.id)).toEqual(['acme-tools.Alerter', 'acme-tools.Notifier', 'globex-labs.Zipper']);
      expect((await store.listListings())[1]).toEqual(created);
    });

    it(`${CONCURRENT} concurrent changes of one listing, from several store instances: none lost, one revision each`, async () => {
      const stores = await workers();
      const id = 'acme-tools.Notifier';
      await stores[0]!.updateListing(id, () => listing(id));
      const results = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => stores[i % WORKERS]!.updateListing(id, addInstaller(id, `tenant-${i}`))));
      const final = (await stores[1]!.readListing(id))!;
      expect(final.revision).toBe(1 + CONCURRENT);
      expect(Object.keys(final.installedBy).sort()).toEqual(Array.from({ length: CONCURRENT }, (_, i) => `tenant-${i}`).sort());
      // Each change saw its own revision: they ran one after the other.
      expect(results.map((r) => r!.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: CONCURRENT }, (_, i) => i + 2));
    }, 120_000);

    it(`${CONCURRENT} concurrent first changes create one listing and lose none`, async () => {
      const stores = await workers();
      const id = 'acme-tools.Racer';
      await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => stores[i % WORKERS]!.updateListing(id, addInstaller(id, `tenant-${i}`))));
      const final = (await stores[2]!.readListing(id))!;
      expect(final.revision).toBe(CONCURRENT);
      expect(Object.keys(final.installedBy)).toHaveLength(CONCURRENT);
      expect((await stores[0]!.listListings()).map((d) => d.id)).toEqual([id]);
    }, 120_000);

    it(`readInstalls / updateInstalls: created on the first install, ${CONCURRENT} concurrent installs lose none, other tenants untouched`, async () => {
      const stores = await workers();
      expect(await stores[0]!.readInstalls('globex')).toBeUndefined();
      await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => stores[i % WORKERS]!.updateInstalls('globex', addInstall('globex', `Node${i}`))));
      const doc = (await stores[3]!.readInstalls('globex'))!;
      expect(doc).toMatchObject({ schema: 1, tenantId: 'globex', revision: CONCURRENT });
      expect(Object.keys(doc.installs).sort()).toEqual(Array.from({ length: CONCURRENT }, (_, i) => `Node${i}`).sort());
      expect(doc.installs.Node7).toMatchObject({ as: 'Node7', listingId: 'acme-tools.Notifier', version: '1.0.0' });
      expect(await stores[0]!.readInstalls('initech')).toBeUndefined();
      expect(await stores[0]!.updateInstalls('globex', () => null)).toEqual(doc);
    }, 120_000);

    it('an error thrown by a change is rethrown as it is and changes nothing', async () => {
      const store = await fresh();
      await claim(store, publisher('acme-tools', 'acme'));
      const id = 'acme-tools.Notifier';
      await store.updateListing(id, () => listing(id));
      await store.updateInstalls('globex', addInstall('globex', 'Notifier'));
      const before = { publisher: await store.readPublisher('acme-tools'), listing: await store.readListing(id), installs: await store.readInstalls('globex') };

      await expect(store.updatePublisher('acme-tools', refuse)).rejects.toBeInstanceOf(Refused);
      await expect(store.updateListing(id, refuse)).rejects.toThrow('the change refuses');
      await expect(store.updateInstalls('globex', refuse)).rejects.toBeInstanceOf(Refused);
      // And on documents that do not exist yet: they stay absent.
      await expect(store.updateListing('acme-tools.Other', refuse)).rejects.toBeInstanceOf(Refused);
      await expect(store.updateInstalls('initech', refuse)).rejects.toBeInstanceOf(Refused);

      expect({ publisher: await store.readPublisher('acme-tools'), listing: await store.readListing(id), installs: await store.readInstalls('globex') }).toEqual(before);
      expect(await store.readListing('acme-tools.Other')).toBeUndefined();
      expect(await store.readInstalls('initech')).toBeUndefined();
      // The store still works after a refused change.
      expect((await store.updateListing(id, addInstaller(id, 'globex')))!.revision).toBe(2);
    });
  });
}
