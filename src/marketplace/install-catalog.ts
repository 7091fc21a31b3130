/**
 * A tenant's nodes as `registerNodes` and the Temporal activities find them: its own (the
 * registry) and its marketplace installs, each pinned to its version. The tenant's own node wins a
 * name both have (an install is refused under a taken name; a node published later under an
 * install's name takes it over, and the install is reported).
 *
 * @module
 */
import semver from 'semver';
import type { ResolvedTenantNode, TenantNodeCatalog } from '../btree/register-nodes.js';
import { isBtreePluginsError, NotFoundError } from '../errors.js';
import { mapBounded } from '../registry/audit-log.js';
import { parseNodeSpec } from '../registry/ids.js';
import type { Marketplace } from './marketplace.js';
import type { Install } from './types.js';

/** `own` (the registry's catalog) with the tenant's installs from `marketplace` added. */
export function catalogWithInstalls(own: TenantNodeCatalog, marketplace: Marketplace): TenantNodeCatalog {
  const installed = async (install: Install): Promise<ResolvedTenantNode> => {
    const [manifest, listing] = await Promise.all([marketplace.manifestOf(install.listingId, install.version), marketplace.store.readListing(install.listingId)]);
    const yanked = listing?.versions[install.version]?.yanked;
    return {
      name: install.as,
      version: install.version,
      sha256: manifest.sha256,
      metadata: manifest.metadata,
      ...(yanked ? { warnings: [`${install.as}@${install.version} (from ${install.listingId}) was yanked: ${yanked.reason}; upgrade the install`] } : {}),
    };
  };
  const notOwn = (e: unknown): boolean => isBtreePluginsError(e, 'NotFoundError');
  return {
    async activeNodes(tenantId) {
      const [nodes, installs] = await Promise.all([own.activeNodes(tenantId), marketplace.installs(tenantId)]);
      const names = new Set(nodes.map((n) => n.name));
      const shadowed = installs.filter((i) => names.has(i.as));
      const extra = await mapBounded(
        installs.filter((i) => !names.has(i.as)),
        8,
        installed,
      );
      for (const i of shadowed) {
        const node = nodes.find((n) => n.name === i.as)!;
        node.warnings = [...(node.warnings ?? []), `the install ${i.as} of ${i.listingId} is hidden by the tenant's own node ${i.as}; uninstall it or install it under another name`];
      }
      return [...nodes, ...extra].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async resolve(tenantId, spec) {
      try {
        return await own.resolve(tenantId, spec);
      } catch (e) {
        if (!notOwn(e)) throw e;
        const parsed = parseNodeSpec(spec);
        const install = await marketplace.installOf(tenantId, parsed.name);
        if (!install) throw e;
        const fits = parsed.kind === 'active' || (parsed.kind === 'exact' ? parsed.version === install.version : semver.satisfies(install.version, parsed.range, { includePrerelease: true }));
        if (!fits) {
          throw new NotFoundError('node not found', `${parsed.name} is installed from ${install.listingId} pinned to ${install.version}, which does not match ${JSON.stringify(spec)}`, {
            context: { tenant: tenantId, node: parsed.name },
            hint: `name ${parsed.name} or ${parsed.name}@${install.version} in the tree, or upgrade the install`,
          });
        }
        return installed(install);
      }
    },

    async loadBundle(tenantId, name, version) {
      try {
        return await own.loadBundle(tenantId, name, version);
      } catch (e) {
        if (!notOwn(e) || !(await marketplace.installOf(tenantId, name))) throw e;
        return marketplace.loadInstalledBundle(tenantId, name, version);
      }
    },
  };
}
