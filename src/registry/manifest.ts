/**
 * Building and checking version manifests: the immutable record that ties a version to its
 * bundle hash, sources, findings and metadata.
 *
 * @module
 */
import { IntegrityError, InvalidInputError } from '../errors.js';
import { sha256Hex, sourceSha256 } from '../loader/hash.js';
import type { NodeMetadata } from '../binding-core/types.js';
import type { CompiledNode } from '../loader/types.js';
import type { MetadataSource, NodeManifest } from './types.js';

/** Builds the manifest of a freshly compiled version. */
export function buildManifest(
  tenantId: string,
  compiled: CompiledNode,
  metadata: NodeMetadata,
  metadataSource: MetadataSource,
  publishedAt: string,
  extra: { author?: string; description?: string },
): NodeManifest {
  const manifest: NodeManifest = {
    schema: 1,
    tenantId,
    name: compiled.name,
    version: compiled.version,
    sha256: compiled.sha256,
    sourceMapSha256: sha256Hex(compiled.sourceMap),
    sourceSha256: sourceSha256(compiled.sources, compiled.entry),
    entry: compiled.entry,
    files: Object.keys(compiled.sources)
      .sort()
      .map((path) => ({ path, bytes: Buffer.byteLength(compiled.sources[path]!, 'utf8'), sha256: sha256Hex(compiled.sources[path]!) })),
    sizes: compiled.sizes,
    imports: compiled.imports,
    findings: compiled.findings,
    esbuildVersion: compiled.esbuildVersion,
    publishedAt,
    metadata,
    metadataSource,
  };
  if (extra.author !== undefined) manifest.author = extra.author;
  if (extra.description !== undefined) manifest.description = extra.description;
  return manifest;
}

/** Throws {@link IntegrityError} unless a stored manifest is the one its key says it is. */
export function assertManifestIdentity(m: NodeManifest, tenant: string, name: string, version: string, indexSha?: string): void {
  const ok = m && m.schema === 1 && m.tenantId === tenant && m.name === name && m.version === version && typeof m.sha256 === 'string';
  if (!ok) {
    throw new IntegrityError('manifest does not match its key', `${tenant}/${name}@${version}`, m ? `${m.tenantId}/${m.name}@${m.version}` : 'unreadable', {
      context: { tenant, node: name, version },
    });
  }
  if (indexSha !== undefined && m.sha256 !== indexSha) {
    throw new IntegrityError('manifest and index disagree on the bundle hash', indexSha, m.sha256, { context: { tenant, node: name, version } });
  }
}

/** Checks an optional free-text field (author, description, note, reason, by). */
export function optionalText(field: string, value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max || !value.isWellFormed() || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) {
    throw new InvalidInputError(`invalid ${field}`, `\`${field}\` must be a string of at most ${max} characters without control characters`, {
      hint: `pass a short plain-text ${field}`,
    });
  }
  return value;
}

/** Like {@link optionalText} but required and non-empty. */
export function requiredText(field: string, value: unknown, max: number): string {
  const v = optionalText(field, value, max);
  if (v === undefined || v.trim() === '') {
    throw new InvalidInputError(`missing ${field}`, `\`${field}\` is required`, { hint: `pass \`{ ${field}: '…' }\`` });
  }
  return v;
}
