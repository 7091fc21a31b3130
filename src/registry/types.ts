/**
 * Public shapes of the tenant registry: documents it stores and values it returns.
 * @module
 */
import type { NodeMetadata } from '../binding-core/types.js';
import type { ScanFinding } from '../loader/types.js';
import type { RunnableBundle } from '../sandbox/types.js';

/**
 * Status of a version as users see it. Derived from the stored review state, the deprecation
 * mark and the node's active pointer, in this order: `rejected`, `deprecated`, `active`, review.
 */
export type VersionStatus = 'draft' | 'approved' | 'active' | 'deprecated' | 'rejected';

/** Stored review state of a version. */
export type ReviewState = 'draft' | 'approved' | 'rejected';

/** One version's entry in the node's index document. */
export interface VersionEntry {
  version: string;
  /** sha256 of the bundle (same as the manifest's). */
  sha256: string;
  review: ReviewState;
  publishedAt: string;
  publishedBy?: string;
  reviewedBy?: string;
  reviewedAt?: string;
  reviewNote?: string;
  deprecated?: { reason: string; by?: string; at: string };
}

/** One entry of the activation stack (top = the active version). */
export interface ActivationRecord {
  version: string;
  at: string;
  by: string;
}

/**
 * The per-node index document (`tenants/<tenant>/index/<Name>.json`), the only mutable object
 * of a node. Every change goes through compare-and-swap and bumps `revision` by exactly one.
 */
export interface IndexDocument {
  schema: 1;
  tenantId: string;
  name: string;
  /** Incremented by one on every successful change; 1 after the first publish. */
  revision: number;
  /** The active version, or `null` before the first activation. */
  active: string | null;
  /** Activation stack used by `rollback`; the last entry is the active version. Capped at {@link MAX_ACTIVATION_HISTORY}. */
  history: ActivationRecord[];
  versions: Record<string, VersionEntry>;
  /** The event of the change that produced this revision, so that a crash between the CAS and the audit write is repaired. */
  lastEvent?: AuditEvent;
}

/** How many activations the stack keeps (older ones can no longer be rolled back to). */
export const MAX_ACTIVATION_HISTORY = 100;

/** What a version looks like to callers of `versions`, `get`, `approve`, … */
export interface VersionInfo {
  tenantId: string;
  name: string;
  version: string;
  status: VersionStatus;
  /** True when this is the node's active version (it may also be `deprecated`). */
  active: boolean;
  review: ReviewState;
  sha256: string;
  publishedAt: string;
  publishedBy?: string;
  reviewedBy?: string;
  reviewedAt?: string;
  reviewNote?: string;
  deprecated?: { reason: string; by?: string; at: string };
}

/**
 * Where a node's metadata came from. Every publish now reads it in the sandbox (`inspect`);
 * `default` (`{ category: 'action', ports: [] }`, no props schema) remains on manifests that
 * older releases stored when no inspector was configured.
 */
export type MetadataSource = 'inspect' | 'default';

/** The immutable record of one published version (`…/<version>/manifest.json`). */
export interface NodeManifest {
  schema: 1;
  tenantId: string;
  name: string;
  version: string;
  /** sha256 of `bundle.js`; checked by every `loadBundle`. */
  sha256: string;
  /** sha256 of `bundle.js.map`. */
  sourceMapSha256: string;
  /** Identity of the upload (entry + files); equal uploads are idempotent republishes. */
  sourceSha256: string;
  entry: string;
  files: Array<{ path: string; bytes: number; sha256: string }>;
  sizes: { sourceBytes: number; bundleBytes: number; sourceMapBytes: number };
  /** Externals the bundle imports. */
  imports: string[];
  findings: ScanFinding[];
  esbuildVersion: string;
  author?: string;
  description?: string;
  publishedAt: string;
  metadata: NodeMetadata;
  metadataSource: MetadataSource;
}

/** `get` returns the version's state and its manifest. */
export interface VersionDetails extends VersionInfo {
  manifest: NodeManifest;
}

/** One line of `list`. */
export interface NodeSummary {
  name: string;
  /** The active version, or `null`. */
  active: string | null;
  /** Highest published version (semver order), whatever its status. */
  latest: string;
  /** Number of published versions. */
  versionCount: number;
  /** Status of each version. */
  statuses: Record<string, VersionStatus>;
}

/** The answer of `resolve`. */
export interface ResolvedNode {
  tenantId: string;
  name: string;
  version: string;
  sha256: string;
  status: VersionStatus;
  metadata: NodeMetadata;
  metadataSource: MetadataSource;
  /** Set when the version is deprecated (the reason) or otherwise deserves attention. */
  warning?: string;
}

/** What changed, as recorded in the audit log. */
export type AuditAction = 'publish' | 'approve' | 'reject' | 'activate' | 'deprecate' | 'rollback';

/**
 * One audit event (`tenants/<tenant>/audit/<time>-<Name>-<revision>.json`). `from`/`to` are
 * statuses for publish/approve/reject/deprecate and versions for activate/rollback.
 */
export interface AuditEvent {
  /** Unique and time-sortable: `<ms since epoch, 15 digits>-<Name>-<revision, 10 digits>`. */
  id: string;
  tenantId: string;
  node: string;
  version: string;
  action: AuditAction;
  by: string;
  at: string;
  from: string | null;
  to: string | null;
  note?: string;
  /** The index revision this change produced. */
  revision: number;
}

/** One recorded use of a node version by a workflow. */
export interface UsageRecord {
  workflowId: string;
  name: string;
  version: string;
}

/** Input of `publish`. Give `source` (one file) or `files` + `entry`. */
export interface PublishInput {
  name: string;
  version: string;
  source?: string;
  files?: Record<string, string>;
  entry?: string;
  description?: string;
  author?: string;
}

/**
 * Reads a node's metadata (category, ports, props JSON Schema) by running its bundle once in a
 * sandbox. `publish` needs one: the props schema it returns is what validates the node's props
 * at every tick. Any `NodeRunner` is one (the isolated-vm sandbox pool); `PluginHost` passes its own.
 *
 * @example
 * ```ts
 * const registry = new TenantRegistry({ storage, inspector: await host.nodeRunner() });
 * ```
 */
export interface NodeInspector {
  inspect(bundle: RunnableBundle): Promise<NodeMetadata>;
}

/** The answer of `publish`. */
export interface PublishResult {
  /** False when this exact upload was already published (idempotent republish). */
  created: boolean;
  manifest: NodeManifest;
  info: VersionInfo;
}
