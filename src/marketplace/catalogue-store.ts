/**
 * The `CatalogueStore` contract: where the marketplace keeps its mutable documents — publishers,
 * one document per listing (its versions, installers and reviews) and one per tenant's installs.
 * The bytes of catalogue versions (sources, bundle, source map, manifest) always live in the
 * storage adapter, next to the registry's (layout.ts). The rules stay in `Marketplace`; a store
 * keeps and changes documents atomically.
 *
 * @module
 */
import type { ListingDocument, Publisher, TenantInstallsDocument } from './types.js';

/** Why a publisher could not be registered: what was taken, and by which publisher. */
export interface PublisherConflict {
  /** `slug`: the slug itself; `tenant`: the tenant already has a publisher; `name`: a look-alike name. */
  taken: 'slug' | 'tenant' | 'name';
  /** The publisher holding it (absent while another registration is still under way). */
  by?: string;
}

/** A change of one document: the new value, or `null` for "nothing to do". Pure; may throw to refuse. */
export type DocumentChange<T> = (current: T | undefined, nowIso: string) => T | null;

/** Keeps the marketplace's documents. */
export interface CatalogueStore {
  /** Names the store in messages, e.g. `object-store(fs)`. */
  readonly name: string;
  /**
   * Registers `publisher`: its slug, its tenant (one publisher per tenant) and each of `nameKeys`
   * (the skeletons of its names, see publisher-names.ts) are claimed together — all or none, and
   * concurrent registrations of look-alike names cannot both win.
   * @returns `undefined` when registered, else what was taken.
   */
  claimPublisher(publisher: Publisher, nameKeys: readonly string[]): Promise<PublisherConflict | undefined>;
  readPublisher(slug: string): Promise<Publisher | undefined>;
  /** The publisher of `tenantId`, if it registered one. */
  publisherOfTenant(tenantId: string): Promise<Publisher | undefined>;
  /** Changes a publisher atomically. */
  updatePublisher(slug: string, change: DocumentChange<Publisher>): Promise<Publisher | undefined>;
  readListing(id: string): Promise<ListingDocument | undefined>;
  /** Changes (or creates) a listing atomically; concurrent changes are serialised, none is lost. */
  updateListing(id: string, change: DocumentChange<ListingDocument>): Promise<ListingDocument | undefined>;
  /** Every listing (browse filters and sorts them). */
  listListings(): Promise<ListingDocument[]>;
  /** Publishers by slug, for the listings' summaries. */
  readPublishers(slugs: readonly string[]): Promise<Map<string, Publisher>>;
  readInstalls(tenantId: string): Promise<TenantInstallsDocument | undefined>;
  /** Changes (or creates) a tenant's installs atomically. */
  updateInstalls(tenantId: string, change: DocumentChange<TenantInstallsDocument>): Promise<TenantInstallsDocument | undefined>;
}
