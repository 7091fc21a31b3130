/**
 * The default {@link CatalogueStore}: the marketplace's documents in the same storage adapter as
 * the registry (memory, fs, S3, GCS), changed by compare-and-swap (layout.ts).
 *
 * @module
 */
import { casUpdate, isPreconditionFailed, readJson, encodeJson, type CasRetry } from '../registry/documents.js';
import { mapBounded } from '../registry/audit-log.js';
import type { StorageAdapter } from '../storage-adapters/types.js';
import type { CatalogueStore, DocumentChange, PublisherConflict } from './catalogue-store.js';
import { installsKey, listingIdOfKey, listingKey, LISTINGS_PREFIX, nameClaimKey, publisherKey, tenantClaimKey } from './layout.js';
import type { ListingDocument, Publisher, TenantInstallsDocument } from './types.js';

/** A claim whose publisher was never written (its registration crashed) is taken over after this long. */
const STALE_CLAIM_MS = 60_000;

interface Claim {
  slug: string;
  at: string;
}

/** The marketplace's documents in `storage`. */
export class ObjectStoreCatalogue implements CatalogueStore {
  readonly #storage: StorageAdapter;
  readonly #retry: CasRetry;
  readonly #clock: () => number;

  constructor(storage: StorageAdapter, options: { retry?: CasRetry; clock?: () => number } = {}) {
    this.#storage = storage;
    this.#retry = options.retry ?? {};
    this.#clock = options.clock ?? Date.now;
  }

  get name(): string {
    return `object-store(${this.#storage.name})`;
  }

  /**
   * Claims the tenant, then each name key, then writes the publisher create-only; a claim that
   * fails releases the ones this call made. A claim left by a crashed registration (its publisher
   * never written) is taken over once older than a minute.
   */
  async claimPublisher(publisher: Publisher, nameKeys: readonly string[]): Promise<PublisherConflict | undefined> {
    const made: Array<{ key: string; etag: string }> = [];
    const release = async (): Promise<void> => {
      for (const c of made.reverse()) await this.#storage.delete(c.key, { ifMatch: c.etag }).catch(() => undefined);
    };
    const claims: Array<{ key: string; taken: PublisherConflict['taken'] }> = [
      { key: tenantClaimKey(publisher.tenantId), taken: 'tenant' },
      ...nameKeys.map((k) => ({ key: nameClaimKey(k), taken: 'name' as const })),
    ];
    try {
      for (const { key, taken } of claims) {
        const result = await this.#claim(key, publisher.slug);
        if (typeof result !== 'string') {
          await release();
          return { taken, ...(result.by !== undefined ? { by: result.by } : {}) };
        }
        made.push({ key, etag: result });
      }
      try {
        await this.#storage.put(publisherKey(publisher.slug), encodeJson(publisher), { ifNoneMatch: '*' });
      } catch (e) {
        await release();
        if (isPreconditionFailed(e)) return { taken: 'slug', by: publisher.slug };
        throw e;
      }
      return undefined;
    } catch (e) {
      await release();
      throw e;
    }
  }

  /** The etag of the claim made, or who holds it. */
  async #claim(key: string, slug: string): Promise<string | { by?: string }> {
    const body = encodeJson({ slug, at: new Date(this.#clock()).toISOString() } satisfies Claim);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return (await this.#storage.put(key, body, { ifNoneMatch: '*' })).etag;
      } catch (e) {
        if (!isPreconditionFailed(e)) throw e;
      }
      const held = await readJson<Claim>(this.#storage, key);
      if (!held) continue; // released meanwhile: try again
      if (await this.readPublisher(held.value.slug)) return { by: held.value.slug };
      const age = this.#clock() - Date.parse(held.value.at);
      if (!(age > STALE_CLAIM_MS)) return {}; // another registration is under way
      try {
        return (await this.#storage.put(key, body, { ifMatch: held.etag })).etag;
      } catch (e) {
        if (!isPreconditionFailed(e)) throw e;
      }
    }
    return {};
  }

  async readPublisher(slug: string): Promise<Publisher | undefined> {
    return (await readJson<Publisher>(this.#storage, publisherKey(slug)))?.value;
  }

  async publisherOfTenant(tenantId: string): Promise<Publisher | undefined> {
    const claim = await readJson<Claim>(this.#storage, tenantClaimKey(tenantId));
    if (!claim) return undefined;
    const p = await this.readPublisher(claim.value.slug);
    return p?.tenantId === tenantId ? p : undefined;
  }

  async updatePublisher(slug: string, change: DocumentChange<Publisher>): Promise<Publisher | undefined> {
    return this.#update(publisherKey(slug), change, 'publisher update failed', { publisher: slug });
  }

  async readListing(id: string): Promise<ListingDocument | undefined> {
    return (await readJson<ListingDocument>(this.#storage, listingKey(id)))?.value;
  }

  updateListing(id: string, change: DocumentChange<ListingDocument>): Promise<ListingDocument | undefined> {
    return this.#update(listingKey(id), change, 'listing update failed', { listing: id });
  }

  async listListings(): Promise<ListingDocument[]> {
    const ids: string[] = [];
    for await (const entry of this.#storage.list(LISTINGS_PREFIX)) {
      const id = listingIdOfKey(entry.key);
      if (id !== undefined) ids.push(id);
    }
    const docs = await mapBounded(ids.sort(), 16, (id) => this.readListing(id));
    return docs.filter((d): d is ListingDocument => d !== undefined);
  }

  async readPublishers(slugs: readonly string[]): Promise<Map<string, Publisher>> {
    const unique = [...new Set(slugs)];
    const found = await mapBounded(unique, 16, (slug) => this.readPublisher(slug));
    const out = new Map<string, Publisher>();
    found.forEach((p, i) => p && out.set(unique[i]!, p));
    return out;
  }

  async readInstalls(tenantId: string): Promise<TenantInstallsDocument | undefined> {
    return (await readJson<TenantInstallsDocument>(this.#storage, installsKey(tenantId)))?.value;
  }

  updateInstalls(tenantId: string, change: DocumentChange<TenantInstallsDocument>): Promise<TenantInstallsDocument | undefined> {
    return this.#update(installsKey(tenantId), change, 'install failed', { tenant: tenantId });
  }

  #update<T>(key: string, change: DocumentChange<T>, summary: string, context: Record<string, string>): Promise<T | undefined> {
    return casUpdate<T>(this.#storage, key, (current) => change(current, new Date(this.#clock()).toISOString()), { summary, context }, this.#retry);
  }
}
