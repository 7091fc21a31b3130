import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe } from 'vitest';
import { PgliteSessionPool, PostgresMetadataStore } from '../../src/metadata-stores/postgres/index.js';
import { describeMetadataConformance } from '../conformance/metadata.js';

const pglites = new Map<string, PGlite>();
describeMetadataConformance({
  name: 'postgres on PGlite',
  changeFeed: true,
  async create(space) {
    if (!pglites.has(space)) pglites.set(space, new PGlite());
    const store = new PostgresMetadataStore({ pool: new PgliteSessionPool(pglites.get(space)!) });
    await store.migrate();
    return store;
  },
  async cleanup() {
    await Promise.all([...pglites.values()].map((db) => db.close()));
  },
});

const url = process.env.BTREE_PLUGINS_POSTGRES_URL!;
const pools: pg.Pool[] = [];
describeMetadataConformance({
  name: 'postgres on a real server',
  changeFeed: true,
  async create(space) {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    pools.push(pool);
    const store = new PostgresMetadataStore({ pool, schema: space.replace(/[^a-z0-9_]/g, '_') });
    await store.migrate();
    return store;
  },
  async cleanup() {
    await Promise.all(pools.map((p) => p.end()));
  },
});
