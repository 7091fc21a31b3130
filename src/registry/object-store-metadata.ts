/**
 * The default {@link MetadataStore}: the registry's metadata as documents in a storage adapter,
 * next to the bytes — a create-only manifest per version, one index document per node changed by
 * compare-and-swap, one create-only object per audit event and per usage marker (layout.ts).
 *
 * @module
 */
import type { StorageAdapter } from '../storage-adapters/types.js';
import { mapBounded, readAuditLog, writeAuditEvent, type AuditQuery } from './audit-log.js';
import { encodeJson, readJson } from './documents.js';
import { readIndex, updateIndex, type CasOptions, type IndexChange } from './index-store.js';
import { indexPrefix, nameFromIndexKey, versionKeys } from './layout.js';
import type { IndexUpdate, MetadataStore, VersionUpload } from './metadata-store.js';
import type { AuditEvent, IndexDocument, NodeManifest, UsageRecord } from './types.js';
import { readUsages, writeUsage } from './usages.js';

/** Options of {@link ObjectStoreMetadata}. */
export interface ObjectStoreMetadataOptions {
  /** Retry policy of index compare-and-swap. */
  cas?: CasOptions;
}

/** The registry's metadata as documents in `storage` (the default store of `TenantRegistry`). */
export class ObjectStoreMetadata implements MetadataStore {
  readonly #storage: StorageAdapter;
  readonly #cas: CasOptions;

  constructor(storage: StorageAdapter, options: ObjectStoreMetadataOptions = {}) {
    this.#storage = storage;
    this.#cas = options.cas ?? {};
  }

  get name(): string {
    return `object-store(${this.#storage.name})`;
  }

  /** The upload is not kept here: the registry writes it next to the manifest. */
  async claimVersion(manifest: NodeManifest, _upload: VersionUpload): Promise<NodeManifest | undefined> {
    const { tenantId, name, version } = manifest;
    try {
      await this.#storage.put(versionKeys(tenantId, name, version).manifest, encodeJson(manifest), { ifNoneMatch: '*' });
      return undefined;
    } catch (e) {
      // A concurrent publisher of the same version got there first: hand its manifest back.
      const raced = await this.readManifest(tenantId, name, version);
      if (!raced) throw e;
      return raced;
    }
  }

  async readManifest(tenant: string, name: string, version: string): Promise<NodeManifest | undefined> {
    return (await readJson<NodeManifest>(this.#storage, versionKeys(tenant, name, version).manifest))?.value;
  }

  async readIndex(tenant: string, name: string): Promise<IndexDocument | undefined> {
    return (await readIndex(this.#storage, tenant, name))?.doc;
  }

  updateIndex(tenant: string, name: string, change: IndexChange, clock: () => number): Promise<IndexUpdate> {
    return updateIndex(this.#storage, tenant, name, change, clock, this.#cas);
  }

  async listNames(tenant: string): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of this.#storage.list(indexPrefix(tenant))) {
      const name = nameFromIndexKey(tenant, entry.key);
      if (name !== undefined) names.push(name);
    }
    return names.sort();
  }

  /** Events a crash left only in an index document (after its CAS, before its event write) are written first. */
  async readAudit(tenant: string, query: AuditQuery): Promise<AuditEvent[]> {
    const events = await readAuditLog(this.#storage, tenant, query);
    const ids = new Set(events.map((e) => e.id));
    const names = query.node !== undefined ? [query.node] : await this.listNames(tenant);
    const docs = await mapBounded(names, 16, (name) => this.readIndex(tenant, name));
    let repaired = false;
    for (const doc of docs) {
      const last = doc?.lastEvent;
      if (!last || ids.has(last.id)) continue;
      // Outside this page (`after`, `since`, `limit`) the event is usually there already.
      if (await writeAuditEvent(this.#storage, last)) repaired = true;
    }
    return repaired ? readAuditLog(this.#storage, tenant, query) : events;
  }

  recordUsage(tenant: string, workflowId: string, name: string, version: string, atIso: string): Promise<void> {
    return writeUsage(this.#storage, tenant, workflowId, name, version, atIso);
  }

  readUsages(tenant: string, name: string, version?: string): Promise<UsageRecord[]> {
    return readUsages(this.#storage, tenant, name, version);
  }
}
