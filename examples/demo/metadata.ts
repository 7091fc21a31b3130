/**
 * Where the demo keeps the registry's metadata: PostgreSQL at `DATABASE_URL` when it is set,
 * otherwise PGlite (Postgres in WebAssembly, in this process) in `<data dir>/pglite`. The bytes
 * (sources, bundles) stay in the filesystem store either way.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PgliteSessionPool, PostgresMetadataStore } from '../../src/metadata-stores/postgres/index.js';

export interface DemoMetadata {
  store: PostgresMetadataStore;
  /** What it is, for the demo's output. */
  label: string;
  close(): Promise<void>;
}

export async function openDemoMetadata(dataDir: string): Promise<DemoMetadata> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const store = new PostgresMetadataStore({ connectionString: url });
    await store.migrate();
    return { store, label: `PostgreSQL at DATABASE_URL (${url.replace(/:[^:@/]*@/, ':***@')})`, close: () => store.destroy() };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = join(dataDir, 'pglite');
  await mkdir(dataDir, { recursive: true });
  const db = new PGlite(dir);
  const store = new PostgresMetadataStore({ pool: new PgliteSessionPool(db) });
  await store.migrate();
  return { store, label: `PGlite in ${dir} (set DATABASE_URL to use a PostgreSQL server)`, close: () => db.close() };
}
