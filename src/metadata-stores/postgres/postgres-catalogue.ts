/**
 * `PostgresCatalogue`: the marketplace's documents ({@link CatalogueStore}) in PostgreSQL tables
 * (migrations/0002_marketplace.sql), next to the registry's metadata — publishers, their claims,
 * listings and tenants' installs, each document as JSONB. The bytes of catalogue versions stay in
 * the storage adapter (the `Marketplace` writes them there).
 *
 * A registration is one transaction: the tenant claim, each name-key claim (in sorted order) and
 * the publisher row are inserted, and the first one already held rolls it all back — a claim held
 * by a transaction still under way makes the next one wait for its outcome, so two look-alike
 * registrations never both commit. A change of a document is one transaction too: the row is
 * locked (`SELECT … FOR UPDATE`), the pure `change` is applied to the document read under the lock
 * and the result written, so concurrent changes are serialised and none is lost; whatever `change`
 * throws rolls the transaction back and is rethrown unchanged.
 *
 * @module
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { InternalError, InvalidInputError } from '../../errors.js';
import type { CatalogueStore, DocumentChange, PublisherConflict } from '../../marketplace/catalogue-store.js';
import type { ListingDocument, Publisher, TenantInstallsDocument } from '../../marketplace/types.js';
import { openPostgres, type PostgresConnectionOptions, type PostgresTables } from './connection.js';
import type { MigrationReport } from './migrations.js';
import { postgresError } from './postgres-errors.js';

/** Options of {@link PostgresCatalogue}: where the tables are, and the clock of the changes' `now`. */
export interface PostgresCatalogueOptions extends PostgresConnectionOptions {
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: () => number;
}

/** One table of documents: its key column, and the columns copied from the document. */
interface DocumentTable<T> {
  table: string;
  key: string;
  /** The store's method, in errors. */
  operation: string;
  /** Columns written next to `document`. */
  columns(doc: T): Record<string, string | number>;
  /** Refuses a change the table's keys and claims cannot follow. */
  check?(key: string, current: T | undefined, next: T): void;
}

const PUBLISHERS: DocumentTable<Publisher> = {
  table: 'marketplace_publishers',
  key: 'slug',
  operation: 'updatePublisher',
  columns: (p) => ({ tenant_id: p.tenantId }),
  check(slug, current, next) {
    if (!current) {
      throw new InvalidInputError('publisher update failed', `there is no publisher ${JSON.stringify(slug)} to change`, { hint: 'register a publisher with claimPublisher, which claims its names' });
    }
    if (next.slug !== current.slug || next.tenantId !== current.tenantId) {
      throw new InvalidInputError('publisher update failed', `the slug and tenant of the publisher ${JSON.stringify(slug)} cannot change`, { hint: 'register another publisher instead' });
    }
  },
};

const LISTINGS: DocumentTable<ListingDocument> = {
  table: 'marketplace_listings',
  key: 'id',
  operation: 'updateListing',
  columns: (d) => ({ publisher: d.publisher, revision: d.revision }),
};

const INSTALLS: DocumentTable<TenantInstallsDocument> = {
  table: 'marketplace_installs',
  key: 'tenant_id',
  operation: 'updateInstalls',
  columns: (d) => ({ revision: d.revision }),
};

/** Thrown inside a transaction to roll it back and end the call with a value, or with an error rethrown unchanged. */
class Rollback {
  constructor(readonly outcome: { value: unknown } | { error: unknown }) {}
}

/** The marketplace's documents in PostgreSQL. Run `migrate()` first (it migrates the registry's tables too). */
export class PostgresCatalogue implements CatalogueStore {
  readonly name = 'postgres';
  readonly #db: Kysely<unknown>;
  readonly #t: PostgresTables;
  readonly #table: (name: string) => RawBuilder<unknown>;
  readonly #migrate: () => Promise<MigrationReport>;
  readonly #clock: () => number;

  constructor(options: PostgresCatalogueOptions) {
    const { db, tables, table, migrate } = openPostgres('PostgresCatalogue', options);
    this.#db = db;
    this.#t = tables;
    this.#table = table;
    this.#migrate = migrate;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Creates or updates the tables of the schema and prefix — the registry's and the marketplace's,
   * one set of migrations (see migrations.ts); safe from many workers at once.
   */
  migrate(): Promise<MigrationReport> {
    return this.#migrate();
  }

  /** Where the tables are. */
  get tables(): PostgresTables {
    return this.#t;
  }

  /**
   * Inserts the tenant claim, the name-key claims (sorted, so concurrent registrations take them
   * in one order and cannot deadlock) and the publisher, in one transaction; the first claim that
   * is held rolls everything back and names its holder.
   */
  claimPublisher(publisher: Publisher, nameKeys: readonly string[]): Promise<PublisherConflict | undefined> {
    const claims: Array<{ kind: 'tenant' | 'name'; key: string }> = [{ kind: 'tenant', key: publisher.tenantId }, ...[...new Set(nameKeys)].sort().map((key) => ({ kind: 'name' as const, key }))];
    return this.#transaction('claimPublisher', async (tx) => {
      for (const { kind, key } of claims) {
        const claimed = await sql`INSERT INTO ${this.#table('marketplace_publisher_claims')} (kind, key, slug)
          VALUES (${kind}, ${key}, ${publisher.slug}) ON CONFLICT DO NOTHING RETURNING slug`.execute(tx);
        if (claimed.rows.length === 1) continue;
        const held = await sql<{ slug: string }>`SELECT slug FROM ${this.#table('marketplace_publisher_claims')} WHERE kind = ${kind} AND key = ${key}`.execute(tx);
        const by = held.rows[0]?.slug;
        throw new Rollback({ value: { taken: kind, ...(by !== undefined ? { by } : {}) } satisfies PublisherConflict });
      }
      const inserted = await sql`INSERT INTO ${this.#table('marketplace_publishers')} (slug, tenant_id, document)
        VALUES (${publisher.slug}, ${publisher.tenantId}, ${JSON.stringify(publisher)}::jsonb) ON CONFLICT (slug) DO NOTHING RETURNING slug`.execute(tx);
      if (inserted.rows.length === 0) throw new Rollback({ value: { taken: 'slug', by: publisher.slug } satisfies PublisherConflict });
      return undefined;
    });
  }

  async readPublisher(slug: string): Promise<Publisher | undefined> {
    return this.#read('readPublisher', PUBLISHERS, slug);
  }

  async publisherOfTenant(tenantId: string): Promise<Publisher | undefined> {
    try {
      const r = await sql<{ document: Publisher }>`SELECT document FROM ${this.#table('marketplace_publishers')} WHERE tenant_id = ${tenantId}`.execute(this.#db);
      return r.rows[0]?.document;
    } catch (e) {
      return postgresError('publisherOfTenant', e);
    }
  }

  /** Changes a registered publisher; its slug and tenant stay (they are claimed). @throws InvalidInputError otherwise. */
  updatePublisher(slug: string, change: DocumentChange<Publisher>): Promise<Publisher | undefined> {
    return this.#update(PUBLISHERS, slug, change);
  }

  async readListing(id: string): Promise<ListingDocument | undefined> {
    return this.#read('readListing', LISTINGS, id);
  }

  updateListing(id: string, change: DocumentChange<ListingDocument>): Promise<ListingDocument | undefined> {
    return this.#update(LISTINGS, id, change);
  }

  async listListings(): Promise<ListingDocument[]> {
    try {
      const r = await sql<{ document: ListingDocument }>`SELECT document FROM ${this.#table('marketplace_listings')} ORDER BY id COLLATE "C"`.execute(this.#db);
      return r.rows.map((row) => row.document);
    } catch (e) {
      return postgresError('listListings', e);
    }
  }

  async readPublishers(slugs: readonly string[]): Promise<Map<string, Publisher>> {
    try {
      const out = new Map<string, Publisher>();
      if (slugs.length === 0) return out;
      const list = [...new Set(slugs)];
      const r = await sql<{ slug: string; document: Publisher }>`
        SELECT slug, document FROM ${this.#table('marketplace_publishers')} WHERE slug = ANY(${list}::text[])`.execute(this.#db);
      for (const row of r.rows) out.set(row.slug, row.document);
      return out;
    } catch (e) {
      return postgresError('readPublishers', e);
    }
  }

  async readInstalls(tenantId: string): Promise<TenantInstallsDocument | undefined> {
    return this.#read('readInstalls', INSTALLS, tenantId);
  }

  updateInstalls(tenantId: string, change: DocumentChange<TenantInstallsDocument>): Promise<TenantInstallsDocument | undefined> {
    return this.#update(INSTALLS, tenantId, change);
  }

  /** Closes the store's Kysely instance (and so the pool it was given; hosts that share a pool should not call it). */
  async destroy(): Promise<void> {
    await this.#db.destroy();
  }

  async #read<T>(operation: string, t: DocumentTable<T>, key: string): Promise<T | undefined> {
    try {
      const r = await sql<{ document: T }>`SELECT document FROM ${this.#table(t.table)} WHERE ${sql.ref(t.key)} = ${key}`.execute(this.#db);
      return r.rows[0]?.document;
    } catch (e) {
      return postgresError(operation, e);
    }
  }

  /**
   * Locks the document's row, applies `change` to what it holds, writes the result. A document
   * that does not exist yet has no row to lock: the result is inserted, and when a concurrent
   * transaction inserted it first (this insert waited for it, then did nothing), the row is read
   * again under the lock and `change` applied to that.
   */
  #update<T>(t: DocumentTable<T>, key: string, change: DocumentChange<T>): Promise<T | undefined> {
    const table = this.#table(t.table);
    const keyColumn = sql.ref(t.key);
    return this.#transaction(t.operation, async (tx) => {
      for (let attempt = 1; attempt <= 3; attempt++) {
        const found = await sql<{ document: T }>`SELECT document FROM ${table} WHERE ${keyColumn} = ${key} FOR UPDATE`.execute(tx);
        const current = found.rows[0]?.document;
        let next: T | null;
        try {
          next = change(current, new Date(this.#clock()).toISOString());
        } catch (error) {
          throw new Rollback({ error });
        }
        if (next === null) return current;
        t.check?.(key, current, next);
        const columns = Object.entries(t.columns(next));
        const document = JSON.stringify(next);
        if (current !== undefined) {
          await sql`UPDATE ${table} SET ${sql.join([...columns.map(([c, v]) => sql`${sql.ref(c)} = ${v}`), sql`document = ${document}::jsonb`])}
            WHERE ${keyColumn} = ${key}`.execute(tx);
          return next;
        }
        const inserted = await sql`INSERT INTO ${table} (${sql.join([keyColumn, ...columns.map(([c]) => sql.ref(c)), sql.ref('document')])})
          VALUES (${sql.join([key, ...columns.map(([, v]) => v), sql`${document}::jsonb`])}) ON CONFLICT (${keyColumn}) DO NOTHING RETURNING 1 AS created`.execute(tx);
        if (inserted.rows.length === 1) return next;
      }
      // Rows are never deleted, so the row another transaction created is there on the next read.
      throw new InternalError(`${t.operation} failed`, `the row of ${JSON.stringify(key)} was created concurrently but could not be read`);
    });
  }

  /** Runs `body` in a transaction: database failures as StorageError, a {@link Rollback}'s outcome as the call's. */
  async #transaction<R>(operation: string, body: (tx: Transaction<unknown>) => Promise<R>): Promise<R> {
    try {
      return await this.#db.transaction().execute(body);
    } catch (e) {
      if (e instanceof Rollback) {
        if ('error' in e.outcome) throw e.outcome.error;
        return e.outcome.value as R;
      }
      return postgresError(operation, e);
    }
  }
}
