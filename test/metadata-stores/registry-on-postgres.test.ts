/**
 * The registry's whole behaviour suite (test/conformance/registry.ts) with its metadata on a real
 * PostgreSQL server: each test gets a fresh schema, the bytes stay in a memory storage adapter.
 */
import pg from 'pg';
import { afterAll } from 'vitest';
import { PostgresMetadataStore } from '../../src/metadata-stores/postgres/index.js';
import { TenantRegistry, type TenantRegistryOptions } from '../../src/registry/tenant-registry.js';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { describeRegistrySuite } from '../conformance/registry.js';
import { fixedInspector, steppingClock } from '../registry/helpers.js';

const pool = new pg.Pool({ connectionString: process.env.BTREE_PLUGINS_POSTGRES_URL!, max: 8 });
pool.on('error', () => {});
afterAll(async () => pool.end());
let worlds = 0;
// Every registry of a world, closed when the world is disposed (each holds its index cache's LISTEN connection).
const opened = new WeakMap<object, TenantRegistry[]>();

describeRegistrySuite({
  name: 'postgres (real server)',
  async create(options) {
    const schema = `registry_${process.pid}_${worlds++}`;
    const store = () => new PostgresMetadataStore({ pool, schema });
    await store().migrate();
    const backend = new MemoryBackend();
    const storage = new MemoryStorage({ backend });
    const registry = new TenantRegistry({ storage, metadata: store(), clock: steppingClock(), inspector: fixedInspector(), ...options });
    const registries = [registry];
    const world = {
      registry,
      storage,
      backend,
      another: (more: Partial<TenantRegistryOptions> = {}) => {
        const other = new TenantRegistry({ storage: new MemoryStorage({ backend }), metadata: store(), inspector: fixedInspector(), ...more });
        registries.push(other);
        return other;
      },
      async written() {
        const out: string[] = [];
        for await (const e of storage.list('')) out.push(e.key);
        for (const table of ['custom_nodes', 'custom_node_heads', 'custom_node_audit']) {
          const rows = await pool.query(`SELECT tenant_id, name FROM "${schema}".${table === 'custom_node_audit' ? 'custom_node_audit' : table}`.replace('tenant_id, name FROM "' + schema + '".custom_node_audit', 'tenant_id, node AS name FROM "' + schema + '".custom_node_audit'));
          for (const r of rows.rows as Array<{ tenant_id: string; name: string }>) out.push(`${table}:${r.tenant_id}/${r.name}`);
        }
        return out.sort();
      },
    };
    opened.set(world, registries);
    return world;
  },
  async dispose(world) {
    await Promise.all((opened.get(world) ?? []).map((r) => r.close()));
  },
});
