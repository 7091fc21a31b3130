/**
 * The per-tenant lookup a host configures (`tenants`: a map, or a function), read the same way by
 * the sandbox pool and by `PluginHost.limitsFor`. A map is read by own keys only, so a tenant named
 * like an `Object.prototype` member finds nothing.
 *
 * @module
 */

/** Per-tenant settings: a map by tenant id, or a lookup. */
export type PerTenant<T> = Record<string, T> | ((tenantId: string) => T | undefined);

/** The settings of `tenantId`, or `undefined`. */
export function settingsOfTenant<T>(tenants: PerTenant<T> | undefined, tenantId: string): T | undefined {
  if (!tenants) return undefined;
  return typeof tenants === 'function' ? tenants(tenantId) : Object.hasOwn(tenants, tenantId) ? tenants[tenantId] : undefined;
}
