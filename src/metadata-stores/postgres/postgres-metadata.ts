/**
 * `PostgresMetadataStore`: the registry's metadata in PostgreSQL tables (migrations/*.sql) — the
 * seed's `custom_nodes` and `workflow_node_dependencies`, a head row per node (revision, activation
 * stack, last event) and an audit table. Bytes stay in the storage adapter; `bundle_url` names them.
 *
 * Every index change is one transaction: the node's head row is locked (`FOR UPDATE`), the change
 * (one of the registry's pure life-cycle functions) is applied to the document read under the
 * lock, the changed version rows, the head and the audit row are written, and the transaction
 * commits — so changes are serialised per node, nothing is half-written, and the audit log is
 * complete. The database enforces one active version per tenant and name.
 *
 * @module
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { ConfigurationError } from '../../errors.js';
import type { AuditQuery } from '../../registry/audit-log.js';
import { openPostgres, type PostgresConnectionOptions, type PostgresTables } from './connection.js';
import { FEED_CHANNEL, IndexFeed, listenSessions } from './index-feed.js';
import type { MigrationReport } from './migrations.js';
import { postgresError } from './postgres-errors.js';
import { sinceMs } from '../../registry/audit-log.js';
import type { IndexChange } from '../../registry/index-store.js';
import { auditEventId, versionKeys } from '../../registry/layout.js';
import { statusOf } from '../../registry/life-cycle.js';
import type { IndexChangeNotice, IndexUpdate, IndexWatch, MetadataStore, VersionUpload } from '../../registry/metadata-store.js';
import type { AuditEvent, IndexDocument, NodeManifest, UsageRecord, VersionEntry } from '../../registry/types.js';

export { postgresTables, type PostgresPool, type PostgresTables } from './connection.js';

/** Options of {@link PostgresMetadataStore}: the host's pool, or a connection string. */
export type PostgresMetadataStoreOptions = PostgresConnectionOptions;

interface VersionRow {
  version: string;
  sha256: string;
  review: VersionEntry['review'];
  created_at: Date;
  created_by: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  review_note: string | null;
  deprecated_reason: string | null;
  deprecated_by: string | null;
  deprecated_at: Date | null;
}

interface HeadRow {
  revision: number;
  active_version: string | null;
  history: IndexDocument['history'];
  last_event: AuditEvent | null;
}

/** The columns a {@link VersionRow} and a {@link HeadRow} are read from. */
const VERSION_COLUMNS = sql.raw('version, sha256, review, created_at, created_by, reviewed_by, reviewed_at, review_note, deprecated_reason, deprecated_by, deprecated_at');
const HEAD_COLUMNS = sql.raw('revision, active_version, history, last_event');

type Executor = Kysely<unknown> | Transaction<unknown>;

/** The registry's metadata in PostgreSQL. Run `store.migrate()` (or `migratePostgres`) first. */
export class PostgresMetadataStore implements MetadataStore {
  readonly name = 'postgres';
  readonly #db: Kysely<unknown>;
  readonly #t: PostgresTables;
  readonly #feed: IndexFeed;
  readonly #table: (name: string) => RawBuilder<unknown>;
  readonly #migrate: () => Promise<MigrationReport>;

  constructor(options: PostgresMetadataStoreOptions) {
    const { db, pool, tables, table, migrate } = openPostgres('PostgresMetadataStore', options);
    this.#db = db;
    this.#t = tables;
    this.#table = table;
    this.#migrate = migrate;
    this.#feed = new IndexFeed(listenSessions(pool), `${tables.schema}.${tables.prefix}`);
  }

  /**
   * The change feed of index documents (LISTEN/NOTIFY on `btree_plugins_index_changes`): one
   * connection of the pool, held while anyone watches, re-established when lost. A registry on
   * this store uses it to cache index documents; {@link destroy} or the registry's `close()`
   * stops it.
   */
  watchIndexes(listener: (notice: IndexChangeNotice) => void): IndexWatch {
    return this.#feed.watch(listener);
  }

  /** Creates or updates the tables (see migrations.ts); safe from many workers at once. */
  migrate(): Promise<MigrationReport> {
    return this.#migrate();
  }

  /** Where the tables are. */
  get tables(): PostgresTables {
    return this.#t;
  }

  async claimVersion(manifest: NodeManifest, upload: VersionUpload): Promise<NodeManifest | undefined> {
    try {
      const { tenantId, name, version } = manifest;
      const inserted = await sql<{ id: string }>`
        INSERT INTO ${this.#table('custom_nodes')}
          (tenant_id, name, version, description, source_code, bundle_url, schema, status, created_by, created_at, sha256, manifest)
        VALUES (${tenantId}, ${name}, ${version}, ${manifest.description ?? null}, ${upload.files[manifest.entry] ?? ''}, ${upload.bundleUrl},
          ${manifest.metadata.propsSchema === undefined ? null : JSON.stringify(manifest.metadata.propsSchema)}::jsonb, 'draft',
          ${manifest.author ?? null}, ${manifest.publishedAt}, ${manifest.sha256}, ${JSON.stringify(manifest)}::jsonb)
        ON CONFLICT (tenant_id, name, version) DO NOTHING
        RETURNING id`.execute(this.#db);
      if (inserted.rows.length === 1) return undefined;
      const existing = await this.readManifest(tenantId, name, version);
      if (!existing) throw new ConfigurationError('claimVersion: the version row vanished between the insert and the read');
      return existing;
    } catch (e) {
      return postgresError('claimVersion', e);
    }
  }

  async readManifest(tenant: string, name: string, version: string): Promise<NodeManifest | undefined> {
    try {
      const r = await sql<{ manifest: NodeManifest }>`
        SELECT manifest FROM ${this.#table('custom_nodes')} WHERE tenant_id = ${tenant} AND name = ${name} AND version = ${version}`.execute(this.#db);
      return r.rows[0]?.manifest;
    } catch (e) {
      return postgresError('readManifest', e);
    }
  }

  async readIndex(tenant: string, name: string): Promise<IndexDocument | undefined> {
    try {
      return await this.#readIndex(this.#db, tenant, name, false);
    } catch (e) {
      return postgresError('readIndex', e);
    }
  }

  async readIndexes(tenant: string, names: readonly string[]): Promise<Array<IndexDocument | undefined>> {
    try {
      if (names.length === 0) return [];
      const list = [...names];
      const heads = await sql<HeadRow & { name: string }>`
        SELECT name, ${HEAD_COLUMNS} FROM ${this.#table('custom_node_heads')}
        WHERE tenant_id = ${tenant} AND name = ANY(${list}::text[]) AND revision > 0`.execute(this.#db);
      const rows = await sql<VersionRow & { name: string }>`
        SELECT name, ${VERSION_COLUMNS}
        FROM ${this.#table('custom_nodes')} WHERE tenant_id = ${tenant} AND name = ANY(${list}::text[]) AND listed`.execute(this.#db);
      const docs = new Map<string, IndexDocument>();
      for (const h of heads.rows) docs.set(h.name, docOf(tenant, h.name, h, []));
      for (const r of rows.rows) {
        const doc = docs.get(r.name);
        if (doc) doc.versions[r.version] = entryOf(r);
      }
      return names.map((n) => docs.get(n));
    } catch (e) {
      return postgresError('readIndexes', e);
    }
  }

  async #readIndex(db: Executor, tenant: string, name: string, lock: boolean): Promise<IndexDocument | undefined> {
    const head = await (lock
      ? sql<HeadRow>`SELECT ${HEAD_COLUMNS} FROM ${this.#table('custom_node_heads')} WHERE tenant_id = ${tenant} AND name = ${name} FOR UPDATE`
      : sql<HeadRow>`SELECT ${HEAD_COLUMNS} FROM ${this.#table('custom_node_heads')} WHERE tenant_id = ${tenant} AND name = ${name}`
    ).execute(db);
    const h = head.rows[0];
    if (!h || h.revision === 0) return undefined;
    const rows = await sql<VersionRow>`
      SELECT ${VERSION_COLUMNS}
      FROM ${this.#table('custom_nodes')} WHERE tenant_id = ${tenant} AND name = ${name} AND listed`.execute(db);
    return docOf(tenant, name, h, rows.rows);
  }

  async updateIndex(tenant: string, name: string, change: IndexChange, clock: () => number): Promise<IndexUpdate> {
    try {
      const tx = await this.#db.startTransaction().execute();
      try {
        // The head row is the node's lock; a first change creates it (concurrent creators wait on the insert).
        await sql`INSERT INTO ${this.#table('custom_node_heads')} (tenant_id, name, revision, active_version, history)
          VALUES (${tenant}, ${name}, 0, NULL, '[]'::jsonb) ON CONFLICT DO NOTHING`.execute(tx);
        const current = await this.#readIndex(tx, tenant, name, true);
        const now = clock();
        const nowIso = new Date(now).toISOString();
        const result = change(current, nowIso);
        if (!result) {
          // Nothing to do: roll back, so that no empty head row stays behind.
          await tx.rollback().execute();
          return { doc: current, event: undefined };
        }
        const revision = (current?.revision ?? 0) + 1;
        const event: AuditEvent = { id: auditEventId(now, name, revision), tenantId: tenant, node: name, at: nowIso, revision, ...result.event };
        const doc: IndexDocument = { ...result.doc, revision, lastEvent: event };
        await this.#writeVersions(tx, tenant, name, current, doc);
        await sql`UPDATE ${this.#table('custom_node_heads')}
          SET revision = ${revision}, active_version = ${doc.active}, history = ${JSON.stringify(doc.history)}::jsonb, last_event = ${JSON.stringify(event)}::jsonb
          WHERE tenant_id = ${tenant} AND name = ${name}`.execute(tx);
        await sql`INSERT INTO ${this.#table('custom_node_audit')} (tenant_id, id, node, version, action, actor, at, from_state, to_state, note, revision)
          VALUES (${tenant}, ${event.id}, ${name}, ${event.version}, ${event.action}, ${event.by}, ${event.at}, ${event.from}, ${event.to}, ${event.note ?? null}, ${revision})`.execute(tx);
        // Delivered to listeners on commit (and never for a change that rolls back).
        await sql`SELECT pg_notify(${FEED_CHANNEL}, ${this.#feed.payload(tenant, name, revision)})`.execute(tx);
        await tx.commit().execute();
        return { doc, event };
      } catch (e) {
        if (!tx.isCommitted && !tx.isRolledBack) await tx.rollback().execute().catch(() => {});
        throw e;
      }
    } catch (e) {
      return postgresError('updateIndex', e);
    }
  }

  /** Writes the version rows whose entry, status or active flag changed; the old active row first. */
  async #writeVersions(tx: Transaction<unknown>, tenant: string, name: string, before: IndexDocument | undefined, after: IndexDocument): Promise<void> {
    const changed = Object.keys(after.versions).filter((v) => {
      const was = before?.versions[v];
      return !was || JSON.stringify(was) !== JSON.stringify(after.versions[v]) || statusOf(before!, v) !== statusOf(after, v);
    });
    if (before?.active && before.active !== after.active) {
      await sql`UPDATE ${this.#table('custom_nodes')} SET is_active = false, status = ${statusOf({ ...after }, before.active)}
        WHERE tenant_id = ${tenant} AND name = ${name} AND version = ${before.active}`.execute(tx);
    }
    for (const v of changed) {
      const e = after.versions[v]!;
      const updated = await sql`UPDATE ${this.#table('custom_nodes')} SET
          listed = true, status = ${statusOf(after, v)}, is_active = ${after.active === v}, review = ${e.review},
          sha256 = ${e.sha256}, created_at = ${e.publishedAt}, created_by = ${e.publishedBy ?? null},
          reviewed_by = ${e.reviewedBy ?? null}, reviewed_at = ${e.reviewedAt ?? null}, review_note = ${e.reviewNote ?? null},
          deprecated_reason = ${e.deprecated?.reason ?? null}, deprecated_by = ${e.deprecated?.by ?? null}, deprecated_at = ${e.deprecated?.at ?? null}
        WHERE tenant_id = ${tenant} AND name = ${name} AND version = ${v}`.execute(tx);
      if (Number(updated.numAffectedRows ?? 0n) !== 1) {
        throw new ConfigurationError(`the index lists ${name}@${v} of tenant ${tenant}, which has no custom_nodes row`, { hint: 'publish through the registry, which claims the version first' });
      }
    }
  }

  async listNames(tenant: string): Promise<string[]> {
    try {
      const r = await sql<{ name: string }>`
        SELECT name FROM ${this.#table('custom_node_heads')} WHERE tenant_id = ${tenant} AND revision > 0 ORDER BY name COLLATE "C"`.execute(this.#db);
      return r.rows.map((row) => row.name);
    } catch (e) {
      return postgresError('listNames', e);
    }
  }

  async readAudit(tenant: string, query: AuditQuery): Promise<AuditEvent[]> {
    try {
      const since = new Date(sinceMs(query.since)).toISOString();
      const limit = query.limit ?? 10_000;
      const r = await sql<{ id: string; node: string; version: string; action: AuditEvent['action']; actor: string; at: Date; from_state: string | null; to_state: string | null; note: string | null; revision: number }>`
        SELECT id, node, version, action, actor, at, from_state, to_state, note, revision FROM ${this.#table('custom_node_audit')}
        WHERE tenant_id = ${tenant} AND at >= ${since}
          ${query.node === undefined ? sql`` : sql`AND node = ${query.node}`}
          ${query.after === undefined ? sql`` : sql`AND id COLLATE "C" > ${query.after}`}
        ORDER BY id COLLATE "C" LIMIT ${limit}`.execute(this.#db);
      return r.rows.map((row) => {
        const event: AuditEvent = { id: row.id, tenantId: tenant, node: row.node, version: row.version, action: row.action, by: row.actor, at: iso(row.at)!, from: row.from_state, to: row.to_state, revision: row.revision };
        if (row.note !== null) event.note = row.note;
        return event;
      });
    } catch (e) {
      return postgresError('readAudit', e);
    }
  }

  async recordUsage(tenant: string, workflowId: string, name: string, version: string, atIso: string): Promise<void> {
    try {
      await sql`INSERT INTO ${this.#table('workflow_node_dependencies')} (workflow_id, custom_node_id, recorded_at)
        SELECT ${workflowId}, id, ${atIso} FROM ${this.#table('custom_nodes')} WHERE tenant_id = ${tenant} AND name = ${name} AND version = ${version}
        ON CONFLICT DO NOTHING`.execute(this.#db);
    } catch (e) {
      return postgresError('recordUsage', e);
    }
  }

  async readUsages(tenant: string, name: string, version?: string): Promise<UsageRecord[]> {
    try {
      const r = await sql<{ workflow_id: string; version: string }>`
        SELECT d.workflow_id, n.version FROM ${this.#table('workflow_node_dependencies')} d JOIN ${this.#table('custom_nodes')} n ON n.id = d.custom_node_id
        WHERE n.tenant_id = ${tenant} AND n.name = ${name} ${version === undefined ? sql`` : sql`AND n.version = ${version}`}
        ORDER BY n.version COLLATE "C", d.workflow_id COLLATE "C"`.execute(this.#db);
      return r.rows.map((row) => ({ workflowId: row.workflow_id, name, version: row.version }));
    } catch (e) {
      return postgresError('readUsages', e);
    }
  }

  /** Closes the store's Kysely instance (and so the pool it was given; hosts that share a pool should not call it). */
  async destroy(): Promise<void> {
    await this.#feed.close();
    await this.#db.destroy();
  }
}

/** The index document of a head row and its listed version rows. */
function docOf(tenant: string, name: string, h: HeadRow, rows: readonly VersionRow[]): IndexDocument {
  const versions: Record<string, VersionEntry> = {};
  for (const r of rows) versions[r.version] = entryOf(r);
  const doc: IndexDocument = { schema: 1, tenantId: tenant, name, revision: h.revision, active: h.active_version, history: h.history, versions };
  if (h.last_event) doc.lastEvent = h.last_event;
  return doc;
}

function iso(d: Date | string | null): string | undefined {
  if (d === null) return undefined;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function entryOf(r: VersionRow): VersionEntry {
  const e: VersionEntry = { version: r.version, sha256: r.sha256, review: r.review, publishedAt: iso(r.created_at)! };
  if (r.created_by !== null) e.publishedBy = r.created_by;
  if (r.reviewed_by !== null) e.reviewedBy = r.reviewed_by;
  if (r.reviewed_at !== null) e.reviewedAt = iso(r.reviewed_at)!;
  if (r.review_note !== null) e.reviewNote = r.review_note;
  if (r.deprecated_reason !== null) {
    e.deprecated = { reason: r.deprecated_reason, at: iso(r.deprecated_at)! };
    if (r.deprecated_by !== null) e.deprecated.by = r.deprecated_by;
  }
  return e;
}
