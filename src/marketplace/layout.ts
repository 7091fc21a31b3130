/**
 * Storage layout of the marketplace, next to the registry's `tenants/` (registry/layout.ts). Every
 * segment comes from a validated id (a slug, a node name, a version, a tenant id or a sha256).
 *
 * ```
 * marketplace/publishers/<slug>.json                                publisher (CAS)
 * marketplace/publisher-claims/tenant-<tenant>.json                 one publisher per tenant (create-only)
 * marketplace/publisher-claims/name-<sha256 of a name skeleton>.json look-alike names (create-only)
 * marketplace/listings/<slug>.<Name>/listing.json                   listing: versions, installers, reviews (CAS)
 * marketplace/listings/<slug>.<Name>/<version>/manifest.json        catalogue version (immutable)
 * marketplace/listings/<slug>.<Name>/<version>/bundle.js            immutable
 * marketplace/listings/<slug>.<Name>/<version>/bundle.js.map        immutable
 * marketplace/listings/<slug>.<Name>/<version>/source/<path>        immutable
 * marketplace/installs/<tenant>.json                                a tenant's installs (CAS)
 * ```
 *
 * @module
 */
import { sha256Hex } from '../loader/hash.js';

export const MARKETPLACE_PREFIX = 'marketplace/';
export const LISTINGS_PREFIX = `${MARKETPLACE_PREFIX}listings/`;

export const publisherKey = (slug: string): string => `${MARKETPLACE_PREFIX}publishers/${slug}.json`;
export const PUBLISHERS_PREFIX = `${MARKETPLACE_PREFIX}publishers/`;
export const tenantClaimKey = (tenantId: string): string => `${MARKETPLACE_PREFIX}publisher-claims/tenant-${tenantId}.json`;
export const nameClaimKey = (skeleton: string): string => `${MARKETPLACE_PREFIX}publisher-claims/name-${sha256Hex(skeleton)}.json`;
export const listingKey = (id: string): string => `${LISTINGS_PREFIX}${id}/listing.json`;
export const installsKey = (tenantId: string): string => `${MARKETPLACE_PREFIX}installs/${tenantId}.json`;

/** Keys of one catalogue version's immutable objects. */
export function catalogueVersionKeys(id: string, version: string) {
  const p = `${LISTINGS_PREFIX}${id}/${version}/`;
  return {
    manifest: `${p}manifest.json`,
    bundle: `${p}bundle.js`,
    sourceMap: `${p}bundle.js.map`,
    source: (path: string) => `${p}source/${path}`,
  };
}

/** The listing id of a key under {@link LISTINGS_PREFIX} that names a listing document. */
export function listingIdOfKey(key: string): string | undefined {
  if (!key.startsWith(LISTINGS_PREFIX) || !key.endsWith('/listing.json')) return undefined;
  const id = key.slice(LISTINGS_PREFIX.length, -'/listing.json'.length);
  return id.includes('/') ? undefined : id;
}
