/**
 * Where `deploy`, the life-cycle commands and the marketplace commands act: the upload API
 * (`--api <url>`) or a store the CLI opens itself (`--store fs:<dir>|s3://bucket/prefix|gs://bucket/prefix`).
 * One interface, so every command works the same against both.
 *
 * @module
 */
import type { BlockOn } from '../../loader/scan.js';
import type { CompileLimits } from '../../loader/virtual-files.js';
import type { CatalogueVersionState, Install, ListingSummary, SearchQuery } from '../../marketplace/types.js';
import type { SandboxLimits } from '../../sandbox/limits.js';
import { CliError, EXIT } from '../output.js';

/** The tenant as the target sees it, with the limits its nodes are held to. */
export interface TargetTenant {
  tenantId: string;
  /** Who acts (the token's user, or the store user). */
  userId: string;
  requireApproval: boolean;
  compile: { limits: Required<CompileLimits>; blockOn: BlockOn };
  sandbox: SandboxLimits;
  /** Where the limits came from, for the cost report. */
  limitsFrom: string;
}

/** One version, as the commands print it. */
export interface VersionRecord {
  /** `Name@version`. */
  id: string;
  name: string;
  version: string;
  status: string;
  active: boolean;
  sha256: string;
  createdBy: string | null;
  createdAt: string;
}

/** One node and its versions. */
export interface NodeListing {
  name: string;
  active: string | null;
  latest: string;
  versions: Array<{ version: string; status: string }>;
}

/** What one upload carries. */
export interface UploadInput {
  name: string;
  version: string;
  description?: string;
  files: Record<string, string>;
  entry: string;
}

/** One page of marketplace search results (the API's `GET /marketplace/listings` answer). */
export interface ListingPage {
  listings: ListingSummary[];
  nextCursor: string | null;
}

/** One catalogue version, as `marketplace publish` prints it (the API's `MarketplaceVersion`). */
export interface CatalogueVersionRecord {
  version: string;
  state: CatalogueVersionState;
  /** The tenant's version it was copied from: `Name@version`. */
  source: string;
  sha256: string;
  listedAt: string;
  publishedAt?: string;
}

/** What listing a version in the marketplace answers: the listing and the version listed. */
export interface ListedVersion {
  listing: ListingSummary;
  version: CatalogueVersionRecord;
}

/** What `marketplace publish` sends: the tenant's approved version, and a new listing's category and description. */
export interface ListVersionRequest {
  source: string;
  category?: string;
  description?: string;
}

/** An install of the tenant's (the API's `MarketplaceInstall`). */
export type InstallRecord = Pick<Install, 'as' | 'listingId' | 'version' | 'installedAt' | 'installedBy' | 'upgradedAt'>;

/** A place nodes are deployed to. */
export interface Target {
  /** How the target is named in messages: the API's URL or the store's location. */
  readonly label: string;
  /** The tenant and its limits. */
  tenant(): Promise<TargetTenant>;
  /** Uploads a version; `created: false` when the same content was already there. */
  upload(input: UploadInput): Promise<{ created: boolean; record: VersionRecord }>;
  list(): Promise<NodeListing[]>;
  approve(name: string, version: string, note?: string): Promise<VersionRecord>;
  activate(name: string, version: string): Promise<VersionRecord>;
  deprecate(name: string, version: string, message: string): Promise<VersionRecord>;
  /** Returns to the previously active version; answers the version now active. */
  rollback(name: string): Promise<VersionRecord>;
  /** Marketplace: listings the tenant may see, matching `query`, one page. */
  searchListings(query: SearchQuery): Promise<ListingPage>;
  /** Marketplace: lists one of the tenant's approved versions under its publisher (pending a platform admin's review). */
  listVersion(request: ListVersionRequest): Promise<ListedVersion>;
  /** Marketplace: installs a listing's version into the tenant, pinned. */
  install(listingId: string, options: { version?: string; as?: string }): Promise<InstallRecord>;
  close(): Promise<void>;
}

/** The fields of a listing that search shows, in the API's order (drops a listing's versions and reviews). */
export function listingSummary(l: ListingSummary): ListingSummary {
  return {
    id: l.id,
    name: l.name,
    category: l.category,
    description: l.description,
    publisher: { slug: l.publisher.slug, displayName: l.publisher.displayName, supportLevel: l.publisher.supportLevel },
    latestVersion: l.latestVersion,
    ratingAverage: l.ratingAverage,
    ratingCount: l.ratingCount,
    installCount: l.installCount,
    updatedAt: l.updatedAt,
  };
}

/** The listing and its version `version`, from a listing with its versions (each naming its source). */
export function listedVersionOf(listing: ListingSummary & { versions: readonly CatalogueVersionRecord[] }, version: string): ListedVersion {
  const v = listing.versions.find((x) => x.version === version);
  if (!v) throw new CliError(`the marketplace answered ${listing.id} without its version ${version}`, EXIT.remote, 'is --api the base URL of the custom-nodes API?');
  const record: CatalogueVersionRecord = { version: v.version, state: v.state, source: v.source, sha256: v.sha256, listedAt: v.listedAt, ...(v.publishedAt !== undefined ? { publishedAt: v.publishedAt } : {}) };
  return { listing: listingSummary(listing), version: record };
}
