/**
 * Public shapes of the marketplace: the documents its store keeps and the values it returns.
 * See docs/marketplace.md.
 *
 * @module
 */
import type { NodeManifest } from '../registry/types.js';

/** How far the platform vouches for a publisher; set by a platform admin. */
export type SupportLevel = 'community' | 'verified' | 'certified';

/** The support levels, lowest first. */
export const SUPPORT_LEVELS: readonly SupportLevel[] = Object.freeze(['community', 'verified', 'certified']);

/** A publisher: the public identity under which one tenant lists nodes. */
export interface Publisher {
  /** Unique, URL-safe: `acme-tools`. */
  slug: string;
  /** Shown to users: `Acme Tools`. Unique after normalisation, like the slug. */
  displayName: string;
  /** The tenant that registered it (the only tenant that can list under it). */
  tenantId: string;
  supportLevel: SupportLevel;
  createdAt: string;
  createdBy: string;
  /** The look-alike keys it claimed (publisher-names.ts), kept because the Unicode data they come from may change. */
  nameKeys: string[];
  /** Who set the support level last, and when. */
  supportLevelSetBy?: { by: string; at: string };
}

/**
 * State of a catalogue version: listed by its publisher (`pending_review`), then made visible by
 * a platform admin (`published`), and perhaps withdrawn (`yanked`: it stays runnable for the
 * installs pinned to it, but can no longer be installed).
 */
export type CatalogueVersionState = 'pending_review' | 'published' | 'yanked';

/** One version of a listing, as the listing document records it. */
export interface CatalogueVersionEntry {
  version: string;
  state: CatalogueVersionState;
  /** sha256 of the catalogue's copy of `bundle.js`; every load of an install re-checks it. */
  sha256: string;
  /** Identity of the source files (the registry manifest's `sourceSha256`). */
  sourceSha256: string;
  /** The version of the publisher's tenant it was copied from. */
  listedFrom: { tenantId: string; name: string; version: string };
  listedAt: string;
  listedBy: string;
  publishedAt?: string;
  publishedBy?: string;
  yanked?: { reason: string; by: string; at: string };
}

/** A review of a listing by one user of one tenant (that has installed it). */
export interface Review {
  /** Stable id of the (tenant, user) pair, for the admin's `hide`. */
  id: string;
  tenantId: string;
  userId: string;
  /** 1–5. */
  rating: number;
  body: string;
  /** The version the reviewer's tenant had installed when the review was written or last updated. */
  version: string;
  createdAt: string;
  updatedAt: string;
  /** Set by a platform admin: a hidden review is not shown and not counted. */
  hidden?: { reason: string; by: string; at: string };
}

/**
 * The mutable document of one listing. Every change is a compare-and-swap of the whole document
 * (object stores) or a row-locked transaction (PostgreSQL), so that concurrent listings, installs
 * and reviews never lose one another.
 */
export interface ListingDocument {
  schema: 1;
  /** `<publisher slug>.<NodeName>`, e.g. `acme-tools.SendSlackMessage`. */
  id: string;
  publisher: string;
  /** The node's name in the catalogue (installs use it unless they pick another). */
  name: string;
  /** One lowercase word or slug chosen by the publisher: `messaging`, `data`, … */
  category: string;
  description: string;
  createdAt: string;
  updatedAt: string;
  /** Incremented on every change. */
  revision: number;
  versions: Record<string, CatalogueVersionEntry>;
  /** Tenants with at least one install of the listing (the install count is their number). */
  installedBy: Record<string, true>;
  /** Reviews by `<tenant>/<user>` id. */
  reviews: Record<string, Review>;
}

/**
 * The immutable record of one catalogue version (`…/<version>/manifest.json`): the identity, files
 * and metadata (category, ports, props JSON Schema) of the registry manifest it was copied from.
 */
export interface CatalogueManifest extends Pick<NodeManifest, 'name' | 'version' | 'sha256' | 'sourceMapSha256' | 'sourceSha256' | 'entry' | 'files' | 'metadata' | 'imports'> {
  schema: 1;
  listingId: string;
  publisher: string;
  listedFrom: { tenantId: string; name: string; version: string };
  listedAt: string;
  listedBy: string;
}

/** One install: a listing's version, pinned, under a node name of the installing tenant. */
export interface Install {
  /** The node name in the tenant's trees (the listing's name unless the tenant chose another). */
  as: string;
  listingId: string;
  /** The pinned catalogue version; changed only by an explicit upgrade. */
  version: string;
  installedAt: string;
  installedBy: string;
  upgradedAt?: string;
}

/** A tenant's installs (one document per tenant). */
export interface TenantInstallsDocument {
  schema: 1;
  tenantId: string;
  revision: number;
  installs: Record<string, Install>;
}

/** A listing as browse and search show it. */
export interface ListingSummary {
  id: string;
  name: string;
  category: string;
  description: string;
  publisher: { slug: string; displayName: string; supportLevel: SupportLevel };
  /** Highest published (not yanked) version, or `null` when none is installable. */
  latestVersion: string | null;
  /** Bayesian average of the visible ratings (see docs/marketplace.md), `null` with no rating. */
  ratingAverage: number | null;
  /** Visible (not hidden) ratings. */
  ratingCount: number;
  /** Distinct tenants that have it installed. */
  installCount: number;
  updatedAt: string;
}

/** A listing with its versions and visible reviews. */
export interface ListingDetails extends ListingSummary {
  createdAt: string;
  versions: CatalogueVersionEntry[];
  reviews: Review[];
}

/** Sort orders of {@link SearchQuery}. */
export type ListingSort = 'rating' | 'installs' | 'recent';

/** What browse and search take. */
export interface SearchQuery {
  /** Words that must all appear in the name, description, category or publisher (case-insensitive). */
  q?: string;
  category?: string;
  supportLevel?: SupportLevel;
  /** Default `recent` (last change first). */
  sort?: ListingSort;
  /** Default 20, at most 100. */
  limit?: number;
  /** From the previous page's `nextCursor`. */
  cursor?: string;
}

/** One page of search results. */
export interface SearchPage {
  listings: ListingSummary[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Who does something in the marketplace. */
export interface Actor {
  tenantId: string;
  userId: string;
}
