/**
 * The per-node index document and its compare-and-swap update loop.
 *
 * A change is a pure function of the current document. The loop reads the document and its
 * etag, applies the change, and writes with `ifMatch` (or `ifNoneMatch: '*'` for the first
 * write). If another writer got there first the write fails, and the loop reads again and
 * re-applies the change after a short jittered pause. So concurrent changes from any number of
 * processes are serialised by the store: none is lost and the document is never torn.
 *
 * @module
 */
import { ConflictError, StorageError } from '../errors.js';
import type { StorageAdapter } from '../storage-adapters/types.js';
import { writeAuditEvent } from './audit-log.js';
import { encodeJson, isPreconditionFailed, readJson } from './documents.js';
import { auditEventId, indexKey } from './layout.js';
import type { AuditEvent, IndexDocument } from './types.js';

/** Retry policy of the CAS loop. */
export interface CasOptions {
  /** Attempts in total (default 100). */
  attempts?: number;
  /** Upper bound of the first pause in ms (default 2); doubles per attempt. */
  baseDelayMs?: number;
  /** Upper bound of any pause in ms (default 100). */
  maxDelayMs?: number;
}

/** An audit event before the loop fills in id, revision and tenant. */
export type EventDraft = Omit<AuditEvent, 'id' | 'revision' | 'tenantId' | 'node' | 'at'>;

/** What a change returns: the new document and its event, or `null` for "nothing to do". */
export type IndexChange = (current: IndexDocument | undefined, nowIso: string) => { doc: IndexDocument; event: EventDraft } | null;

/** Reads a node's index document and checks it belongs to `tenant`/`name`. */
export async function readIndex(storage: StorageAdapter, tenant: string, name: string): Promise<{ doc: IndexDocument; etag: string } | undefined> {
  const key = indexKey(tenant, name);
  const found = await readJson<IndexDocument>(storage, key);
  if (!found) return undefined;
  const d = found.value;
  if (!d || d.schema !== 1 || d.tenantId !== tenant || d.name !== name || typeof d.versions !== 'object' || !Array.isArray(d.history)) {
    throw new StorageError(storage.name, 'read', 'the index document does not belong here or has an unknown shape', {
      key,
      hint: 'restore the index document from a backup; the version folders next to it are intact',
    });
  }
  return { doc: d, etag: found.etag };
}

/**
 * Applies `change` to the node's index by compare-and-swap, then writes the audit event.
 * @returns the document as written (or as found, when the change was a no-op) and the event.
 * @throws ConflictError when the attempts are used up (extreme contention).
 */
export async function updateIndex(
  storage: StorageAdapter,
  tenant: string,
  name: string,
  change: IndexChange,
  clock: () => number,
  options: CasOptions = {},
): Promise<{ doc: IndexDocument | undefined; event: AuditEvent | undefined }> {
  const attempts = options.attempts ?? 100;
  const base = options.baseDelayMs ?? 2;
  const max = options.maxDelayMs ?? 100;
  const key = indexKey(tenant, name);
  let repaired = 0;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await readIndex(storage, tenant, name);
    // Roll forward: the previous change's event may have been lost by a crash after its CAS.
    if (current?.doc.lastEvent && current.doc.revision !== repaired) {
      await writeAuditEvent(storage, current.doc.lastEvent);
      repaired = current.doc.revision;
    }
    const now = clock();
    const result = change(current?.doc, new Date(now).toISOString());
    if (!result) return { doc: current?.doc, event: undefined };
    const revision = (current?.doc.revision ?? 0) + 1;
    const event: AuditEvent = {
      id: auditEventId(now, name, revision),
      tenantId: tenant,
      node: name,
      at: new Date(now).toISOString(),
      revision,
      ...result.event,
    };
    const doc: IndexDocument = { ...result.doc, revision, lastEvent: event };
    try {
      await storage.put(key, encodeJson(doc), current ? { ifMatch: current.etag } : { ifNoneMatch: '*' });
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      lastError = e;
      // Full jitter: contenders spread out instead of colliding again in lockstep.
      const cap = Math.min(max, base * 2 ** Math.min(attempt - 1, 16));
      await new Promise((r) => setTimeout(r, Math.random() * cap));
      continue;
    }
    try {
      await writeAuditEvent(storage, event);
    } catch {
      // The change is committed; the event stays in `lastEvent` and the next change or audit read writes it.
    }
    return { doc, event };
  }
  throw new ConflictError('index update failed', `gave up after ${attempts} attempts: other writers kept changing the index`, {
    context: { tenant, node: name },
    hint: 'retry the operation; if it keeps happening, lower the rate of changes to this node',
    cause: lastError,
  });
}
