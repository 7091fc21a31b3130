/**
 * The Postgres store's change feed (`MetadataStore.watchIndexes`): every index transaction sends
 * `pg_notify` (delivered on commit, never for a rolled-back change), and one session per store
 * LISTENs for all its watchers (`listenSessions`: PGlite's own `listen`, or a dedicated client of
 * a `pg` Pool). A lost session is re-established with backoff; each time the feed becomes live
 * it sends `reset`, since changes made while it was deaf sent no notice.
 *
 * @module
 */
import { ConfigurationError } from '../../errors.js';
import type { IndexChangeNotice, IndexWatch } from '../../registry/metadata-store.js';
import type { PostgresPool } from './connection.js';

/** The channel every store's transactions notify on; payloads name their tables, so stores of other schemas are ignored. */
export const FEED_CHANNEL = 'btree_plugins_index_changes';

/** The payload of one notification. */
export interface FeedPayload {
  /** `schema.prefix` of the tables changed. */
  s: string;
  t: string;
  n: string;
  r: number;
}

/** Opens one listening session: `onPayload` per notification on the channel, `onLost` once if it ends unasked. */
export type OpenListenSession = (channel: string, onPayload: (payload: string) => void, onLost: (cause: unknown) => void) => Promise<() => Promise<void>>;

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

/** @internal One LISTEN session shared by every watcher of one store. */
export class IndexFeed {
  readonly #open: OpenListenSession;
  readonly #tables: string;
  readonly #listeners = new Set<(notice: IndexChangeNotice) => void>();
  #live = false;
  #session: (() => Promise<void>) | undefined;
  #starting: Promise<void> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #retryMs = FIRST_RETRY_MS;
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(open: OpenListenSession, tables: string) {
    this.#open = open;
    this.#tables = tables;
  }

  /** The payload this store's transactions send for a change. */
  payload(tenant: string, name: string, revision: number): string {
    const p: FeedPayload = { s: this.#tables, t: tenant, n: name, r: revision };
    return JSON.stringify(p);
  }

  watch(listener: (notice: IndexChangeNotice) => void): IndexWatch {
    this.#listeners.add(listener);
    let closed = false;
    const ready = this.#live ? Promise.resolve() : new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#session && !this.#starting && !this.#retry) this.#start();
    const feed = this;
    return {
      get live() {
        return !closed && feed.#live;
      },
      ready,
      async close() {
        if (closed) return;
        closed = true;
        feed.#listeners.delete(listener);
        if (feed.#listeners.size === 0) await feed.#stop();
      },
    };
  }

  /** Stops the session and every watcher. */
  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#stop();
  }

  #start(): void {
    this.#starting = (async () => {
      try {
        const close = await this.#open(FEED_CHANNEL, (payload) => this.#deliver(payload), (cause) => this.#lost(cause));
        this.#starting = undefined;
        if (this.#listeners.size === 0) {
          await close();
          return;
        }
        this.#session = close;
        this.#live = true;
        this.#retryMs = FIRST_RETRY_MS;
        this.#emit({ reset: true });
        for (const w of this.#waiters.splice(0)) w.resolve();
      } catch (e) {
        this.#starting = undefined;
        for (const w of this.#waiters.splice(0)) w.reject(e);
        // A connection that failed may come back; a configuration that cannot work will not.
        if ((e as { name?: unknown })?.name !== 'ConfigurationError') this.#scheduleRetry();
      }
    })();
  }

  #deliver(payload: string): void {
    let p: FeedPayload;
    try {
      p = JSON.parse(payload) as FeedPayload;
    } catch {
      return;
    }
    if (p?.s !== this.#tables || typeof p.t !== 'string' || typeof p.n !== 'string') return;
    this.#emit({ tenant: p.t, name: p.n, ...(Number.isInteger(p.r) ? { revision: p.r } : {}) });
  }

  #lost(_cause: unknown): void {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    this.#live = false;
    this.#emit({ reset: true });
    session().catch(() => {});
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#listeners.size === 0 || this.#retry) return;
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#listeners.size > 0 && !this.#session && !this.#starting) this.#start();
    }, wait);
    this.#retry.unref?.();
  }

  async #stop(): Promise<void> {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#live = false;
    await this.#starting?.catch(() => {});
    const session = this.#session;
    this.#session = undefined;
    await session?.();
  }

  #emit(notice: IndexChangeNotice): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(notice);
      } catch {
        // A listener's failure is its own; the others still hear the notice.
      }
    }
  }
}

/**
 * How the feed opens its LISTEN session on this pool: PGlite's own `listen` (one process, one
 * session), or a dedicated client of a `pg` Pool, destroyed rather than returned to the pool
 * when the feed stops. The client's socket does not keep the process alive.
 */
export function listenSessions(pool: PostgresPool): OpenListenSession {
  const pglite = pool as PostgresPool & { listen?: (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>> };
  if (typeof pglite.listen === 'function') return (channel, onPayload) => pglite.listen!(channel, onPayload);
  return async (channel, onPayload, onLost) => {
    if ((pool as { options?: { max?: number } }).options?.max === 1) {
      throw new ConfigurationError('the index change feed needs a connection of its own, and the pool has only one', {
        hint: 'give the pool `max: 2` or more, or pass `indexCache: false` to the registry',
      });
    }
    const client = (await pool.connect()) as ListenClient;
    let closing = false;
    let done = false;
    const end = (cause: unknown) => {
      if (done) return;
      done = true;
      if (!closing) onLost(cause);
    };
    client.on('notification', (m) => {
      if (m.channel === channel && typeof m.payload === 'string') onPayload(m.payload);
    });
    client.on('error', end);
    client.on('end', () => end(new Error('the listening connection ended')));
    try {
      await client.query(`LISTEN ${channel}`);
    } catch (e) {
      done = true;
      client.release(e instanceof Error ? e : true);
      throw e;
    }
    client.connection?.stream?.unref?.();
    let released = false;
    return async () => {
      closing = true;
      done = true;
      if (released) return;
      released = true;
      // Destroyed, not returned (a pooled connection must not keep listening); a lost one too,
      // or the pool would wait for it forever when it ends.
      client.release(true);
    };
  };
}

/** The part of a `pg` PoolClient a listening session uses. */
interface ListenClient {
  on(event: 'notification', listener: (m: { channel: string; payload?: string }) => void): void;
  on(event: 'error' | 'end', listener: (e?: unknown) => void): void;
  query(text: string): Promise<unknown>;
  release(destroy?: boolean | Error): void;
  connection?: { stream?: { unref?: () => void } };
}
