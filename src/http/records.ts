/**
 * The API's view of registry values: a version as `customNode`, a node as a listing entry.
 * Ids are `Name@version`, parsed back with the registry's own grammar checks.
 *
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { assertNodeName, assertVersion, printable } from '../registry/ids.js';
import type { NodeManifest, NodeSummary, VersionInfo, VersionStatus } from '../registry/types.js';

/** A version as the API sends it (see the `CustomNode` schema). */
export interface CustomNodeRecord {
  id: string;
  name: string;
  version: string;
  status: VersionStatus;
  active: boolean;
  sha256: string;
  description: string | null;
  category: string;
  ports: NodeManifest['metadata']['ports'];
  propsSchema: Record<string, unknown> | null;
  warnings: NodeManifest['findings'];
  createdBy: string | null;
  createdAt: string;
  reviewedBy?: string;
  reviewedAt?: string;
  reviewNote?: string;
  deprecated?: { message: string; by?: string; at: string };
}

/** `SendSlackMessage@1.0.0`. */
export function versionId(name: string, version: string): string {
  return `${name}@${version}`;
}

/**
 * Splits a version id into name and version, each checked by the registry's grammar.
 * @throws InvalidInputError saying what a version id looks like.
 */
export function parseVersionId(id: string): { name: string; version: string } {
  const at = id.indexOf('@');
  if (at < 0) {
    throw new InvalidInputError('invalid version id', `${printable(id)} is not a version id`, {
      hint: 'a version id is `Name@version`, e.g. `SendSlackMessage@1.0.0`, as the API returned it',
    });
  }
  const name = id.slice(0, at);
  const version = id.slice(at + 1);
  assertNodeName(name);
  assertVersion(version);
  return { name, version };
}

/** A version with its manifest, as `customNode`. */
export function customNodeRecord(info: VersionInfo, manifest: NodeManifest): CustomNodeRecord {
  const record: CustomNodeRecord = {
    id: versionId(info.name, info.version),
    name: info.name,
    version: info.version,
    status: info.status,
    active: info.active,
    sha256: info.sha256,
    description: manifest.description ?? null,
    category: manifest.metadata.category,
    ports: manifest.metadata.ports,
    propsSchema: manifest.metadata.propsSchema ?? null,
    warnings: manifest.findings,
    createdBy: info.publishedBy ?? null,
    createdAt: info.publishedAt,
  };
  if (info.reviewedBy !== undefined) record.reviewedBy = info.reviewedBy;
  if (info.reviewedAt !== undefined) record.reviewedAt = info.reviewedAt;
  if (info.reviewNote !== undefined) record.reviewNote = info.reviewNote;
  if (info.deprecated !== undefined) {
    const { reason, by, at } = info.deprecated;
    record.deprecated = by === undefined ? { message: reason, at } : { message: reason, by, at };
  }
  return record;
}

/** One node of `GET /custom-nodes`; with `status`, only its versions in that status (or `null` when none). */
export function nodeListing(node: NodeSummary, status?: VersionStatus) {
  const versions = Object.entries(node.statuses)
    .filter(([, s]) => status === undefined || s === status)
    .map(([version, s]) => ({ id: versionId(node.name, version), version, status: s }));
  if (status !== undefined && versions.length === 0) return null;
  return { name: node.name, active: node.active, latest: node.latest, versions };
}
