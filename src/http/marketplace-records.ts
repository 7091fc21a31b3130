/**
 * The API's view of marketplace values. Listings, versions and publishers are read by every
 * tenant of the platform, so these records carry no tenant id, and user ids only where the reader
 * is a platform admin or the same tenant. A catalogue version names the publisher's version it was
 * copied from as the upload API does (`source: "Name@version"`); a listing names its publisher by
 * slug (`publisher.slug`, also the part of the listing id before the dot).
 *
 * @module
 */
import type { Viewer } from '../marketplace/listing-view.js';
import type { CatalogueVersionEntry, Install, ListingDetails, Publisher, Review } from '../marketplace/types.js';
import { versionId } from './records.js';

/** A publisher as everyone sees it. */
export function publisherRecord(p: Publisher) {
  return { slug: p.slug, displayName: p.displayName, supportLevel: p.supportLevel, createdAt: p.createdAt };
}

function versionRecord(v: CatalogueVersionEntry) {
  return {
    version: v.version,
    state: v.state,
    source: versionId(v.listedFrom.name, v.listedFrom.version),
    sha256: v.sha256,
    sourceSha256: v.sourceSha256,
    listedAt: v.listedAt,
    ...(v.publishedAt !== undefined ? { publishedAt: v.publishedAt } : {}),
    ...(v.yanked ? { yanked: { reason: v.yanked.reason, at: v.yanked.at } } : {}),
  };
}

/** A review; who wrote it (and whether it is hidden) only for admins and the reviewer's tenant. */
export function reviewRecord(r: Review, viewer: Viewer) {
  const record = { id: r.id, rating: r.rating, body: r.body, version: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt };
  if (!viewer.admin && r.tenantId !== viewer.tenantId) return record;
  return { ...record, tenantId: r.tenantId, userId: r.userId, ...(r.hidden ? { hidden: r.hidden } : {}) };
}

/** A listing with its versions and reviews, as `viewer` may see it (hidden reviews only for admins). */
export function listingRecord(d: ListingDetails, viewer: Viewer) {
  const { versions, reviews, ...summary } = d;
  return {
    ...summary,
    versions: versions.map(versionRecord),
    reviews: reviews.filter((r) => viewer.admin || !r.hidden).map((r) => reviewRecord(r, viewer)),
  };
}

/** An install of the caller's own tenant. */
export function installRecord(i: Install) {
  return {
    as: i.as,
    listingId: i.listingId,
    version: i.version,
    installedAt: i.installedAt,
    installedBy: i.installedBy,
    ...(i.upgradedAt !== undefined ? { upgradedAt: i.upgradedAt } : {}),
  };
}
