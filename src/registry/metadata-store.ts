/**
 * The `MetadataStore` contract: where the registry keeps what it knows about versions — their
 * manifests, each node's index (review states, deprecations, the active pointer and its history),
 * audit events and usage markers. The bytes (sources, bundles, source maps) always live in the
 * storage adapter. The registry's rules (grammar, life cycle, idempotency, integrity checks) stay
 * in `TenantRegistry`; a store only keeps and changes documents atomically.
 *
 * The default, {@link ObjectStoreMetadata}, keeps everything as documents in the same storage
 * adapter as the bytes (the layout in layout.ts).
 *
 * @module
 */
import type { AuditQuery } from './audit-log.js';
import type { IndexChange } from './index-store.js';
import type { AuditEvent, IndexDocument, NodeManifest, UsageRecord } from './types.js';

/** What {@link MetadataStore.claimVersion} is told about the bytes of a version. */
export interface VersionUpload {
  /** The uploaded files, path → text (the entry is `manifest.entry`). */
  files: Readonly<Record<string, string>>;
  /** Where the bundle is stored, as the storage adapter names it (`s3://…`, `gs://…`, `file:///…`). */
  bundleUrl: string;
}

/** The result of {@link MetadataStore.updateIndex}. */
export interface IndexUpdate {
  /** The document as written, or as found when the change was a no-op (`undefined`: no such node). */
  doc: IndexDocument | undefined;
  /** The audit event of the change; `undefined` for a no-op. */
  event: AuditEvent | undefined;
}

/**
 * What a store's change feed says: one node's index changed (in any process) to `revision`, or
 * `reset`: the feed started, was interrupted or was restored, so any node may have changed
 * without a notice. A feed sends `reset` each time it becomes live.
 */
export type IndexChangeNotice = { tenant: string; name: string; revision?: number } | { reset: true };

/** A subscription made by {@link MetadataStore.watchIndexes}. */
export interface IndexWatch {
  /**
   * True while notices are being delivered. While false (not yet listening, or the connection
   * that carries them was lost and is being re-established) a listener must not trust what it
   * cached.
   */
  readonly live: boolean;
  /** Resolves once the watch is live the first time (or rejects when it cannot start). */
  readonly ready: Promise<void>;
  /** Stops delivering notices and releases what the watch held (a connection). */
  close(): Promise<void>;
}

/**
 * Keeps the registry's metadata. Every method takes ids the registry has already validated.
 * Implementations: {@link ObjectStoreMetadata} (the default).
 */
export interface MetadataStore {
  /** Names the store in messages, e.g. `object-store(fs)`. */
  readonly name: string;
  /**
   * Claims `manifest.version` of `manifest.name` for `manifest.tenantId`, create-only. `upload`
   * says what the registry writes to the storage adapter next; a store may keep what it needs for
   * queries (the Postgres store's `source_code` and `bundle_url`).
   * @returns `undefined` when this call claimed it, or the manifest that was already there (a
   *   concurrent or earlier publisher), which the registry compares with the upload.
   */
  claimVersion(manifest: NodeManifest, upload: VersionUpload): Promise<NodeManifest | undefined>;
  /** One version's manifest, or `undefined`. */
  readManifest(tenant: string, name: string, version: string): Promise<NodeManifest | undefined>;
  /** A node's index document, or `undefined` when the node has none yet. */
  readIndex(tenant: string, name: string): Promise<IndexDocument | undefined>;
  /**
   * Applies `change` to the node's index atomically: concurrent changes from any number of
   * processes are serialised, none is lost and the document is never torn. The store fills in
   * `revision` (+1 per change) and `lastEvent`, and records the event in the audit log.
   * @throws ConflictError when contention never lets the change through.
   */
  updateIndex(tenant: string, name: string, change: IndexChange, clock: () => number): Promise<IndexUpdate>;
  /**
   * Optional: the index documents of several nodes at once (`undefined` for a name without one),
   * in the order of `names`. Without it the registry reads them one by one.
   */
  readIndexes?(tenant: string, names: readonly string[]): Promise<Array<IndexDocument | undefined>>;
  /** The names of the tenant's nodes (those with an index), sorted in code-unit order. */
  listNames(tenant: string): Promise<string[]>;
  /** The tenant's audit events matching `query`, oldest first (by id), including any a crash left unrecorded. */
  readAudit(tenant: string, query: AuditQuery): Promise<AuditEvent[]>;
  /** Records that `workflowId` uses `name@version` (idempotent). */
  recordUsage(tenant: string, workflowId: string, name: string, version: string, atIso: string): Promise<void>;
  /** Usage markers of a node (or one version), sorted by version, then workflow id. */
  readUsages(tenant: string, name: string, version?: string): Promise<UsageRecord[]>;
  /**
   * Optional: a change feed of index documents. `listener` hears of every committed
   * {@link updateIndex} from any process sharing the store, after it is visible to reads. A
   * registry uses it to keep index documents cached (see `TenantRegistryOptions.indexCache`).
   */
  watchIndexes?(listener: (notice: IndexChangeNotice) => void): IndexWatch;
}
