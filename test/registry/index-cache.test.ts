/**
 * The registry's index cache (src/registry/index-cache.ts): served on the hot path, never stale
 * beyond what its mode promises. Two registries over one set of stores stand for two processes.
 * The change-feed mode runs on PGlite here (two stores on one PGlite: LISTEN/NOTIFY within one
 * database); test/metadata-stores/postgres-failures.test.ts covers a feed lost on a real server.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { PgliteSessionPool, PostgresMetadataStore } from '../../src/metadata-stores/postgres/index.js';
import type { IndexWatch, MetadataStore } from '../../src/registry/metadata-store.js';
import { ObjectStoreMetadata } from '../../src/registry/object-store-metadata.js';
import { TenantRegistry, type TenantRegistryOptions } from '../../src/registry/tenant-registry.js';
import type { IndexDocument } from '../../src/registry/types.js';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { fixedInspector, nodeSource, until } from './helpers.js';

const T = 'acme';

/** A store that counts index reads, can hold them, and hands out its watches. */
class CountingStore implements MetadataStore {
  readonly name: string;
  indexReads = 0;
  watches: IndexWatch[] = [];
  /** While set, readIndex waits for it after reading (`held` counts the reads waiting). */
  hold: Promise<void> | undefined;
  held = 0;
  readonly #inner: MetadataStore;

  constructor(inner: MetadataStore) {
    this.#inner = inner;
    this.name = inner.name;
    if (inner.watchIndexes) {
      this.watchIndexes = (listener) => {
        const watch = inner.watchIndexes!(listener);
        this.watches.push(watch);
        return watch;
      };
    }
  }

  watchIndexes?: MetadataStore['watchIndexes'];
  claimVersion: MetadataStore['claimVersion'] = (m, u) => this.#inner.claimVersion(m, u);
  readManifest: MetadataStore['readManifest'] = (t, n, v) => this.#inner.readManifest(t, n, v);
  async readIndex(tenant: string, name: string): Promise<IndexDocument | undefined> {
    this.indexReads++;
    const doc = await this.#inner.readIndex(tenant, name);
    if (this.hold) {
      this.held++;
      await this.hold;
    }
    return doc;
  }
  async readIndexes(tenant: string, names: readonly string[]): Promise<Array<IndexDocument | undefined>> {
    this.indexReads += names.length;
    return Promise.all(names.map((n) => this.#inner.readIndex(tenant, n)));
  }
  updateIndex: MetadataStore['updateIndex'] = (t, n, c, k) => this.#inner.updateIndex(t, n, c, k);
  listNames: MetadataStore['listNames'] = (t) => this.#inner.listNames(t);
  readAudit: MetadataStore['readAudit'] = (t, q) => this.#inner.readAudit(t, q);
  recordUsage: MetadataStore['recordUsage'] = (t, w, n, v, a) => this.#inner.recordUsage(t, w, n, v, a);
  readUsages: MetadataStore['readUsages'] = (t, n, v) => this.#inner.readUsages(t, n, v);
}

async function ready(registry: TenantRegistry, version: string, activate = true): Promise<void> {
  await registry.publish(T, { name: 'Greeter', version, source: nodeSource('Greeter', Number(version.split('.')[1])) });
  await registry.approve(T, 'Greeter', version, { by: 'rev' });
  if (activate) await registry.activate(T, 'Greeter', version, { by: 'ops' });
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('index cache without a change feed (object-store metadata)', () => {
  function world(options: Partial<TenantRegistryOptions> = {}) {
    const backend = new MemoryBackend();
    const make = (more: Partial<TenantRegistryOptions> = {}) => {
      const storage = new MemoryStorage({ backend });
      const metadata = new CountingStore(new ObjectStoreMetadata(storage));
      return { registry: new TenantRegistry({ storage, metadata, inspector: fixedInspector(), ...options, ...more }), metadata };
    };
    return { writer: make(), make };
  }

  it('is off by default: every resolve reads the index, so another process\'s activation is seen at once', async () => {
    const { writer, make } = world();
    const reader = make();
    await ready(writer.registry, '1.0.0');
    expect((await reader.registry.resolve(T, 'Greeter')).version).toBe('1.0.0');
    await ready(writer.registry, '1.1.0');
    expect((await reader.registry.resolve(T, 'Greeter')).version).toBe('1.1.0');
    expect(reader.metadata.indexReads).toBe(2);
  });

  it('with ttlMs: serves from memory until the entry is ttlMs old (by the registry clock); its own changes are seen at once', async () => {
    let now = Date.UTC(2026, 0, 1);
    const { writer, make } = world();
    const reader = make({ indexCache: { ttlMs: 5_000 }, clock: () => now });
    await ready(writer.registry, '1.0.0');
    expect((await reader.registry.resolve(T, 'Greeter')).version).toBe('1.0.0');
    await ready(writer.registry, '1.1.0');
    now += 4_999;
    // Another process's change may go unseen for up to ttlMs: that is the promise of this mode.
    expect((await reader.registry.resolve(T, 'Greeter')).version).toBe('1.0.0');
    expect(reader.metadata.indexReads).toBe(1);
    now += 1;
    expect((await reader.registry.resolve(T, 'Greeter')).version).toBe('1.1.0');
    expect(reader.metadata.indexReads).toBe(2);
    // This process's own change replaces the entry at once.
    await reader.registry.rollback(T, 'Greeter', { by: 'ops' });
    expect((await reader.registry.resolve(T, 'Greeter')).version).toBe('1.0.0');
    expect(reader.metadata.indexReads).toBe(2);
  });

  it('indexCache: false turns it off even with ttlMs elsewhere; management reads never use it', async () => {
    const { writer, make } = world();
    const cached = make({ indexCache: { ttlMs: 60_000 } });
    await ready(writer.registry, '1.0.0');
    await cached.registry.resolve(T, 'Greeter');
    await ready(writer.registry, '1.1.0');
    expect((await cached.registry.versions(T, 'Greeter')).map((v) => [v.version, v.status])).toEqual([['1.1.0', 'active'], ['1.0.0', 'approved']]);
    const off = make({ indexCache: false });
    await off.registry.resolve(T, 'Greeter');
    await off.registry.resolve(T, 'Greeter');
    expect(off.metadata.indexReads).toBe(2);
  });
});

describe('index cache with a change feed (PostgreSQL LISTEN/NOTIFY, here on PGlite)', () => {
  async function world() {
    const db = new PGlite();
    const backend = new MemoryBackend();
    const stores: PostgresMetadataStore[] = [];
    const registries: TenantRegistry[] = [];
    closers.push(async () => {
      for (const r of registries) await r.close();
      for (const s of stores) await s.destroy();
      await db.close();
    });
    const pool = new PgliteSessionPool(db);
    const make = () => {
      const store = new PostgresMetadataStore({ pool });
      stores.push(store);
      const metadata = new CountingStore(store);
      const registry = new TenantRegistry({ storage: new MemoryStorage({ backend }), metadata, inspector: fixedInspector() });
      registries.push(registry);
      return { registry, metadata };
    };
    await new PostgresMetadataStore({ pool }).migrate();
    return make;
  }

  /**
   * A writer and a reader registry (two processes); Greeter 1.0.0 active; the reader has resolved
   * once, which starts its feed, and its feed is live.
   */
  async function activeAndWarm() {
    const make = await world();
    const writer = make();
    const reader = make();
    await ready(writer.registry, '1.0.0');
    await reader.registry.resolve(T, 'Greeter');
    expect(reader.metadata.watches).toHaveLength(1);
    await reader.metadata.watches[0]!.ready;
    return { writer, reader };
  }

  it('is on by default: repeated resolves read the index once, and another registry\'s activation reaches it through the feed', async () => {
    const { writer, reader } = await activeAndWarm();
    const before = reader.metadata.indexReads;
    for (let i = 0; i < 5; i++) expect((await reader.registry.resolve(T, 'Greeter')).version).toBe('1.0.0');
    expect(reader.metadata.indexReads - before).toBe(1);
    await ready(writer.registry, '1.1.0');
    await until(async () => (await reader.registry.resolve(T, 'Greeter')).version === '1.1.0', 'the activation to reach the reader');
    // activeNodes and loadBundle use the same entries.
    const reads = reader.metadata.indexReads;
    expect((await reader.registry.activeNodes(T)).map((n) => n.version)).toEqual(['1.1.0']);
    await reader.registry.loadBundle(T, 'Greeter', '1.1.0');
    expect(reader.metadata.indexReads).toBe(reads);
  });

  it('a read that was in flight when a change was noticed is answered but not kept', async () => {
    const { writer, reader } = await activeAndWarm();
    // Make the reader cache 1.1.0; the deprecation below then evicts that entry, and the reader's next read is held.
    await ready(writer.registry, '1.1.0');
    await until(async () => (await reader.registry.resolve(T, 'Greeter')).version === '1.1.0', 'the first activation');
    const heard: number[] = [];
    const spy = reader.metadata.watchIndexes!((n) => {
      if ('revision' in n && n.revision !== undefined) heard.push(n.revision);
    });
    await spy.ready;
    await writer.registry.deprecate(T, 'Greeter', '1.1.0', { reason: 'evicts the entry', by: 'ops' });
    await until(() => heard.length === 1, 'the deprecation notice');
    let release!: () => void;
    reader.metadata.hold = new Promise<void>((r) => (release = r));
    const inFlight = reader.registry.resolve(T, 'Greeter');
    await until(() => reader.metadata.held === 1, 'the read to have its document');
    // The read has its document; now another process changes the node, and the notice arrives.
    await writer.registry.rollback(T, 'Greeter', { by: 'ops' });
    await until(() => heard.length === 2, 'the rollback notice');
    reader.metadata.hold = undefined;
    release();
    expect((await inFlight).version).toBe('1.1.0');
    expect((await reader.registry.resolve(T, 'Greeter')).version).toBe('1.0.0');
    await spy.close();
  });

  it('close() stops the feed; later resolves read the store', async () => {
    const { writer, reader } = await activeAndWarm();
    await reader.registry.close();
    expect(reader.metadata.watches[0]!.live).toBe(false);
    const before = reader.metadata.indexReads;
    await reader.registry.resolve(T, 'Greeter');
    await reader.registry.resolve(T, 'Greeter');
    expect(reader.metadata.indexReads - before).toBe(2);
  });
});
