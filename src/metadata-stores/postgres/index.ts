/**
 * `@wayfarer-ai/btree-plugins/metadata/postgres`: the registry's metadata and the marketplace's
 * documents in PostgreSQL. Needs the optional peers `pg` and `kysely` (and `@electric-sql/pglite`
 * for the embedded database). See docs/registry.md and docs/marketplace.md.
 *
 * @module
 */
export { PostgresMetadataStore, postgresTables, type PostgresMetadataStoreOptions, type PostgresPool, type PostgresTables } from './postgres-metadata.js';
export { PostgresCatalogue, type PostgresCatalogueOptions } from './postgres-catalogue.js';
export { migratePostgres, type MigrationReport } from './migrations.js';
export { PgliteSessionPool } from './pglite-pool.js';
export { PostgresRateLimiter, type PostgresRateLimiterOptions } from './postgres-rate-limiter.js';
