/**
 * What every PostgreSQL store of this folder shares: its options (the host's pool or a connection
 * string, a schema and a table prefix), the checks on them, and the Kysely instance it runs on.
 *
 * @module
 */
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { ConfigurationError } from '../../errors.js';
import { migratePostgres, type MigrationReport } from './migrations.js';
import { postgresError } from './postgres-errors.js';

/** A `pg` Pool, or anything with its `connect()`/`end()` (what Kysely's PostgresDialect needs). */
export interface PostgresPool {
  connect(): Promise<unknown>;
  end(): Promise<void>;
}

/** Where a store's tables are: the host's pool, or a connection string; a schema and a prefix. */
export interface PostgresConnectionOptions {
  /** The host's `pg` Pool. `destroy()` ends it; hosts that share it elsewhere do not call `destroy()`. */
  pool?: PostgresPool;
  /** A connection string (`postgres://user:pass@host:5432/db`): the store makes its own `pg` Pool. */
  connectionString?: string;
  /** Schema of the tables (default `public`). */
  schema?: string;
  /** Prefix of every table name (default none: `custom_nodes`, as in the seed). */
  tablePrefix?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;
const PREFIX = /^([a-z_][a-z0-9_]{0,23})?$/;

/** The table names of one schema and prefix. */
export interface PostgresTables {
  schema: string;
  prefix: string;
}

/** Checks schema and prefix: they become SQL identifiers. */
export function postgresTables(options: { schema?: string; tablePrefix?: string }): PostgresTables {
  const schema = options.schema ?? 'public';
  const prefix = options.tablePrefix ?? '';
  if (!IDENTIFIER.test(schema)) {
    throw new ConfigurationError(`schema ${JSON.stringify(schema)} is not a plain lowercase SQL identifier`, { hint: 'use lowercase letters, digits and _, starting with a letter or _' });
  }
  if (!PREFIX.test(prefix)) {
    throw new ConfigurationError(`tablePrefix ${JSON.stringify(prefix)} is not a plain lowercase identifier fragment`, { hint: 'use up to 24 lowercase letters, digits and _, e.g. "btree_"' });
  }
  return { schema, prefix };
}

/** A store's connection: Kysely on the pool, the pool itself, and its tables. */
export interface PostgresConnection {
  db: Kysely<unknown>;
  pool: PostgresPool;
  tables: PostgresTables;
  /** The table `name` of this schema and prefix, as SQL. */
  table(name: string): RawBuilder<unknown>;
  /** Creates or updates every table of the schema and prefix (migrations.ts). @throws StorageError */
  migrate(): Promise<MigrationReport>;
}

/**
 * Checks `options` and opens the connection of the store `store` (named in messages): on the
 * host's pool, or on a `pg` Pool of its own made from the connection string.
 * @throws ConfigurationError
 */
export function openPostgres(store: string, options: PostgresConnectionOptions): PostgresConnection {
  const given = options?.pool;
  if (given !== undefined && typeof given.connect !== 'function') {
    throw new ConfigurationError(`${store}: \`pool\` is not a pg Pool`, { hint: 'pass `{ pool: new pg.Pool({ connectionString }) }`' });
  }
  if ((given === undefined) === (typeof options?.connectionString !== 'string')) {
    throw new ConfigurationError(`${store} needs one of \`pool\` and \`connectionString\``, { hint: 'pass `{ pool }` (your pg Pool) or `{ connectionString: process.env.DATABASE_URL }`' });
  }
  const tables = postgresTables(options);
  let pool = given;
  if (pool === undefined) {
    const own = new pg.Pool({ connectionString: options.connectionString });
    // An idle connection the server closed is dropped by the pool; the next query opens another.
    own.on('error', () => {});
    pool = own;
  }
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: listeningPool(pool) as never }) });
  return {
    db,
    pool,
    tables,
    table: (name) => sql.table(`${tables.schema}.${tables.prefix}${name}`),
    migrate: () => migratePostgres(db, tables).catch((e: unknown) => postgresError('migrate', e)),
  };
}

/** Clients that have the stores' `error` listener: one per client, however many stores share a pool. */
const listened = new WeakSet<object>();

/**
 * The pool as Kysely sees it: every client a store checks out gets an `error` listener. A
 * connection the server drops in the middle of a query fails that query (which the store reports);
 * pg then also emits `error` on the client, which would otherwise crash the host's process.
 */
function listeningPool(pool: PostgresPool): PostgresPool {
  return {
    async connect() {
      const client = (await pool.connect()) as { on?: (event: 'error', listener: () => void) => void };
      if (typeof client?.on === 'function' && !listened.has(client)) {
        client.on('error', () => {});
        listened.add(client);
      }
      return client;
    },
    end: () => pool.end(),
  };
}
