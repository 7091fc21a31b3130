/**
 * The registry's 20-actor publish → approve → activate race with its metadata on a real
 * PostgreSQL server: every actor has its own registry and its own connection pool, as separate
 * workers would. Exactly one winner at each step, the active pointer never torn, the audit complete.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresMetadataStore } from '../../src/metadata-stores/postgres/index.js';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { registryConcurrencyScenario } from '../registry/concurrency.js';

describe('registry on PostgreSQL (real server)', () => {
  it('20 concurrent publishers + approvers + activators lose no update; one active version', async () => {
    const schema = `race_${process.pid}_${Date.now()}`;
    const stores: PostgresMetadataStore[] = [];
    const makeMetadata = async () => {
      const pool = new pg.Pool({ connectionString: process.env.BTREE_PLUGINS_POSTGRES_URL!, max: 2 });
      const store = new PostgresMetadataStore({ pool, schema });
      stores.push(store);
      return store;
    };
    try {
      await (await makeMetadata()).migrate();
      const backend = new MemoryBackend();
      await registryConcurrencyScenario(() => new MemoryStorage({ backend }), { makeMetadata });
      const check = new pg.Client({ connectionString: process.env.BTREE_PLUGINS_POSTGRES_URL! });
      await check.connect();
      try {
        const active = await check.query(`SELECT version FROM "${schema}".custom_nodes WHERE is_active`);
        expect(active.rows).toHaveLength(1);
        const audit = await check.query(`SELECT count(*)::int AS n FROM "${schema}".custom_node_audit`);
        expect(audit.rows[0].n).toBe(60);
      } finally {
        await check.end();
      }
    } finally {
      // destroy(): the store's change feed (started by a registry's resolve) and its pool.
      await Promise.all(stores.map((s) => s.destroy()));
    }
  });
});
