/**
 * The version life cycle as pure changes of the index document:
 *
 * ```
 * publish → draft ──approve──► approved ──activate──► active
 *             │                   │                     │  (activating another version or
 *             └──reject──► rejected ◄──reject──┘         │   rollback moves the pointer)
 * deprecate: any non-rejected version gets a deprecation mark (it still resolves, with a warning)
 * ```
 *
 * With `requireApproval`, a draft cannot be activated. Each change returns `null` when there is
 * nothing to do (approving an approved version), so repeated calls are harmless.
 *
 * @module
 */
import { ConflictError, NotFoundError } from '../errors.js';
import type { EventDraft, IndexChange } from './index-store.js';
import { MAX_ACTIVATION_HISTORY, type IndexDocument, type VersionEntry, type VersionInfo, type VersionStatus } from './types.js';

/** The status users see (see {@link VersionStatus}). */
export function statusOf(doc: IndexDocument, version: string): VersionStatus {
  const e = doc.versions[version]!;
  if (e.review === 'rejected') return 'rejected';
  if (e.deprecated) return 'deprecated';
  if (doc.active === version) return 'active';
  return e.review;
}

/** {@link VersionInfo} of one entry. */
export function versionInfo(doc: IndexDocument, version: string): VersionInfo {
  const e = doc.versions[version]!;
  const info: VersionInfo = {
    tenantId: doc.tenantId,
    name: doc.name,
    version,
    status: statusOf(doc, version),
    active: doc.active === version,
    review: e.review,
    sha256: e.sha256,
    publishedAt: e.publishedAt,
  };
  for (const k of ['publishedBy', 'reviewedBy', 'reviewedAt', 'reviewNote', 'deprecated'] as const) {
    if (e[k] !== undefined) (info as unknown as Record<string, unknown>)[k] = e[k];
  }
  return info;
}

function entryOf(doc: IndexDocument | undefined, tenant: string, name: string, version: string): [IndexDocument, VersionEntry] {
  const e = doc && Object.hasOwn(doc.versions, version) ? doc.versions[version] : undefined;
  if (!doc || !e) {
    const known = doc ? Object.keys(doc.versions).slice(0, 20).join(', ') : '';
    throw new NotFoundError('version not found', doc ? `${name} has no version ${version}` : `tenant has no node ${name}`, {
      context: { tenant, node: name, version },
      hint: doc ? `published versions: ${known}` : 'publish the node first',
    });
  }
  return [doc, e];
}

function withEntry(doc: IndexDocument, entry: VersionEntry): IndexDocument {
  return { ...doc, versions: { ...doc.versions, [entry.version]: entry } };
}

function conflict(summary: string, detail: string, ctx: { tenant: string; name: string; version?: string }, hint: string): ConflictError {
  return new ConflictError(summary, detail, { context: { tenant: ctx.tenant, node: ctx.name, version: ctx.version }, hint });
}

/** Adds a freshly published version as a draft (no-op when it is already listed). */
export function addVersion(tenant: string, name: string, entry: Omit<VersionEntry, 'review'>): IndexChange {
  return (doc) => {
    if (doc && Object.hasOwn(doc.versions, entry.version)) return null;
    const base: IndexDocument = doc ?? { schema: 1, tenantId: tenant, name, revision: 0, active: null, history: [], versions: {} };
    const event: EventDraft = { action: 'publish', version: entry.version, by: entry.publishedBy ?? 'unknown', from: null, to: 'draft' };
    return { doc: withEntry(base, { ...entry, review: 'draft' }), event };
  };
}

/** draft → approved. */
export function approve(tenant: string, name: string, version: string, by: string, note?: string): IndexChange {
  return (current, now) => {
    const [doc, e] = entryOf(current, tenant, name, version);
    if (e.review === 'approved') return null;
    if (e.review === 'rejected') {
      throw conflict('approve failed', `${name}@${version} was rejected`, { tenant, name, version }, 'a rejected version stays rejected; fix the node and publish a new version');
    }
    const next: VersionEntry = { ...e, review: 'approved', reviewedBy: by, reviewedAt: now };
    if (note !== undefined) next.reviewNote = note;
    const event: EventDraft = { action: 'approve', version, by, from: statusOf(doc, version), to: 'approved' };
    if (note !== undefined) event.note = note;
    return { doc: withEntry(doc, next), event };
  };
}

/** draft | approved → rejected (never the active version). */
export function reject(tenant: string, name: string, version: string, by: string, note?: string): IndexChange {
  return (current, now) => {
    const [doc, e] = entryOf(current, tenant, name, version);
    if (e.review === 'rejected') return null;
    if (doc.active === version) {
      throw conflict('reject failed', `${name}@${version} is the active version`, { tenant, name, version }, `activate another version or \`rollback\` ${name} first, then reject it`);
    }
    const next: VersionEntry = { ...e, review: 'rejected', reviewedBy: by, reviewedAt: now };
    if (note !== undefined) next.reviewNote = note;
    const event: EventDraft = { action: 'reject', version, by, from: statusOf(doc, version), to: 'rejected' };
    if (note !== undefined) event.note = note;
    return { doc: withEntry(doc, next), event };
  };
}

/**
 * Makes `version` the active one and pushes it on the activation stack. With `expectedActive`
 * (a version, or `null` for none), the change happens only when that is the active version now.
 */
export function activate(tenant: string, name: string, version: string, by: string, requireApproval: boolean, expectedActive?: string | null): IndexChange {
  return (current, now) => {
    const [doc, e] = entryOf(current, tenant, name, version);
    if (expectedActive !== undefined && doc.active !== expectedActive && doc.active !== version) {
      const actual = doc.active === null ? 'no version is active' : `the active version is ${doc.active}`;
      throw conflict('activate failed', `expected ${expectedActive === null ? 'no active version' : `${expectedActive} to be active`}, but ${actual}`, { tenant, name, version }, 'someone else changed the active version; read the node again and decide whether to activate with the new `expectedActive`');
    }
    if (doc.active === version) return null;
    if (e.review === 'rejected') {
      throw conflict('activate failed', `${name}@${version} was rejected`, { tenant, name, version }, 'publish a fixed version and activate that');
    }
    if (e.deprecated) {
      throw conflict('activate failed', `${name}@${version} is deprecated (${e.deprecated.reason})`, { tenant, name, version }, 'activate a newer version; `rollback` can still return to a deprecated one in an emergency');
    }
    if (requireApproval && e.review !== 'approved') {
      throw conflict('activate failed', `${name}@${version} is a draft and this registry requires approval`, { tenant, name, version }, `approve it first: approve(tenant, '${name}', '${version}', { by })`);
    }
    const history = [...doc.history, { version, at: now, by }].slice(-MAX_ACTIVATION_HISTORY);
    const event: EventDraft = { action: 'activate', version, by, from: doc.active, to: version };
    return { doc: { ...doc, active: version, history }, event };
  };
}

/** Marks a version deprecated; it keeps resolving, with a warning. */
export function deprecate(tenant: string, name: string, version: string, reason: string, by: string): IndexChange {
  return (current, now) => {
    const [doc, e] = entryOf(current, tenant, name, version);
    if (e.deprecated) return null;
    if (e.review === 'rejected') {
      throw conflict('deprecate failed', `${name}@${version} was rejected`, { tenant, name, version }, 'rejected versions never resolve; there is nothing to deprecate');
    }
    const event: EventDraft = { action: 'deprecate', version, by, from: statusOf(doc, version), to: 'deprecated', note: reason };
    return { doc: withEntry(doc, { ...e, deprecated: { reason, by, at: now } }), event };
  };
}

/**
 * Returns to the previously active version: pops the current activation and any rejected or
 * repeated ones below it. Fails when there is no earlier activation.
 */
export function rollback(tenant: string, name: string, by: string): IndexChange {
  return (current) => {
    if (!current) {
      throw new NotFoundError('rollback failed', `tenant has no node ${name}`, { context: { tenant, node: name }, hint: 'publish and activate the node first' });
    }
    const doc = current;
    const from = doc.active;
    const history = [...doc.history];
    history.pop();
    while (history.length) {
      const top = history[history.length - 1]!;
      const e = Object.hasOwn(doc.versions, top.version) ? doc.versions[top.version] : undefined;
      if (e && e.review !== 'rejected' && top.version !== from) break;
      history.pop();
    }
    const target = history[history.length - 1];
    if (!from || !target) {
      throw conflict(
        'rollback failed',
        from ? `${name} has no earlier activation than ${from} to return to` : `${name} has never been activated`,
        { tenant, name, ...(from ? { version: from } : {}) },
        'activate the version you want explicitly with activate(tenant, name, version)',
      );
    }
    const event: EventDraft = { action: 'rollback', version: target.version, by, from, to: target.version };
    return { doc: { ...doc, active: target.version, history }, event };
  };
}
