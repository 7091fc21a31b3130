/**
 * Every `CatalogueStore` against the conformance suite (catalogue-store-conformance.ts): the
 * default ObjectStoreCatalogue on memory, fs and S3 (moto) storage, and PostgresCatalogue on
 * PGlite and on the real PostgreSQL server the test setup starts (a fresh schema per backend
 * space). Then what only the PostgreSQL store has: its rows, and the publisher identity it keeps.
 */
import { PGlite } from '@electric-sql/pglite';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { ObjectStoreCatalogue } from '../../src/marketplace/object-store-catalogue.js';
import { PgliteSessionPool, PostgresCatalogue, type PostgresPool } from '../../src/metadata-stores/postgres/index.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { S3Storage } from '../../src/storage-adapters/s3.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import { s3Buckets } from '../setup/buckets.js';
import { describeCatalogueStoreConformance } from './catalogue-store-conformance.js';

/** Calls `make` once per key; later calls get the same promise. */
function once<T>(make: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const made = new Map<string, Promise<T>>();
  return (key) => {
    let p = made.get(key);
    if (!p) made.set(key, (p = make(key)));
    return p;
  };
}

/** ObjectStoreCatalogue on the storage `storageOf(space)` makes (each call an adapter of its own on the space's backend). */
function objectStoreTarget(name: string, storageOf: (space: string) => Promise<StorageAdapter>, cleanup?: () => Promise<void>) {
  describeCatalogueStoreConformance({
    name: `object-store on ${name}`,
    create: async (space) => new ObjectStoreCatalogue(await storageOf(space)),
    ...(cleanup ? { cleanup } : {}),
  });
}

const backends = once(async () => new MemoryBackend());
objectStoreTarget('memory', async (space) => new MemoryStorage({ backend: await backends(space) }));

const fsRoot = mkdtemp(join(tmpdir(), 'catalogue-store-'));
objectStoreTarget('fs', async (space) => new FsStorage({ root: join(await fsRoot, space) }), async () => rm(await fsRoot, { recursive: true, force: true }));

// One bucket; a key prefix per space.
let s3: ReturnType<typeof s3Buckets> | undefined;
const bucket = once(async () => (s3 ??= s3Buckets()).create('catalogue'));
objectStoreTarget('s3 (moto)', async (space) => new S3Storage({ bucket: await bucket(''), prefix: `${space}/`, client: s3!.config() }), async () => s3?.close());

/** PostgresCatalogue in one schema per space, each store on `poolOf()`; each space migrated once. */
function postgresTarget(name: string, poolOf: () => PostgresPool, cleanup: (stores: PostgresCatalogue[]) => Promise<void>) {
  const stores: PostgresCatalogue[] = [];
  const make = (schema: string) => {
    const store = new PostgresCatalogue({ pool: poolOf(), schema });
    stores.push(store);
    return store;
  };
  const migrated = once((schema) => make(schema).migrate());
  describeCatalogueStoreConformance({
    name,
    async create(space) {
      await migrated(space);
      return make(space);
    },
    cleanup: () => cleanup(stores),
  });
}

// PGlite has one session: every store of the file shares its one pool (which lends it to one transaction at a time).
const pglite = new PGlite();
const pglitePool = new PgliteSessionPool(pglite);
postgresTarget('postgres on PGlite', () => pglitePool, () => pglite.close());

const url = () => process.env.BTREE_PLUGINS_POSTGRES_URL!;
/** A pool of the real server, listening for the errors of idle connections as pg asks. */
function realPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: url(), max: 4 });
  pool.on('error', () => {});
  return pool;
}
// A pool per store, as separate workers would have; destroy() ends it.
postgresTarget('postgres on a real server', realPool, async (stores) => {
  await Promise.all(stores.map((s) => s.destroy()));
});

describe('PostgresCatalogue (real server): its rows', () => {
  const pool = realPool();
  afterAll(async () => pool.end());

  async function storeIn(schema: string): Promise<PostgresCatalogue> {
    const store = new PostgresCatalogue({ pool, schema });
    await store.migrate();
    return store;
  }

  it('keeps publishers, claims, listings and installs in tables a host can query', async () => {
    const schema = `catalogue_rows_${process.pid}`;
    const store = await storeIn(schema);
    const acme = { slug: 'acme-tools', displayName: 'Acme Tools', tenantId: 'acme', supportLevel: 'community' as const, createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'ada', nameKeys: ['acmetools'] };
    expect(await store.claimPublisher(acme, acme.nameKeys)).toBeUndefined();
    const claims = await pool.query(`SELECT kind, key, slug FROM "${schema}".marketplace_publisher_claims ORDER BY kind, key`);
    expect(claims.rows).toEqual([
      { kind: 'name', key: 'acmetools', slug: 'acme-tools' },
      { kind: 'tenant', key: 'acme', slug: 'acme-tools' },
    ]);
    await store.updateInstalls('globex', () => ({ schema: 1, tenantId: 'globex', revision: 1, installs: {} }));
    const rows = await pool.query(`SELECT p.document->>'displayName' AS publisher, i.revision FROM "${schema}".marketplace_publishers p, "${schema}".marketplace_installs i WHERE p.tenant_id = 'acme' AND i.tenant_id = 'globex'`);
    expect(rows.rows).toEqual([{ publisher: 'Acme Tools', revision: 1 }]);
    // The database keeps one publisher per tenant, whoever writes.
    await expect(pool.query(`INSERT INTO "${schema}".marketplace_publishers (slug, tenant_id, document) VALUES ('other', 'acme', '{}')`)).rejects.toThrow(/one_per_tenant/);
  });

  it("a publisher's slug and tenant (its claims) do not change, and a publisher is not created by an update", async () => {
    const store = await storeIn(`catalogue_identity_${process.pid}`);
    const acme = { slug: 'acme-tools', displayName: 'Acme Tools', tenantId: 'acme', supportLevel: 'community' as const, createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'ada', nameKeys: [] };
    await store.claimPublisher(acme, []);
    await expect(store.updatePublisher('acme-tools', (p) => ({ ...p!, tenantId: 'globex' }))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(store.updatePublisher('nobody', () => ({ ...acme, slug: 'nobody' }))).rejects.toThrow(/register a publisher with claimPublisher/);
    expect(await store.readPublisher('acme-tools')).toEqual(acme);
    expect(await store.readPublisher('nobody')).toBeUndefined();
  });
});
