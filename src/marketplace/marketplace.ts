/**
 * `Marketplace`: a catalogue of nodes shared across one platform's tenants, kept next to the
 * registry (same storage adapter). Publishers list their tenant's approved versions; the catalogue
 * keeps an immutable copy of each; a platform admin publishes it; other tenants install a version
 * by reference, pinned, and it runs in *their* sandbox with their capabilities and limits.
 * See docs/marketplace.md.
 *
 * @module
 */
import semver from 'semver';
import { ConflictError, IntegrityError, InvalidInputError, NotFoundError } from '../errors.js';
import { sha256Hex } from '../loader/hash.js';
import { mapBounded } from '../registry/audit-log.js';
import { encodeJson, putImmutable, readJson } from '../registry/documents.js';
import { assertNodeName, assertTenantId, assertVersion, parseNodeSpec, printable } from '../registry/ids.js';
import type { TenantRegistry } from '../registry/tenant-registry.js';
import type { NodeManifest, PublishResult } from '../registry/types.js';
import type { RunnableBundle } from '../sandbox/types.js';
import type { StorageAdapter } from '../storage-adapters/types.js';
import { decodeCursor, encodeCursor } from '../http/paging.js';
import type { CatalogueStore, PublisherConflict } from './catalogue-store.js';
import { catalogueVersionKeys } from './layout.js';
import { canSee, detailsOf, latestPublished, matches, searchText, sortKey, summaryOf, type Viewer } from './listing-view.js';
import { assertPublisherSlug, checkDisplayName, publisherNameKeys } from './publisher-names.js';
import { ObjectStoreCatalogue } from './object-store-catalogue.js';
import {
  SUPPORT_LEVELS,
  type Actor,
  type CatalogueManifest,
  type CatalogueVersionEntry,
  type Install,
  type ListingDetails,
  type ListingDocument,
  type ListingSort,
  type Publisher,
  type Review,
  type SearchPage,
  type SearchQuery,
  type SupportLevel,
  type TenantInstallsDocument,
} from './types.js';

/** Options of {@link Marketplace}. */
export interface MarketplaceOptions {
  /** Where catalogue copies live: the registry's storage adapter. */
  storage: StorageAdapter;
  /** The tenants' registry: listings are copied from it, forks published into it. */
  registry: TenantRegistry;
  /** Where the catalogue's documents live (default: documents in `storage`). */
  store?: CatalogueStore;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: () => number;
}

/** What {@link Marketplace.listVersion} takes. */
export interface ListVersionInput {
  /** The caller's approved version, as the upload API names it: `SendSlackMessage@1.0.0`. */
  source: string;
  /** One lowercase word or slug, e.g. `messaging`; required when the listing is new, ignored after. */
  category?: string;
  /** Up to 500 characters; required when the listing is new, ignored after. */
  description?: string;
}

/** Listing category grammar. */
export const CATEGORY_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** Longest listing description. */
export const MAX_DESCRIPTION_LENGTH = 500;
/** Longest review text. */
export const MAX_REVIEW_LENGTH = 2000;
/** Default and largest page of {@link Marketplace.search}. */
export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;

const SORTS: readonly ListingSort[] = ['rating', 'installs', 'recent'];
const decoder = new TextDecoder();

/** The catalogue: publishers, listings, installs, reviews. */
export class Marketplace {
  readonly #storage: StorageAdapter;
  readonly #registry: TenantRegistry;
  readonly #store: CatalogueStore;
  readonly #clock: () => number;

  constructor(options: MarketplaceOptions) {
    this.#storage = options.storage;
    this.#registry = options.registry;
    this.#clock = options.clock ?? Date.now;
    this.#store = options.store ?? new ObjectStoreCatalogue(options.storage, { clock: this.#clock });
  }

  /** The store of the catalogue's documents. */
  get store(): CatalogueStore {
    return this.#store;
  }

  // ---- publishers ---------------------------------------------------------------------------

  /**
   * Registers the publisher of `actor.tenantId` (one per tenant), at support level `community`.
   * The slug and the display name must differ from every other publisher's after normalisation
   * (case, Unicode NFKC, confusable characters, invisible characters, spacing and separators).
   * Registering the same slug and name again for the same tenant returns the publisher.
   * @throws InvalidInputError (grammar), ConflictError (taken or look-alike).
   */
  async registerPublisher(actor: Actor, input: { slug: string; displayName: string }): Promise<Publisher> {
    assertActor(actor);
    const slug = input?.slug;
    assertPublisherSlug(slug);
    const displayName = checkDisplayName(input?.displayName);
    const existing = await this.#store.publisherOfTenant(actor.tenantId);
    if (existing) {
      if (existing.slug === slug && existing.displayName === displayName) return existing;
      throw new ConflictError('publisher registration failed', `tenant ${actor.tenantId} already has the publisher ${printable(existing.slug)}`, {
        context: { tenant: actor.tenantId },
        hint: 'a tenant has one publisher; list your nodes under it',
      });
    }
    const nameKeys = publisherNameKeys(slug, displayName);
    const publisher: Publisher = { slug, displayName, tenantId: actor.tenantId, supportLevel: 'community', createdAt: this.#now(), createdBy: actor.userId, nameKeys };
    const conflict = await this.#store.claimPublisher(publisher, nameKeys);
    if (conflict) throw publisherConflict(slug, displayName, conflict);
    return publisher;
  }

  /** @throws NotFoundError */
  async publisher(slug: string): Promise<Publisher> {
    assertPublisherSlug(slug);
    const p = await this.#store.readPublisher(slug);
    if (!p) throw new NotFoundError('publisher not found', `there is no publisher ${printable(slug)}`, { hint: 'check the slug, or register the publisher first' });
    return p;
  }

  /** The publisher of a tenant, or `undefined`. */
  publisherOfTenant(tenantId: string): Promise<Publisher | undefined> {
    assertTenantId(tenantId);
    return this.#store.publisherOfTenant(tenantId);
  }

  /** Platform admin: sets a publisher's support level (`community`, `verified`, `certified`). */
  async setSupportLevel(slug: string, level: SupportLevel, by: string): Promise<Publisher> {
    assertPublisherSlug(slug);
    if (!SUPPORT_LEVELS.includes(level)) {
      throw new InvalidInputError('invalid support level', `${printable(level)} is not a support level`, { hint: `use one of ${SUPPORT_LEVELS.join(', ')}` });
    }
    const who = requiredText('by', by, 200);
    const updated = await this.#store.updatePublisher(slug, (p, now) => {
      if (!p) throw new NotFoundError('publisher not found', `there is no publisher ${printable(slug)}`);
      return p.supportLevel === level ? null : { ...p, supportLevel: level, supportLevelSetBy: { by: who, at: now } };
    });
    if (!updated) throw new NotFoundError('publisher not found', `there is no publisher ${printable(slug)}`);
    return updated;
  }

  // ---- listings -----------------------------------------------------------------------------

  /**
   * Lists one of the caller's tenant's approved versions under its publisher: the catalogue keeps
   * an immutable copy (sources, bundle, source map, metadata with the props schema, sha256) as a
   * catalogue version in `pending_review`, until a platform admin publishes it. Listing the same
   * version again is a no-op; a different version of the same node joins the same listing.
   * @throws NotFoundError, InvalidInputError (not approved, bad category), ConflictError (no publisher; changed content).
   */
  async listVersion(actor: Actor, input: ListVersionInput): Promise<ListingDetails> {
    assertActor(actor);
    const spec = parseNodeSpec(input?.source);
    if (spec.kind !== 'exact') {
      throw new InvalidInputError('listing failed', `${printable(input?.source)} does not name one version`, { hint: 'name the approved version to list, e.g. "SendSlackMessage@1.0.0"' });
    }
    const publisher = await this.#store.publisherOfTenant(actor.tenantId);
    if (!publisher) {
      throw new ConflictError('listing failed', `tenant ${actor.tenantId} has no publisher`, { hint: 'register a publisher first (POST /marketplace/publishers)' });
    }
    const details = await this.#registry.get(actor.tenantId, spec.name, spec.version);
    if (details.review !== 'approved' || details.deprecated) {
      throw new InvalidInputError('listing failed', `${spec.name}@${spec.version} is ${details.status}; only approved versions that are not deprecated can be listed`, {
        context: { tenant: actor.tenantId, node: spec.name, version: spec.version },
        hint: 'have the version approved in your registry first',
      });
    }
    const id = listingId(publisher.slug, spec.name);
    const existing = await this.#store.readListing(id);
    const category = existing ? existing.category : checkCategory(input.category);
    const description = existing ? existing.description : checkDescription(input.description);
    const entry = existing?.versions[spec.version];
    if (entry && entry.sha256 !== details.sha256) {
      throw new ConflictError('listing failed', `${id}@${spec.version} is already in the catalogue with other content`, { hint: 'list a new version' });
    }
    if (!entry) await this.#copyVersion(id, publisher, actor, details.manifest);
    const now = this.#now();
    const doc = await this.#store.updateListing(id, (current) => {
      if (current?.versions[spec.version]) return null;
      const base: ListingDocument = current ?? {
        schema: 1,
        id,
        publisher: publisher.slug,
        name: spec.name,
        category,
        description,
        createdAt: now,
        updatedAt: now,
        revision: 0,
        versions: {},
        installedBy: {},
        reviews: {},
      };
      const version: CatalogueVersionEntry = {
        version: spec.version,
        state: 'pending_review',
        sha256: details.sha256,
        sourceSha256: details.manifest.sourceSha256,
        listedFrom: { tenantId: actor.tenantId, name: spec.name, version: spec.version },
        listedAt: now,
        listedBy: actor.userId,
      };
      return { ...base, revision: base.revision + 1, updatedAt: now, versions: { ...base.versions, [spec.version]: version } };
    });
    return detailsOf(doc!, publisher, { tenantId: actor.tenantId });
  }

  /** Copies a registry version's bytes into the catalogue, each checked on the way. */
  async #copyVersion(id: string, publisher: Publisher, actor: Actor, m: NodeManifest): Promise<void> {
    const { name, version } = m;
    const [sources, bundle] = await Promise.all([this.#registry.sources(actor.tenantId, name, version), this.#registry.loadBundle(actor.tenantId, name, version)]);
    const keys = catalogueVersionKeys(id, version);
    const context = { listing: id, version };
    await mapBounded(Object.entries(sources.files), 8, ([path, text]) => putImmutable(this.#storage, keys.source(path), new TextEncoder().encode(text), context));
    await putImmutable(this.#storage, keys.bundle, new TextEncoder().encode(bundle.code), context);
    await putImmutable(this.#storage, keys.sourceMap, new TextEncoder().encode(bundle.sourceMap ?? ''), context);
    const manifest: CatalogueManifest = {
      schema: 1,
      listingId: id,
      publisher: publisher.slug,
      name,
      version,
      sha256: m.sha256,
      sourceMapSha256: m.sourceMapSha256,
      sourceSha256: m.sourceSha256,
      entry: m.entry,
      files: m.files,
      metadata: m.metadata,
      imports: m.imports,
      listedFrom: { tenantId: actor.tenantId, name, version },
      listedAt: this.#now(),
      listedBy: actor.userId,
    };
    // A manifest written by an earlier, interrupted listing of the same bytes is kept.
    const found = await readJson<CatalogueManifest>(this.#storage, keys.manifest);
    if (found && found.value.sha256 !== manifest.sha256) throw new IntegrityError('catalogue manifest differs', manifest.sha256, found.value.sha256, { context });
    if (!found) await putImmutable(this.#storage, keys.manifest, encodeJson(manifest), context);
  }

  /** Platform admin: `pending_review` → `published` (installable). Publishing a published version is a no-op. */
  publishVersion(id: string, version: string, by: string): Promise<ListingDetails> {
    const who = requiredText('by', by, 200);
    return this.#changeVersion(id, version, (v, now) => {
      if (v.state === 'published') return null;
      if (v.state === 'yanked') throw new ConflictError('publish failed', `${id}@${version} was yanked`, { hint: 'list a new version instead' });
      return { ...v, state: 'published', publishedAt: now, publishedBy: who };
    });
  }

  /**
   * Platform admin or the publisher: withdraws a version. It stays runnable for the installs
   * pinned to it, but cannot be newly installed. Never deleted.
   */
  yankVersion(id: string, version: string, input: { by: string; reason: string }): Promise<ListingDetails> {
    const who = requiredText('by', input?.by, 200);
    const reason = requiredText('reason', input?.reason, 500);
    return this.#changeVersion(id, version, (v, now) => (v.state === 'yanked' ? null : { ...v, state: 'yanked', yanked: { reason, by: who, at: now } }));
  }

  async #changeVersion(id: string, version: string, change: (v: CatalogueVersionEntry, now: string) => CatalogueVersionEntry | null): Promise<ListingDetails> {
    parseListingId(id);
    assertVersion(version);
    const doc = await this.#store.updateListing(id, (current, now) => {
      if (!current) throw listingNotFound(id);
      const v = current.versions[version];
      if (!v) throw new NotFoundError('version not found', `${id} has no version ${version}`, { hint: `its versions: ${Object.keys(current.versions).join(', ') || 'none'}` });
      const next = change(v, now);
      return next ? { ...current, revision: current.revision + 1, updatedAt: now, versions: { ...current.versions, [version]: next } } : null;
    });
    const publisher = await this.#store.readPublisher(doc!.publisher);
    return detailsOf(doc!, publisher, { admin: true });
  }

  /** One listing as `viewer` sees it. @throws NotFoundError (also for a listing the viewer may not see). */
  async listing(id: string, viewer: Viewer = {}): Promise<ListingDetails> {
    parseListingId(id);
    const doc = await this.#store.readListing(id);
    const publisher = doc && (await this.#store.readPublisher(doc.publisher));
    if (!doc || !canSee(doc, publisher, viewer)) throw listingNotFound(id);
    return detailsOf(doc, publisher, viewer);
  }

  /**
   * Browse and search: listings with a published version (plus the viewer's own, and everything
   * for admins), filtered by words, category and support level, sorted by rating, installs or
   * recency, one page at a time.
   */
  async search(query: SearchQuery = {}, viewer: Viewer = {}): Promise<SearchPage> {
    const sort = query.sort ?? 'recent';
    if (!SORTS.includes(sort)) throw new InvalidInputError('invalid search', `sort ${printable(sort)} is not one of ${SORTS.join(', ')}`, { hint: 'sort by rating, installs or recent' });
    if (query.category !== undefined) checkCategory(query.category);
    if (query.supportLevel !== undefined && !SUPPORT_LEVELS.includes(query.supportLevel)) {
      throw new InvalidInputError('invalid search', `supportLevel ${printable(query.supportLevel)} is not one of ${SUPPORT_LEVELS.join(', ')}`, { hint: 'filter by community, verified or certified' });
    }
    const limit = query.limit ?? DEFAULT_SEARCH_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
      throw new InvalidInputError('invalid search', `limit ${printable(limit)} is not an integer from 1 to ${MAX_SEARCH_LIMIT}`, { hint: `ask for at most ${MAX_SEARCH_LIMIT} listings per page` });
    }
    if (query.q !== undefined && (typeof query.q !== 'string' || query.q.length > 200)) {
      throw new InvalidInputError('invalid search', 'q must be a string of at most 200 characters', { hint: 'search with a few words' });
    }
    const after = decodeCursor('listings', query.cursor);
    const words = searchText(query.q ?? '').split(/\s+/).filter(Boolean);
    const docs = await this.#store.listListings();
    const publishers = await this.#store.readPublishers(docs.map((d) => d.publisher));
    const keyed = docs
      .filter((d) => canSee(d, publishers.get(d.publisher), viewer))
      .map((d) => summaryOf(d, publishers.get(d.publisher)))
      .filter((s) => (query.category === undefined || s.category === query.category) && (query.supportLevel === undefined || s.publisher.supportLevel === query.supportLevel) && matches(s, words))
      .map((s) => ({ s, key: `${sort}|${sortKey(s, sort)}` }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rest = after === undefined ? keyed : keyed.filter((k) => k.key > after);
    const page = rest.slice(0, limit);
    return { listings: page.map((k) => k.s), ...(rest.length > limit ? { nextCursor: encodeCursor('listings', page[page.length - 1]!.key) } : {}) };
  }

  // ---- installs -----------------------------------------------------------------------------

  /**
   * Installs a listing's version into `actor.tenantId` by reference, pinned: `version` (default
   * the latest published) under the node name `as` (default the listing's name). It then resolves
   * in `registerNodes` like the tenant's own nodes and runs in the tenant's own sandbox. Installing
   * the same version under the same name again is a no-op.
   * @throws NotFoundError, InvalidInputError, ConflictError (name taken by a node or another install, yanked or unpublished version, installed already at another version: upgrade instead).
   */
  async install(actor: Actor, id: string, options: { version?: string; as?: string } = {}): Promise<Install> {
    assertActor(actor);
    const listing = await this.#publicListing(id);
    const version = options.version ?? latestPublished(listing);
    if (version === null) throw new ConflictError('install failed', `${id} has no published version`, { hint: 'wait until a version is published' });
    assertInstallable(listing, version);
    const as = options.as ?? listing.name;
    assertNodeName(as);
    await this.#assertNameFree(actor.tenantId, as, id);
    const now = this.#now();
    const doc = await this.#store.updateInstalls(actor.tenantId, (current) => {
      const base = current ?? { schema: 1 as const, tenantId: actor.tenantId, revision: 0, installs: {} };
      const there = base.installs[as];
      if (there) {
        if (there.listingId === id && there.version === version) return null;
        throw new ConflictError('install failed', there.listingId === id ? `${as} is installed at ${there.version}` : `${as} is taken by the install of ${there.listingId}`, {
          context: { tenant: actor.tenantId, node: as },
          hint: there.listingId === id ? 'upgrade it explicitly to change its version' : 'install under another name with `as`',
        });
      }
      const install: Install = { as, listingId: id, version, installedAt: now, installedBy: actor.userId };
      return { ...base, revision: base.revision + 1, installs: { ...base.installs, [as]: install } };
    });
    await this.#countInstaller(id, actor.tenantId);
    return doc!.installs[as]!;
  }

  /** Moves an install to another published version (default the latest). Explicit: installs never move by themselves. */
  async upgrade(actor: Actor, as: string, options: { version?: string } = {}): Promise<Install> {
    assertActor(actor);
    assertNodeName(as);
    const current = await this.installOf(actor.tenantId, as);
    if (!current) throw installNotFound(actor.tenantId, as);
    const listing = await this.#store.readListing(current.listingId);
    if (!listing) throw listingNotFound(current.listingId);
    const version = options.version ?? latestPublished(listing);
    if (version === null) throw new ConflictError('upgrade failed', `${listing.id} has no published version`);
    assertInstallable(listing, version);
    const doc = await this.#store.updateInstalls(actor.tenantId, (d, now) => {
      const there = d?.installs[as];
      if (!there) throw installNotFound(actor.tenantId, as);
      if (there.version === version) return null;
      return { ...d!, revision: d!.revision + 1, installs: { ...d!.installs, [as]: { ...there, version, upgradedAt: now } } };
    });
    return doc!.installs[as]!;
  }

  /**
   * Removes an install and returns it; the listing's install count drops when it was the tenant's
   * last install of it.
   */
  async uninstall(actor: Actor, as: string): Promise<Install> {
    assertActor(actor);
    assertNodeName(as);
    let removed: Install | undefined;
    const after = await this.#store.updateInstalls(actor.tenantId, (d) => {
      const there = d?.installs[as];
      if (!there) throw installNotFound(actor.tenantId, as);
      removed = there;
      const installs = { ...d!.installs };
      delete installs[as];
      return { ...d!, revision: d!.revision + 1, installs };
    });
    const listingId = removed!.listingId;
    if (!Object.values(after?.installs ?? {}).some((i) => i.listingId === listingId)) {
      await this.#store.updateListing(listingId, (doc) => {
        if (!doc?.installedBy[actor.tenantId]) return null;
        const installedBy = { ...doc.installedBy };
        delete installedBy[actor.tenantId];
        return { ...doc, revision: doc.revision + 1, installedBy };
      });
    }
    return removed!;
  }

  /** A tenant's installs, by name. */
  async installs(tenantId: string): Promise<Install[]> {
    assertTenantId(tenantId);
    const doc = await this.#store.readInstalls(tenantId);
    return Object.values(doc?.installs ?? {}).sort((a, b) => (a.as < b.as ? -1 : 1));
  }

  /** The install of `tenantId` named `as`, or `undefined`. */
  async installOf(tenantId: string, as: string): Promise<Install | undefined> {
    assertTenantId(tenantId);
    assertNodeName(as);
    return own((await this.#store.readInstalls(tenantId))?.installs, as);
  }

  /**
   * Copies a listing version's source into the tenant's registry as a new draft (`as`, default the
   * listing's name; the same version number): from then on it is the tenant's own node.
   */
  async fork(actor: Actor, id: string, options: { version?: string; as?: string } = {}): Promise<PublishResult> {
    assertActor(actor);
    const listing = await this.#publicListing(id);
    const version = options.version ?? latestPublished(listing);
    if (version === null) throw new ConflictError('fork failed', `${id} has no published version`);
    const entry = listing.versions[version];
    if (!entry || entry.state === 'pending_review') throw new NotFoundError('version not found', `${id} has no published version ${version}`);
    const as = options.as ?? listing.name;
    assertNodeName(as);
    if (await this.installOf(actor.tenantId, as)) {
      throw new ConflictError('fork failed', `${as} is the name of an install in tenant ${actor.tenantId}`, { hint: 'fork under another name with `as`' });
    }
    const { manifest, files } = await this.#readSources(id, version);
    return this.#registry.publish(actor.tenantId, {
      name: as,
      version,
      files,
      entry: manifest.entry,
      description: `Forked from ${id}@${version}`,
      author: actor.userId,
    });
  }

  // ---- reviews ------------------------------------------------------------------------------

  /**
   * Rates a listing 1–5 with a text. One review per (listing, tenant, user): a second one updates
   * the first. Only a tenant that has the listing installed may review it; the review records the
   * version installed.
   */
  async review(actor: Actor, id: string, input: { rating: number; body: string }): Promise<Review> {
    assertActor(actor);
    parseListingId(id);
    const rating = input?.rating;
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
      throw new InvalidInputError('invalid review', `rating ${printable(rating)} is not an integer from 1 to 5`, { hint: 'rate from 1 (poor) to 5 (excellent)' });
    }
    const body = reviewText(input?.body);
    if (!(await this.#store.readListing(id))) throw listingNotFound(id);
    const installed = Object.values((await this.#store.readInstalls(actor.tenantId))?.installs ?? {}).filter((i) => i.listingId === id);
    if (installed.length === 0) {
      throw new ConflictError('review refused', `tenant ${actor.tenantId} has not installed ${id}`, { context: { tenant: actor.tenantId, listing: id }, hint: 'install the listing before reviewing it' });
    }
    const version = installed.map((i) => i.version).sort(semver.rcompare)[0]!;
    const reviewId = reviewIdOf(actor);
    const doc = await this.#store.updateListing(id, (current, now) => {
      if (!current) throw listingNotFound(id);
      const previous = current.reviews[reviewId];
      const review: Review = { id: reviewId, tenantId: actor.tenantId, userId: actor.userId, rating, body, version, createdAt: previous?.createdAt ?? now, updatedAt: now, ...(previous?.hidden ? { hidden: previous.hidden } : {}) };
      return { ...current, revision: current.revision + 1, reviews: { ...current.reviews, [reviewId]: review } };
    });
    return doc!.reviews[reviewId]!;
  }

  /** Platform admin: hides a review (it is neither shown nor counted). */
  async hideReview(id: string, reviewId: string, input: { by: string; reason: string }): Promise<Review> {
    parseListingId(id);
    const who = requiredText('by', input?.by, 200);
    const reason = requiredText('reason', input?.reason, 500);
    const doc = await this.#store.updateListing(id, (current, now) => {
      if (!current) throw listingNotFound(id);
      const r = own(current.reviews, reviewId);
      if (!r) throw new NotFoundError('review not found', `${id} has no review ${printable(reviewId)}`, { hint: 'use the review id the listing shows' });
      if (r.hidden) return null;
      return { ...current, revision: current.revision + 1, reviews: { ...current.reviews, [reviewId]: { ...r, hidden: { reason, by: who, at: now } } } };
    });
    return doc!.reviews[reviewId]!;
  }

  // ---- running installs ---------------------------------------------------------------------

  /** The catalogue manifest of an installed version (its metadata is what `registerNodes` needs). */
  async manifestOf(id: string, version: string): Promise<CatalogueManifest> {
    const found = await readJson<CatalogueManifest>(this.#storage, catalogueVersionKeys(id, version).manifest);
    if (!found) throw new NotFoundError('catalogue version not found', `${id}@${version} has no manifest in the catalogue`, { hint: 'the catalogue copy is missing; restore it from a backup' });
    return found.value;
  }

  /**
   * The bundle of `tenantId`'s install `as` at `version`, to run in the tenant's own sandbox:
   * re-checked against the sha256 the listing recorded; a changed bundle is refused. Any version
   * of the installed listing that was published (yanked ones too) loads, not only the pinned one:
   * a workflow that started before an upgrade keeps running the version it resolved.
   * @throws NotFoundError, IntegrityError.
   */
  async loadInstalledBundle(tenantId: string, as: string, version: string): Promise<RunnableBundle> {
    const install = await this.installOf(tenantId, as);
    if (!install) throw installNotFound(tenantId, as, version);
    const listing = await this.#store.readListing(install.listingId);
    const entry = listing?.versions[version];
    if (!entry || entry.state === 'pending_review') throw installNotFound(tenantId, as, version);
    const keys = catalogueVersionKeys(install.listingId, version);
    const [manifest, bundle, map] = await Promise.all([this.manifestOf(install.listingId, version), this.#storage.get(keys.bundle), this.#storage.get(keys.sourceMap)]);
    const context = { tenant: tenantId, listing: install.listingId, version };
    const actual = bundle ? sha256Hex(bundle.body) : 'absent';
    if (actual !== entry.sha256 || manifest.sha256 !== entry.sha256) {
      throw new IntegrityError('catalogue bundle integrity check failed', entry.sha256, actual, {
        context: { ...context, object: 'bundle.js' },
        hint: 'the catalogue copy was changed after it was listed; restore it from a backup or ask the publisher to list a new version',
      });
    }
    const mapActual = map ? sha256Hex(map.body) : 'absent';
    if (mapActual !== manifest.sourceMapSha256) {
      throw new IntegrityError('catalogue source map integrity check failed', manifest.sourceMapSha256, mapActual, { context: { ...context, object: 'bundle.js.map' } });
    }
    return { tenantId, node: as, version, sha256: entry.sha256, code: decoder.decode(bundle!.body), sourceMap: decoder.decode(map!.body) };
  }

  async #readSources(id: string, version: string): Promise<{ manifest: CatalogueManifest; files: Record<string, string> }> {
    const manifest = await this.manifestOf(id, version);
    const keys = catalogueVersionKeys(id, version);
    const texts = await mapBounded(manifest.files, 8, async (file) => {
      const found = await this.#storage.get(keys.source(file.path));
      const actual = found ? sha256Hex(found.body) : 'absent';
      if (actual !== file.sha256) throw new IntegrityError('catalogue source integrity check failed', file.sha256, actual, { context: { listing: id, version, file: file.path } });
      return decoder.decode(found!.body);
    });
    const files: Record<string, string> = {};
    manifest.files.forEach((f, i) => (files[f.path] = texts[i]!));
    return { manifest, files };
  }

  /** A listing every tenant may see (something in it was published). @throws NotFoundError */
  async #publicListing(id: string): Promise<ListingDocument> {
    parseListingId(id);
    const listing = await this.#store.readListing(id);
    if (!listing || !canSee(listing, undefined, {})) throw listingNotFound(id);
    return listing;
  }

  async #assertNameFree(tenantId: string, as: string, id: string): Promise<void> {
    const own = await this.#registry.list(tenantId);
    if (own.some((n) => n.name === as)) {
      throw new ConflictError('install failed', `tenant ${tenantId} has its own node ${as}`, {
        context: { tenant: tenantId, node: as, listing: id },
        hint: 'install under another name with `as` (e.g. "as": "' + as + 'Market")',
      });
    }
  }

  async #countInstaller(id: string, tenantId: string): Promise<void> {
    await this.#store.updateListing(id, (doc) => {
      if (!doc) throw listingNotFound(id);
      return doc.installedBy[tenantId] ? null : { ...doc, revision: doc.revision + 1, installedBy: { ...doc.installedBy, [tenantId]: true } };
    });
  }

  #now(): string {
    return new Date(this.#clock()).toISOString();
  }
}

/** `record[key]` when `key` is the record's own property (never `__proto__` or an inherited name). */
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** `<slug>.<Name>`. */
export function listingId(slug: string, name: string): string {
  return `${slug}.${name}`;
}

/** Splits and checks a listing id. @throws InvalidInputError */
export function parseListingId(id: unknown): { slug: string; name: string } {
  const dot = typeof id === 'string' ? id.indexOf('.') : -1;
  if (typeof id !== 'string' || dot < 0) {
    throw new InvalidInputError('invalid listing id', `${printable(id)} is not a listing id`, { hint: 'a listing id is `<publisher>.<NodeName>`, e.g. `acme-tools.SendSlackMessage`' });
  }
  const slug = id.slice(0, dot);
  const name = id.slice(dot + 1);
  assertPublisherSlug(slug);
  assertNodeName(name);
  return { slug, name };
}

function assertInstallable(listing: ListingDocument, version: string): void {
  assertVersion(version);
  const v = listing.versions[version];
  if (!v || v.state === 'pending_review') {
    throw new NotFoundError('version not found', `${listing.id} has no published version ${version}`, { hint: `published: ${publishedVersions(listing) || 'none'}` });
  }
  if (v.state === 'yanked') {
    throw new ConflictError('install failed', `${listing.id}@${version} was yanked (${v.yanked?.reason ?? 'no reason given'})`, { hint: `install a published version: ${publishedVersions(listing) || 'none'}` });
  }
}

function publishedVersions(listing: ListingDocument): string {
  return Object.values(listing.versions)
    .filter((v) => v.state === 'published')
    .map((v) => v.version)
    .sort(semver.rcompare)
    .join(', ');
}

function listingNotFound(id: string): NotFoundError {
  return new NotFoundError('listing not found', `there is no listing ${printable(id)}`, { hint: 'search the marketplace for the listing id' });
}

function installNotFound(tenantId: string, as: string, version?: string): NotFoundError {
  return new NotFoundError('install not found', `tenant ${tenantId} has no install ${as}${version ? `@${version}` : ''}`, { context: { tenant: tenantId, node: as }, hint: 'list the tenant’s installs' });
}

function publisherConflict(slug: string, displayName: string, c: PublisherConflict): ConflictError {
  const detail =
    c.taken === 'tenant' ? 'the tenant already has a publisher'
    : c.taken === 'slug' ? `the slug ${printable(slug)} is taken`
    : c.by !== undefined ? `${printable(slug)} / ${printable(displayName)} looks like the publisher ${printable(c.by)}`
    : `${printable(slug)} / ${printable(displayName)} looks like a publisher being registered right now`;
  return new ConflictError('publisher registration failed', detail, { hint: 'choose a slug and display name that do not look like another publisher’s (case, accents, look-alike letters and separators are ignored when comparing)' });
}

function assertActor(actor: Actor): void {
  assertTenantId(actor?.tenantId);
  requiredText('userId', actor?.userId, 200);
}

function requiredText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidInputError(`invalid ${field}`, `${field} ${printable(value)} is not a non-empty single-line string of at most ${max} characters`, { hint: `give ${field}` });
  }
  return value;
}

function checkCategory(category: unknown): string {
  if (typeof category !== 'string' || !CATEGORY_PATTERN.test(category)) {
    throw new InvalidInputError('invalid category', `${printable(category)} is not a category`, { hint: 'a category is 1-32 characters of a-z, 0-9 and "-", starting with a letter, e.g. "messaging"' });
  }
  return category;
}

function checkDescription(description: unknown): string {
  if (typeof description !== 'string' || description.trim().length === 0 || description.length > MAX_DESCRIPTION_LENGTH || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(description)) {
    throw new InvalidInputError('invalid description', `the description must be 1-${MAX_DESCRIPTION_LENGTH} characters of text`, { hint: 'describe what the node does in a sentence or two' });
  }
  return description.normalize('NFC');
}

function reviewText(body: unknown): string {
  if (typeof body !== 'string' || body.length > MAX_REVIEW_LENGTH || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(body)) {
    throw new InvalidInputError('invalid review', `the review text must be at most ${MAX_REVIEW_LENGTH} characters of text`, { hint: 'write a shorter review' });
  }
  return body.normalize('NFC');
}

/** A stable id for a (tenant, user) review, safe in URLs. */
export function reviewIdOf(actor: Actor): string {
  return sha256Hex(`${actor.tenantId}\n${actor.userId}`).slice(0, 24);
}
