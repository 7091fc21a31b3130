/**
 * What a host sees when the database is not there, is misnamed, or drops the connection in the
 * middle of a change: a StorageError that says whether retrying helps and what to do, and nothing
 * half-written.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { PostgresMetadataStore } from '../../src/metadata-stores/postgres/index.js';
import * as lifeCycle from '../../src/registry/life-cycle.js';
import { freePort } from '../setup/servers/process.js';

const url = () => process.env.BTREE_PLUGINS_POSTGRES_URL!;

describe('postgres failures', () => {
  it('a database that is down at start: migrate and reads fail with a retryable StorageError saying so', async () => {
    const port = await freePort();
    const store = new PostgresMetadataStore({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    try {
      for (const attempt of [store.migrate(), store.readIndex('acme', 'Greeter')]) {
        const error = await attempt.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageError);
        expect(error).toMatchObject({ retryable: true, status: 'ECONNREFUSED', hint: expect.stringContaining('does not accept connections') });
      }
    } finally {
      await store.destroy();
    }
  });

  it('a database that does not exist: a StorageError naming the fix, not retryable', async () => {
    const store = new PostgresMetadataStore({ connectionString: url().replace(/\/postgres$/, '/no_such_database') });
    try {
      const error = await store.migrate().catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'StorageError', retryable: false, status: '3D000', hint: expect.stringContaining('does not exist') });
    } finally {
      await store.destroy();
    }
  });

  it('tables not migrated: a StorageError that says to run migrate()', async () => {
    const store = new PostgresMetadataStore({ connectionString: url(), schema: `unmigrated_${process.pid}` });
    try {
      await expect(store.listNames('acme')).rejects.toMatchObject({ name: 'StorageError', hint: expect.stringContaining('migrate()') });
    } finally {
      await store.destroy();
    }
  });

  describe('a connection lost in the middle of a change', () => {
    const schema = `lost_${process.pid}`;
    let admin: pg.Client;
    let store: PostgresMetadataStore;
    beforeAll(async () => {
      admin = new pg.Client({ connectionString: url() });
      await admin.connect();
      const pool = new pg.Pool({ connectionString: url(), application_name: 'lost-connection-test', max: 2 });
      // The host's pool: pg asks its owner to listen for errors of idle connections (a terminated backend).
      pool.on('error', () => {});
      store = new PostgresMetadataStore({ pool, schema });
      await store.migrate();
    });
    afterAll(async () => {
      await store.destroy();
      await admin.end();
    });

    it('rolls the change back and reports a retryable error; a retry then succeeds', async () => {
      const manifest = { schema: 1 as const, tenantId: 'acme', name: 'Greeter', version: '1.0.0', sha256: 'a'.repeat(64), sourceMapSha256: 'b'.repeat(64), sourceSha256: 'c'.repeat(64), entry: 'index.ts', files: [], sizes: { sourceBytes: 1, bundleBytes: 1, sourceMapBytes: 1 }, imports: [], findings: [], esbuildVersion: 'x', publishedAt: '2026-01-01T00:00:00.000Z', metadata: { category: 'action' as const, ports: [] }, metadataSource: 'inspect' as const };
      await store.claimVersion(manifest, { files: { 'index.ts': 'x' }, bundleUrl: 'memory:///x' });
      const add = lifeCycle.addVersion('acme', 'Greeter', { version: '1.0.0', sha256: 'a'.repeat(64), publishedAt: '2026-01-01T00:00:00.000Z' });
      await store.updateIndex('acme', 'Greeter', add, Date.now);
      // Hold the node's head row, so the store's next change waits inside its transaction…
      await admin.query('BEGIN');
      await admin.query(`SELECT 1 FROM "${schema}".custom_node_heads WHERE tenant_id = 'acme' AND name = 'Greeter' FOR UPDATE`);
      const pending = store.updateIndex('acme', 'Greeter', lifeCycle.approve('acme', 'Greeter', '1.0.0', 'rita'), Date.now).catch((e: unknown) => e);
      // …then drop its connection.
      for (let i = 0; i < 100; i++) {
        const r = await admin.query(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'lost-connection-test' AND wait_event_type = 'Lock'`);
        if (r.rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await admin.query('ROLLBACK');
      const error = await pending;
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ retryable: true });
      // Nothing half-written: still revision 1, still a draft, one audit event.
      expect(await store.readIndex('acme', 'Greeter')).toMatchObject({ revision: 1, versions: { '1.0.0': { review: 'draft' } } });
      expect(await store.readAudit('acme', {})).toHaveLength(1);
      // The retry goes through on a fresh connection.
      await store.updateIndex('acme', 'Greeter', lifeCycle.approve('acme', 'Greeter', '1.0.0', 'rita'), Date.now);
      expect(await store.readIndex('acme', 'Greeter')).toMatchObject({ revision: 2, versions: { '1.0.0': { review: 'approved' } } });
    });
  });
});
