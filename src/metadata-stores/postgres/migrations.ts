/**
 * The schema's migrations: versioned SQL files (migrations/NNNN_name.sql) applied in order by
 * Kysely's `Migrator`, which records them in `<prefix>btree_plugins_migrations` and holds a
 * Postgres advisory lock while it runs — two workers starting together apply each migration once.
 *
 * @module
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { MIGRATION_FILES, migrationText } from './migration-files.js';
import type { PostgresTables } from './connection.js';

/** The SQL files, with `{{schema}}` and `{{prefix}}` filled in (both checked identifiers). */
class SqlFileMigrations implements MigrationProvider {
  constructor(readonly tables: PostgresTables) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const file of MIGRATION_FILES) {
      const text = migrationText(file).replaceAll('{{schema}}', `"${this.tables.schema}"`).replaceAll('{{prefix}}', this.tables.prefix);
      out[file.replace(/\.sql$/, '')] = { up: async (db) => void (await sql.raw(text).execute(db)) };
    }
    return out;
  }
}

/** What `migratePostgres` did. */
export interface MigrationReport {
  /** Migrations this call applied, in order (empty when the schema was current). */
  applied: string[];
}

/**
 * Brings the schema up to date (creating `schema` if needed). Safe to call from every worker at
 * start: the migrator's lock serialises them and each migration runs once.
 * @throws the database's error, with nothing half-applied (each run is one transaction).
 */
export async function migratePostgres(db: Kysely<unknown>, tables: PostgresTables): Promise<MigrationReport> {
  try {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(tables.schema)}`.execute(db);
  } catch (e) {
    // `IF NOT EXISTS` is not atomic: of two workers creating the schema at once, one may get a
    // unique violation on pg_namespace (23505) or duplicate_schema (42P06). The schema exists then.
    const code = (e as { code?: unknown } | null)?.code;
    if (code !== '23505' && code !== '42P06') throw e;
  }
  const migrator = new Migrator({
    db,
    provider: new SqlFileMigrations(tables),
    migrationTableSchema: tables.schema,
    migrationTableName: `${tables.prefix}btree_plugins_migrations`,
    migrationLockTableName: `${tables.prefix}btree_plugins_migrations_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
