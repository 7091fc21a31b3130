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
import type { IndexChangeNotice } from '../../src/registry/metadata-store.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { fixedInspector, nodeSource, until } from '../registry/helpers.js';
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

  describe('the change feed\'s connection is lost (hazard: a cache that goes deaf serves stale versions)', () => {
    const schema = `feed_lost_${process.pid}`;
    let admin: pg.Client;
    const pools: pg.Pool[] = [];
    const registries: TenantRegistry[] = [];
    beforeAll(async () => {
      admin = new pg.Client({ connectionString: url() });
      await admin.connect();
    });
    afterAll(async () => {
      for (const r of registries) await r.close();
      await Promise.all(pools.map((p) => p.end()));
      await admin.end();
    });

    function registryOn(backend: MemoryBackend, application: string) {
      const pool = new pg.Pool({ connectionString: url(), application_name: application, max: 4 });
      pool.on('error', () => {});
      pools.push(pool);
      const store = new PostgresMetadataStore({ pool, schema });
      const registry = new TenantRegistry({ storage: new MemoryStorage({ backend }), metadata: store, inspector: fixedInspector() });
      registries.push(registry);
      return { store, registry };
    }

    it('the cache is not used while the feed is down, the feed comes back by itself, and changes reach the cache again', async () => {
      const backend = new MemoryBackend();
      const writer = registryOn(backend, 'feed-writer');
      const reader = registryOn(backend, 'feed-reader');
      await writer.store.migrate();
      const publish = async (version: string) => {
        await writer.registry.publish('acme', { name: 'Greeter', version, source: nodeSource('Greeter', Number(version.split('.')[1])) });
        await writer.registry.approve('acme', 'Greeter', version, { by: 'rev' });
        await writer.registry.activate('acme', 'Greeter', version, { by: 'ops' });
      };
      await publish('1.0.0');
      // The test's own watcher shares the reader store's feed (one LISTEN session per store).
      const notices: IndexChangeNotice[] = [];
      const watch = reader.store.watchIndexes((n) => notices.push(n));
      await watch.ready;
      expect((await reader.registry.resolve('acme', 'Greeter')).version).toBe('1.0.0');
      expect((await reader.registry.resolve('acme', 'Greeter')).version).toBe('1.0.0');

      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'feed-reader' AND query LIKE 'LISTEN %'`);
      expect(killed.rowCount).toBe(1);
      await until(() => !watch.live, 'the feed to notice the lost connection');
      expect(notices.at(-1)).toEqual({ reset: true });
      // Changed while the reader's feed is deaf: no notice reaches it, so it must read the store.
      await publish('1.1.0');
      expect((await reader.registry.resolve('acme', 'Greeter')).version).toBe('1.1.0');

      await until(() => watch.live, 'the feed to reconnect');
      expect(notices.at(-1)).toEqual({ reset: true });
      expect((await reader.registry.resolve('acme', 'Greeter')).version).toBe('1.1.0');
      await publish('1.2.0');
      await until(async () => (await reader.registry.resolve('acme', 'Greeter')).version === '1.2.0', 'the activation to reach the reader through the restored feed');
      await watch.close();
    });

    it('a pool of one connection: the feed refuses to take it, and the registry still answers from the store', async () => {
      const pool = new pg.Pool({ connectionString: url(), max: 1 });
      pools.push(pool);
      const store = new PostgresMetadataStore({ pool, schema });
      const watch = store.watchIndexes(() => {});
      const error = await watch.ready.catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ConfigurationError', hint: expect.stringContaining('indexCache: false') });
      await watch.close();
      const registry = new TenantRegistry({ storage: new MemoryStorage({ backend: new MemoryBackend() }), metadata: store, inspector: fixedInspector() });
      registries.push(registry);
      expect(await registry.list('acme')).toEqual(expect.any(Array));
      await expect(registry.resolve('acme', 'Nobody')).rejects.toThrow('node not found');
    });
  });
});
