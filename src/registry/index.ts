/**
 * The versioned per-tenant registry: public surface. See docs/registry.md.
 * @module
 */
export { TenantRegistry, type TenantRegistryOptions, type ActorOptions, type ActivateOptions, type ListOptions, type ReviewOptions, type DeprecateOptions, type IndexCacheOptions } from './tenant-registry.js';
export type { AuditQuery } from './audit-log.js';
export type { MetadataStore, IndexUpdate, VersionUpload, IndexChangeNotice, IndexWatch } from './metadata-store.js';
export { ObjectStoreMetadata, type ObjectStoreMetadataOptions } from './object-store-metadata.js';
export type { IndexChange, EventDraft } from './index-store.js';
export type { CasOptions } from './index-store.js';
export {
  RESERVED_NODE_NAMES,
  TENANT_ID_PATTERN,
  NODE_NAME_PATTERN,
  VERSION_PATTERN,
  assertTenantId,
  assertNodeName,
  assertVersion,
  parseNodeSpec,
  type NodeSpec,
} from './ids.js';
export type {
  AuditAction,
  AuditEvent,
  ActivationRecord,
  IndexDocument,
  VersionEntry,
  MetadataSource,
  NodeInspector,
  NodeManifest,
  NodeSummary,
  PublishInput,
  PublishResult,
  ResolvedNode,
  ReviewState,
  UsageRecord,
  VersionDetails,
  VersionInfo,
  VersionStatus,
} from './types.js';
