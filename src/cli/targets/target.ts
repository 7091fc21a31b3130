/**
 * Where `deploy` and the life-cycle commands act: the upload API (`--api <url>`) or a store the
 * CLI opens itself (`--store fs:<dir>|s3://bucket/prefix|gs://bucket/prefix`). One interface, so
 * every command works the same against both.
 *
 * @module
 */
import type { BlockOn } from '../../loader/scan.js';
import type { CompileLimits } from '../../loader/virtual-files.js';
import type { SandboxLimits } from '../../sandbox/limits.js';

/** The tenant as the target sees it, with the limits its nodes are held to. */
export interface TargetTenant {
  tenantId: string;
  /** Who acts (the token's user, or the store user). */
  userId: string;
  requireApproval: boolean;
  compile: { limits: Required<CompileLimits>; blockOn: BlockOn };
  sandbox: SandboxLimits;
  /** Where the limits came from, for the cost report. */
  limitsFrom: string;
}

/** One version, as the commands print it. */
export interface VersionRecord {
  /** `Name@version`. */
  id: string;
  name: string;
  version: string;
  status: string;
  active: boolean;
  sha256: string;
  createdBy: string | null;
  createdAt: string;
}

/** One node and its versions. */
export interface NodeListing {
  name: string;
  active: string | null;
  latest: string;
  versions: Array<{ version: string; status: string }>;
}

/** What one upload carries. */
export interface UploadInput {
  name: string;
  version: string;
  description?: string;
  files: Record<string, string>;
  entry: string;
}

/** A place nodes are deployed to. */
export interface Target {
  /** How the target is named in messages: the API's URL or the store's location. */
  readonly label: string;
  /** The tenant and its limits. */
  tenant(): Promise<TargetTenant>;
  /** Uploads a version; `created: false` when the same content was already there. */
  upload(input: UploadInput): Promise<{ created: boolean; record: VersionRecord }>;
  list(): Promise<NodeListing[]>;
  approve(name: string, version: string, note?: string): Promise<VersionRecord>;
  activate(name: string, version: string): Promise<VersionRecord>;
  deprecate(name: string, version: string, message: string): Promise<VersionRecord>;
  /** Returns to the previously active version; answers the version now active. */
  rollback(name: string): Promise<VersionRecord>;
  close(): Promise<void>;
}
