/**
 * Storage layout of the registry. Every key starts with `tenants/<tenant>/`, and every segment
 * comes from a validated id (see ids.ts), so one tenant's keys can never name another's.
 *
 * ```
 * tenants/<tenant>/index/<Name>.json                              per-node index (CAS)
 * tenants/<tenant>/nodes/<Name>/<version>/manifest.json           immutable (create-only)
 * tenants/<tenant>/nodes/<Name>/<version>/bundle.js               immutable
 * tenants/<tenant>/nodes/<Name>/<version>/bundle.js.map           immutable
 * tenants/<tenant>/nodes/<Name>/<version>/source/<path>           immutable, one per uploaded file
 * tenants/<tenant>/audit/<ms:15>-<Name>-<revision:10>.json        one create-only object per event
 * tenants/<tenant>/usages/<Name>/<version>/<w-base64url|h-sha256>  create-only marker per workflow
 * ```
 *
 * @module
 */
import { sha256Hex } from '../loader/hash.js';

/** `tenants/<tenant>/`. */
export function tenantPrefix(tenant: string): string {
  return `tenants/${tenant}/`;
}

/** Folder of the tenant's index documents. */
export function indexPrefix(tenant: string): string {
  return `${tenantPrefix(tenant)}index/`;
}

/** The node's index document. */
export function indexKey(tenant: string, name: string): string {
  return `${indexPrefix(tenant)}${name}.json`;
}

/** Node name of an index key listed under {@link indexPrefix}, or `undefined` for anything else. */
export function nameFromIndexKey(tenant: string, key: string): string | undefined {
  const prefix = indexPrefix(tenant);
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return undefined;
  const name = key.slice(prefix.length, -'.json'.length);
  return name.includes('/') ? undefined : name;
}

/** Folder of one version's immutable objects. */
export function versionPrefix(tenant: string, name: string, version: string): string {
  return `${tenantPrefix(tenant)}nodes/${name}/${version}/`;
}

/** Keys of one version's immutable objects. */
export function versionKeys(tenant: string, name: string, version: string) {
  const p = versionPrefix(tenant, name, version);
  return {
    manifest: `${p}manifest.json`,
    bundle: `${p}bundle.js`,
    sourceMap: `${p}bundle.js.map`,
    source: (path: string) => `${p}source/${path}`,
  };
}

/** Folder of the tenant's audit events. */
export function auditPrefix(tenant: string): string {
  return `${tenantPrefix(tenant)}audit/`;
}

/** Unique, time-sortable event id: `<ms since epoch, 15 digits>-<Name>-<revision, 10 digits>`. */
export function auditEventId(atMs: number, name: string, revision: number): string {
  return `${String(Math.max(0, Math.floor(atMs))).padStart(15, '0')}-${name}-${String(revision).padStart(10, '0')}`;
}

/** The grammar of {@link auditEventId}'s output. */
const AUDIT_EVENT_ID = /^(\d{15})-([A-Z][A-Za-z0-9]{0,63})-(\d{10})$/;

/** The node name of an audit event id, or `undefined` when `id` is not one {@link auditEventId} makes. */
export function auditEventNode(id: string): string | undefined {
  return AUDIT_EVENT_ID.exec(id)?.[2];
}

/** Key of one audit event. */
export function auditKey(tenant: string, eventId: string): string {
  return `${auditPrefix(tenant)}${eventId}.json`;
}

/** Milliseconds encoded at the start of an audit key, or `undefined`. */
export function auditKeyTime(tenant: string, key: string): number | undefined {
  const m = /^(\d{15})-/.exec(key.slice(auditPrefix(tenant).length));
  return m ? Number(m[1]) : undefined;
}

/** Node name encoded in an audit key (`<ms>-<Name>-<revision>.json`), or `undefined`. */
export function auditKeyNode(tenant: string, key: string): string | undefined {
  const prefix = auditPrefix(tenant);
  return key.startsWith(prefix) && key.endsWith('.json') ? auditEventNode(key.slice(prefix.length, -'.json'.length)) : undefined;
}

/** Folder of usage markers of a node (or of one version). */
export function usagePrefix(tenant: string, name: string, version?: string): string {
  return `${tenantPrefix(tenant)}usages/${name}/${version === undefined ? '' : `${version}/`}`;
}

const MAX_ENCODED_SEGMENT = 180;

/** Key segment for a workflow id: its base64url when short enough, else its sha256. */
export function workflowSegment(workflowId: string): string {
  const b64 = `w-${Buffer.from(workflowId, 'utf8').toString('base64url')}`;
  return b64.length <= MAX_ENCODED_SEGMENT ? b64 : `h-${sha256Hex(workflowId)}`;
}

/** The workflow id encoded in a segment, or `undefined` when it is a hash (read the body). */
export function workflowIdFromSegment(segment: string): string | undefined {
  return segment.startsWith('w-') ? Buffer.from(segment.slice(2), 'base64url').toString('utf8') : undefined;
}

/** Key of one usage marker. */
export function usageKey(tenant: string, name: string, version: string, workflowId: string): string {
  return `${usagePrefix(tenant, name, version)}${workflowSegment(workflowId)}`;
}
