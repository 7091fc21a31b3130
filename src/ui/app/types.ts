/**
 * What the API answers, as the app reads it (docs/http-api.md; src/http/schemas.ts and
 * marketplace-schemas.ts are the source of truth). Kept structural and browser-side: the app
 * imports nothing from the server's modules.
 *
 * @module
 */

/** Every permission `GET /session` reports in `can`. */
export type Permission =
  | 'read' | 'upload' | 'review' | 'activate' | 'deprecate' | 'rollback' | 'audit' | 'playground'
  | 'marketplaceRead' | 'marketplacePublish' | 'marketplaceInstall' | 'marketplaceReview' | 'marketplaceAdmin';

/** `GET <prefix>/session`. */
export interface Session {
  tenantId: string;
  userId: string;
  roles: string[];
  can: Partial<Record<Permission, boolean>>;
  marketplace: boolean;
  interpreters: { javascript: boolean; python: boolean };
  csrfToken?: string;
  signInUrl?: string;
}

/** `GET /tenant`: the part the app reads. */
export interface TenantInfo {
  tenantId: string;
  userId: string;
  roles: string[];
  requireApproval: boolean;
}

export type VersionStatus = 'draft' | 'approved' | 'active' | 'deprecated' | 'rejected';

/** One compile problem (`COMPILE_FAILED`). */
export interface Diagnostic {
  kind: string;
  file?: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
  frame?: string;
  importPath?: string;
  rule?: string;
}

/** The error shape of every failed request. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string; diagnostics?: Diagnostic[]; requestId?: string };
}

/** One node of `GET /custom-nodes`. */
export interface NodeListing {
  name: string;
  active: string | null;
  latest: string;
  versions: Array<{ id: string; version: string; status: VersionStatus }>;
}

export interface Warning {
  rule: string;
  severity: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface Port {
  name: string;
  type: string;
  description?: string;
  required?: boolean;
  defaultValue?: unknown;
}

/** One version (`customNode`). */
export interface CustomNode {
  id: string;
  name: string;
  version: string;
  status: VersionStatus;
  active: boolean;
  sha256: string;
  description: string | null;
  category: string;
  ports: Port[];
  propsSchema: JsonSchema | null;
  warnings: Warning[];
  createdBy: string | null;
  createdAt: string;
  reviewedBy?: string;
  reviewedAt?: string;
  reviewNote?: string;
  deprecated?: { message: string; by?: string; at: string };
}

export interface AuditEvent {
  id: string;
  node: string;
  version: string;
  action: string;
  by: string;
  at: string;
  from: string | null;
  to: string | null;
  note?: string;
  revision: number;
}

export interface Usage {
  workflowId: string;
  name: string;
  version: string;
}

/** `GET /custom-nodes/:id`. */
export interface CustomNodeDetails extends CustomNode {
  source: { entry: string; files: Record<string, string> };
  audit: AuditEvent[];
  usages: Usage[];
  usageCount: number;
}

/** The part of a JSON Schema the props view reads. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  items?: JsonSchema;
  [key: string]: unknown;
}

/** `POST /playground/scripts`. */
export type ScriptOutcome =
  | { ok: true; value: unknown; output: string[]; truncatedOutput?: boolean; durationMs: number }
  | { ok: false; error: { kind: string; message: string; line?: number }; output: string[]; truncatedOutput?: boolean; durationMs: number };

/** `POST /playground/nodes`. */
export interface NodeRunOutcome {
  name: string;
  version: string;
  status: 'SUCCESS' | 'FAILURE' | 'RUNNING';
  writes: Record<string, unknown>;
  deletes: string[];
  error?: string;
  limit?: string;
  logs: Array<{ level: string; message: string }>;
  usage: { cpuMs: number; wallMs: number; heapBytes?: number };
}

export interface PublisherSummary {
  slug: string;
  displayName: string;
  supportLevel: string;
}

/** One listing of `GET /marketplace/listings`. */
export interface Listing {
  id: string;
  name: string;
  category: string;
  description: string;
  publisher: PublisherSummary;
  latestVersion: string | null;
  ratingAverage: number | null;
  ratingCount: number;
  installCount: number;
  updatedAt: string;
}

export interface CatalogueVersion {
  version: string;
  state: 'pending_review' | 'published' | 'yanked';
  source: string;
  sha256: string;
  sourceSha256: string;
  listedAt: string;
  publishedAt?: string;
  yanked?: { reason: string; at: string };
}

export interface Review {
  id: string;
  rating: number;
  body: string;
  version: string;
  createdAt: string;
  updatedAt: string;
  tenantId?: string;
  userId?: string;
  hidden?: { reason: string; by: string; at: string };
}

/** `GET /marketplace/listings/:id`. */
export interface ListingDetails extends Listing {
  createdAt: string;
  versions: CatalogueVersion[];
  reviews: Review[];
}

export interface Install {
  as: string;
  listingId: string;
  version: string;
  installedAt: string;
  installedBy: string;
  upgradedAt?: string;
}
