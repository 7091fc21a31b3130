/**
 * Usage markers: which workflows ran which node versions. One create-only object per
 * (node, version, workflow), so recording is idempotent and concurrent recorders never collide.
 *
 * @module
 */
import type { StorageAdapter } from '../storage-adapters/types.js';
import { mapBounded } from './audit-log.js';
import { decodeJson, encodeJson, isPreconditionFailed } from './documents.js';
import { usageKey, usagePrefix, workflowIdFromSegment } from './layout.js';
import type { UsageRecord } from './types.js';

/** Writes one marker; an existing marker means it was already recorded. */
export async function writeUsage(storage: StorageAdapter, tenant: string, workflowId: string, name: string, version: string, atIso: string): Promise<void> {
  try {
    await storage.put(usageKey(tenant, name, version, workflowId), encodeJson({ workflowId, name, version, recordedAt: atIso }), { ifNoneMatch: '*' });
  } catch (e) {
    if (!isPreconditionFailed(e)) throw e;
  }
}

/** Lists the markers of a node (or one version), sorted by version then workflow id. */
export async function readUsages(storage: StorageAdapter, tenant: string, name: string, version?: string): Promise<UsageRecord[]> {
  const prefix = usagePrefix(tenant, name, version);
  const found: Array<{ key: string; version: string; segment: string }> = [];
  for await (const entry of storage.list(prefix)) {
    const rest = entry.key.slice(usagePrefix(tenant, name).length).split('/');
    if (rest.length !== 2) continue;
    found.push({ key: entry.key, version: rest[0]!, segment: rest[1]! });
  }
  const records = await mapBounded(found, 16, async (f): Promise<UsageRecord | undefined> => {
    const direct = workflowIdFromSegment(f.segment);
    if (direct !== undefined) return { workflowId: direct, name, version: f.version };
    // Long workflow ids are stored under their hash; the id is in the body.
    const obj = await storage.get(f.key);
    if (!obj) return undefined;
    const body = decodeJson<{ workflowId: string }>(storage, f.key, obj.body);
    return { workflowId: body.workflowId, name, version: f.version };
  });
  return records
    .filter((r): r is UsageRecord => r !== undefined)
    .sort((a, b) => compare(a.version, b.version) || compare(a.workflowId, b.workflowId));
}

/** Code-unit order: the same on every machine, unlike locale order. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
