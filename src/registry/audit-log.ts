/**
 * The audit log: one create-only object per event, keyed by a unique time-sortable id, so
 * concurrent writers never overwrite each other's events. The index document also carries its
 * last event, and the next change of the node (or an `audit` read) writes it if a crash lost it.
 *
 * Order across processes follows their clocks: events of one node are totally ordered by
 * `revision`; events of different nodes are ordered by time, as precisely as the clocks agree.
 *
 * @module
 */
import type { StorageAdapter } from '../storage-adapters/types.js';
import { decodeJson, encodeJson, isPreconditionFailed } from './documents.js';
import { auditKey, auditKeyNode, auditKeyTime, auditPrefix } from './layout.js';
import type { AuditEvent } from './types.js';
import { InvalidInputError } from '../errors.js';

/**
 * Writes an event create-only; an existing event with the same id is the same event.
 * @returns true when this call wrote it, false when it was already there.
 */
export async function writeAuditEvent(storage: StorageAdapter, event: AuditEvent): Promise<boolean> {
  try {
    await storage.put(auditKey(event.tenantId, event.id), encodeJson(event), { ifNoneMatch: '*' });
    return true;
  } catch (e) {
    if (!isPreconditionFailed(e)) throw e;
    return false;
  }
}

/** Options of {@link readAuditLog}. */
export interface AuditQuery {
  /** Only events at or after this time. */
  since?: Date | string | number;
  /** Only events after this event id (the last id of the previous page). */
  after?: string;
  /** Only events of this node. */
  node?: string;
  /** Most events returned, oldest first (default 10,000). */
  limit?: number;
}

/** Parses `since` to ms; invalid input is a TypeError with the accepted forms. */
export function sinceMs(since: AuditQuery['since']): number {
  if (since === undefined) return 0;
  const ms = since instanceof Date ? since.getTime() : typeof since === 'number' ? since : Date.parse(since);
  if (!Number.isFinite(ms)) throw new InvalidInputError('audit query rejected', `since: ${String(since)} is not a date`, { hint: 'pass a Date, an ISO string or milliseconds since the epoch' });
  return ms;
}

/** Reads the tenant's events at or after `since`, oldest first (by id). */
export async function readAuditLog(storage: StorageAdapter, tenant: string, query: AuditQuery = {}): Promise<AuditEvent[]> {
  const from = sinceMs(query.since);
  const limit = query.limit ?? 10_000;
  const after = query.after === undefined ? undefined : auditKey(tenant, query.after);
  const keys: string[] = [];
  for await (const entry of storage.list(auditPrefix(tenant))) {
    const t = auditKeyTime(tenant, entry.key);
    if (t === undefined || t < from || (after !== undefined && entry.key <= after)) continue;
    if (query.node !== undefined && auditKeyNode(tenant, entry.key) !== query.node) continue;
    keys.push(entry.key);
  }
  keys.sort();
  const chosen = keys.slice(0, limit);
  const events = await mapBounded(chosen, 16, async (key) => {
    const found = await storage.get(key);
    return found ? decodeJson<AuditEvent>(storage, key, found.body) : undefined;
  });
  return events.filter((e): e is AuditEvent => e !== undefined && e.tenantId === tenant);
}

/** `Promise.all(items.map(fn))` with at most `width` calls in flight. */
export async function mapBounded<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}
