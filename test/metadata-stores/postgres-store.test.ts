/**
 * What only the Postgres store has: migrations that two worker processes may run at once, tables a
 * host can join with its own, and rows a database writer could change behind the registry's back.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/errors.js';
import { PostgresMetadataStore } from '../../src/metadata-stores/postgres/index.js';
import { TenantRegistry, type TenantRegistryOptions } from '../../src/registry/tenant-registry.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { fixedInspector, nodeSource } from '../registry/helpers.js';

const url = () => process.env.BTREE_PLUGINS_POSTGRES_URL!;
const pool = new pg.Pool({ connectionString: url(), max: 4 });
pool.on('error', () => {});
// Registries hold their index cache's LISTEN connection until closed.
const registries: TenantRegistry[] = [];
afterAll(async () => {
  for (const r of registries) await r.close();
  await pool.end();
});

async function registryIn(schema: string, options: Partial<TenantRegistryOptions> = {}) {
  const metadata = new PostgresMetadataStore({ pool, schema });
  await metadata.migrate();
  const registry = new TenantRegistry({ storage: new MemoryStorage(), metadata, inspector: fixedInspector(), requireApproval: false, ...options });
  registries.push(registry);
  return registry;
}

describe('postgres store', () => {
  it('two worker processes migrating at once: each migration applied exactly once', async () => {
    const schema = `migrate_race_${process.pid}`;
    const child = join(import.meta.dirname, 'fixtures', 'migrate-child.ts');
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', child, schema], { env: process.env });
    const [a, b] = await Promise.all([run(), run()]);
    const applied = [JSON.parse(a.stdout).applied, JSON.parse(b.stdout).applied];
    expect(applied.flat().sort()).toEqual(['0001_initial', '0002_marketplace', '0003_rate_limits']);
    const recorded = await pool.query(`SELECT name FROM "${schema}".btree_plugins_migrations ORDER BY name`);
    expect(recorded.rows).toEqual([{ name: '0001_initial' }, { name: '0002_marketplace' }, { name: '0003_rate_limits' }]);
  });

  it("a host's SQL joins workflow_node_dependencies with its own table to find the workflows using a version", async () => {
    const schema = `join_${process.pid}`;
    const registry = await registryIn(schema);
    for (const version of ['1.0.0', '1.1.0']) await registry.publish('acme', { name: 'Greeter', version, source: nodeSource('Greeter', Number(version.split('.')[1])), author: 'ana' });
    await registry.recordUsage('acme', 'b6d5c7a0-0000-4000-8000-000000000001', [{ name: 'Greeter', version: '1.0.0' }]);
    await registry.recordUsage('acme', 'b6d5c7a0-0000-4000-8000-000000000002', [{ name: 'Greeter', version: '1.1.0' }]);
    // The host's own table, keyed by UUID (workflow_id is text, so it compares as text).
    await pool.query(`CREATE TABLE "${schema}".host_workflows (id uuid PRIMARY KEY, title text NOT NULL)`);
    await pool.query(`INSERT INTO "${schema}".host_workflows VALUES ('b6d5c7a0-0000-4000-8000-000000000001', 'Order notifications'), ('b6d5c7a0-0000-4000-8000-000000000002', 'Billing')`);
    const using = await pool.query(
      `SELECT w.title, n.version, n.status, n.created_by, n.source_code LIKE '%class Greeter%' AS has_source, n.bundle_url
         FROM "${schema}".host_workflows w
         JOIN "${schema}".workflow_node_dependencies d ON d.workflow_id = w.id::text
         JOIN "${schema}".custom_nodes n ON n.id = d.custom_node_id
        WHERE n.tenant_id = 'acme' AND n.name = 'Greeter' AND n.version = '1.0.0'`,
    );
    expect(using.rows).toEqual([{ title: 'Order notifications', version: '1.0.0', status: 'draft', created_by: 'ana', has_source: true, bundle_url: 'memory:///tenants/acme/nodes/Greeter/1.0.0/bundle.js' }]);
  });

  it('keeps status, is_active and the one-active-version rule in the rows', async () => {
    const schema = `rows_${process.pid}`;
    const registry = await registryIn(schema);
    for (const version of ['1.0.0', '1.1.0']) await registry.publish('acme', { name: 'Greeter', version, source: nodeSource('Greeter', Number(version.split('.')[1])) });
    await registry.activate('acme', 'Greeter', '1.0.0');
    await registry.activate('acme', 'Greeter', '1.1.0');
    await registry.deprecate('acme', 'Greeter', '1.0.0', { reason: 'old' });
    const rows = await pool.query(`SELECT version, status, is_active, deprecated_reason FROM "${schema}".custom_nodes ORDER BY version`);
    expect(rows.rows).toEqual([
      { version: '1.0.0', status: 'deprecated', is_active: false, deprecated_reason: 'old' },
      { version: '1.1.0', status: 'active', is_active: true, deprecated_reason: null },
    ]);
    // The database refuses a second active version, whoever writes.
    await expect(pool.query(`UPDATE "${schema}".custom_nodes SET is_active = true WHERE version = '1.0.0'`)).rejects.toThrow(/custom_nodes_one_active/);
  });

  it('readIndexes answers in one batch what readIndex answers per node, in the order asked', async () => {
    const schema = `batch_${process.pid}`;
    const registry = await registryIn(schema);
    for (const name of ['Alpha', 'Beta']) await registry.publish('acme', { name, version: '1.0.0', source: nodeSource(name) });
    await registry.activate('acme', 'Beta', '1.0.0');
    const store = new PostgresMetadataStore({ pool, schema });
    const batch = await store.readIndexes('acme', ['Beta', 'Missing', 'Alpha']);
    expect(batch).toEqual([await store.readIndex('acme', 'Beta'), undefined, await store.readIndex('acme', 'Alpha')]);
    expect(await store.readIndexes('acme', [])).toEqual([]);
  });

  it('tamper: a row whose sha256 was changed behind the registry is refused on load', async () => {
    const schema = `tamper_${process.pid}`;
    // Without an index cache, so that every read below goes to the tampered row. (A registry that
    // cached the row before the tamper, which sent no notice, keeps the hash it read then.)
    const registry = await registryIn(schema, { indexCache: false });
    await registry.publish('acme', { name: 'Greeter', version: '1.0.0', source: nodeSource('Greeter') });
    await registry.activate('acme', 'Greeter', '1.0.0');
    await pool.query(`UPDATE "${schema}".custom_nodes SET sha256 = $1`, ['f'.repeat(64)]);
    // A fresh registry (no cached manifest), as another worker would be.
    const fresh = new TenantRegistry({ storage: new MemoryStorage(), metadata: new PostgresMetadataStore({ pool, schema }) });
    registries.push(fresh);
    await expect(fresh.resolve('acme', 'Greeter')).rejects.toThrow(IntegrityError);
    await expect(registry.loadBundle('acme', 'Greeter', '1.0.0')).rejects.toThrow(/disagree/);
  });
});
