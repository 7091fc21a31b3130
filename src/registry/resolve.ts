/**
 * Resolution of `Name`, `Name@1.2.0` and `Name@<range>` against a node's index document.
 *
 * - A bare name means the active version.
 * - An exact version must exist and be runnable (not rejected; approved when approval is required).
 * - A range picks the highest runnable version that satisfies it (`semver.maxSatisfying`,
 *   prereleases only when the range names one), preferring versions that are not deprecated.
 * - A deprecated result still resolves, with a `warning`.
 *
 * @module
 */
import semver from 'semver';
import { ConflictError, NotFoundError } from '../errors.js';
import type { NodeSpec } from './ids.js';
import { statusOf } from './life-cycle.js';
import type { IndexDocument } from './types.js';

/** The version chosen for a spec, and a warning when it is deprecated. */
export interface Resolution {
  version: string;
  warning?: string;
}

function runnable(doc: IndexDocument, version: string, requireApproval: boolean): boolean {
  const e = doc.versions[version]!;
  if (e.review === 'rejected') return false;
  return !requireApproval || e.review === 'approved' || doc.active === version;
}

function warningFor(doc: IndexDocument, version: string): Resolution {
  const dep = doc.versions[version]!.deprecated;
  return dep ? { version, warning: `${doc.name}@${version} is deprecated: ${dep.reason}` } : { version };
}

/** Picks the version `spec` names. @throws NotFoundError / ConflictError with what exists. */
export function resolveInIndex(doc: IndexDocument, spec: NodeSpec, requireApproval: boolean): Resolution {
  const ctx = { tenant: doc.tenantId, node: doc.name };
  const versions = Object.keys(doc.versions);
  const listed = semver.rsort([...versions]).slice(0, 20).join(', ');
  if (spec.kind === 'active') {
    if (!doc.active) {
      throw new NotFoundError('resolve failed', `${doc.name} has no active version`, {
        context: ctx,
        hint: `activate one of its versions (${listed}) or ask for one explicitly with "${doc.name}@<version>"`,
      });
    }
    return warningFor(doc, doc.active);
  }
  if (spec.kind === 'exact') {
    if (!Object.hasOwn(doc.versions, spec.version)) {
      throw new NotFoundError('resolve failed', `${doc.name} has no version ${spec.version}`, { context: { ...ctx, version: spec.version }, hint: `published versions: ${listed}` });
    }
    if (!runnable(doc, spec.version, requireApproval)) {
      const status = statusOf(doc, spec.version);
      throw new ConflictError('resolve failed', `${doc.name}@${spec.version} is ${status} and cannot be used`, {
        context: { ...ctx, version: spec.version },
        hint: status === 'rejected' ? 'use another version' : `approve it first: approve(tenant, '${doc.name}', '${spec.version}', { by })`,
      });
    }
    return warningFor(doc, spec.version);
  }
  const candidates = versions.filter((v) => runnable(doc, v, requireApproval));
  const fresh = semver.maxSatisfying(candidates.filter((v) => !doc.versions[v]!.deprecated), spec.range);
  const chosen = fresh ?? semver.maxSatisfying(candidates, spec.range);
  if (!chosen) {
    throw new NotFoundError('resolve failed', `no usable version of ${doc.name} satisfies "${spec.range}"`, {
      context: ctx,
      hint: `published versions: ${listed}${requireApproval ? ' (drafts must be approved first)' : ''}`,
    });
  }
  return warningFor(doc, chosen);
}
