/**
 * `@wayfarer-ai/btree-plugins/metadata/postgres`: the registry's metadata in PostgreSQL.
 * Needs the optional peers `pg` and `kysely` (and `@electric-sql/pglite` for the embedded
 * database). See docs/registry.md.
 *
 * @module
 */
export { PostgresMetadataStore, postgresTables, type PostgresMetadataStoreOptions, type PostgresPool, type PostgresTables } from './postgres-metadata.js';
export { migratePostgres, type MigrationReport } from './migrations.js';
export { PgliteSessionPool } from './pglite-pool.js';
