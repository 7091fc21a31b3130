/**
 * The registry's cache of index documents, for the hot path (`resolve`, `activeNodes`,
 * `loadBundle`). Two ways to keep it honest:
 *
 * - **Change feed** (a store with `watchIndexes`, e.g. PostgreSQL's LISTEN/NOTIFY): an entry is
 *   served only while the feed is live, and dropped when a notice names its node (unless the entry
 *   is already at the noticed revision or newer). A lost feed empties the cache; nothing is served
 *   from it until the feed is back. `ttlMs` still bounds an entry's age.
 * - **Time** (any other store, only when the host asks for it with `ttlMs`): an entry is served for
 *   `ttlMs`; another process's change is seen at the latest that much later.
 *
 * In both, this process's own changes replace the entry at once (read-your-writes), and a read
 * that raced with a change is never stored: every change or notice bumps an epoch, and a read
 * stores its result only if the epoch did not move while it was in flight.
 *
 * @module
 */
import { LRUCache } from 'lru-cache';
import type { IndexChangeNotice, IndexWatch, MetadataStore } from './metadata-store.js';
import type { IndexDocument } from './types.js';

/** Options of the index cache (`TenantRegistryOptions.indexCache`). */
export interface IndexCacheOptions {
  /** How many index documents to keep (default 10,000). */
  max?: number;
  /**
   * Longest time an entry is served, in milliseconds of the registry's clock. With a store that
   * has a change feed: default 60,000 (a safety bound; changes arrive as notices). Without one,
   * caching is off unless this is set, and it is then how stale a read may be.
   */
  ttlMs?: number;
}

interface Entry {
  doc: IndexDocument;
  at: number;
}

const DEFAULT_MAX = 10_000;
const DEFAULT_TTL_WITH_FEED_MS = 60_000;

/** @internal */
export class IndexCache {
  readonly #store: MetadataStore;
  readonly #clock: () => number;
  readonly #ttlMs: number;
  readonly #entries: LRUCache<string, Entry>;
  readonly #useFeed: boolean;
  #watch: IndexWatch | undefined;
  #epoch = 0;
  #closed = false;

  /** `undefined` when caching is off for this store and these options. */
  static create(store: MetadataStore, clock: () => number, options: IndexCacheOptions | false | undefined): IndexCache | undefined {
    if (options === false) return undefined;
    const useFeed = typeof store.watchIndexes === 'function';
    if (!useFeed && options?.ttlMs === undefined) return undefined;
    const ttlMs = options?.ttlMs ?? DEFAULT_TTL_WITH_FEED_MS;
    if (ttlMs <= 0) return undefined;
    return new IndexCache(store, clock, useFeed, ttlMs, options?.max ?? DEFAULT_MAX);
  }

  private constructor(store: MetadataStore, clock: () => number, useFeed: boolean, ttlMs: number, max: number) {
    this.#store = store;
    this.#clock = clock;
    this.#useFeed = useFeed;
    this.#ttlMs = ttlMs;
    this.#entries = new LRUCache({ max });
  }

  /** The node's index document: cached when allowed, else read from the store (and cached). */
  async read(tenant: string, name: string): Promise<IndexDocument | undefined> {
    const key = keyOf(tenant, name);
    const hit = this.#usable() ? this.#fresh(key) : undefined;
    if (hit) return hit;
    const epoch = this.#epoch;
    const doc = await this.#store.readIndex(tenant, name);
    if (doc) this.#fill(key, doc, epoch);
    return doc;
  }

  /** Several documents; only the missing ones are read, with `read` (the registry's batch read). */
  async readMany(tenant: string, names: readonly string[], read: (missing: string[]) => Promise<Array<IndexDocument | undefined>>): Promise<Array<IndexDocument | undefined>> {
    const usable = this.#usable();
    const found = names.map((n) => (usable ? this.#fresh(keyOf(tenant, n)) : undefined));
    const missing = names.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found;
    const epoch = this.#epoch;
    const fetched = await read(missing);
    let j = 0;
    return found.map((doc, i) => {
      if (doc) return doc;
      const fresh = fetched[j++];
      if (fresh) this.#fill(keyOf(tenant, names[i]!), fresh, epoch);
      return fresh;
    });
  }

  /** This process changed a node: `doc` is what it wrote. */
  changed(doc: IndexDocument): void {
    this.#epoch++;
    const key = keyOf(doc.tenantId, doc.name);
    const cached = this.#entries.get(key);
    if (!cached || cached.doc.revision < doc.revision) this.#entries.set(key, { doc, at: this.#clock() });
  }

  /** Stops the change feed; later reads go to the store. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
    const watch = this.#watch;
    this.#watch = undefined;
    await watch?.close();
  }

  /** True when entries may be served now (starting the change feed on first use). */
  #usable(): boolean {
    if (this.#closed) return false;
    if (!this.#useFeed) return true;
    if (!this.#watch) {
      this.#watch = this.#store.watchIndexes!((notice) => this.#notice(notice));
      // A feed that cannot start leaves the cache unused (every read goes to the store); the
      // store reports why through its reads, which fail the same way.
      this.#watch.ready.catch(() => {});
    }
    return this.#watch.live;
  }

  #fresh(key: string): IndexDocument | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#clock() - entry.at >= this.#ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.doc;
  }

  #fill(key: string, doc: IndexDocument, epoch: number): void {
    if (this.#closed || epoch !== this.#epoch) return;
    if (this.#useFeed && !this.#watch?.live) return;
    this.#entries.set(key, { doc, at: this.#clock() });
  }

  #notice(notice: IndexChangeNotice): void {
    this.#epoch++;
    if ('reset' in notice) {
      this.#entries.clear();
      return;
    }
    const key = keyOf(notice.tenant, notice.name);
    const cached = this.#entries.get(key);
    if (cached && notice.revision !== undefined && cached.doc.revision >= notice.revision) return;
    this.#entries.delete(key);
  }
}

function keyOf(tenant: string, name: string): string {
  return `${tenant}\u0000${name}`;
}
