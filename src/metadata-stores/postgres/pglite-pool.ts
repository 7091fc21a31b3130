/**
 * PGlite (Postgres compiled to WebAssembly, in process) behind the small part of `pg`'s Pool
 * interface that Kysely's `PostgresDialect` uses, so the store has one code path for both.
 * PGlite has one session: a "connection" is that session, lent to one caller at a time, so a
 * transaction is never interleaved with another caller's statements.
 *
 * @module
 */
import type { PGlite } from '@electric-sql/pglite';

/** What `PostgresDialect` calls on a pool client. */
interface PoolClient {
  query(sql: string, parameters: readonly unknown[]): Promise<{ rows: unknown[]; rowCount: number; command: string }>;
  release(): void;
}

/** A pool of one PGlite session. */
export class PgliteSessionPool {
  readonly #db: PGlite;
  #queue: Promise<void> = Promise.resolve();

  constructor(db: PGlite) {
    this.#db = db;
  }

  /** Lends the session; the next caller waits until `release()`. */
  async connect(): Promise<PoolClient> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const before = this.#queue;
    this.#queue = before.then(() => turn);
    await before;
    let released = false;
    const db = this.#db;
    return {
      async query(sql, parameters) {
        if (parameters.length === 0) {
          // Like `pg` without parameters (the simple protocol): several statements may run at once (migrations).
          const results = await db.exec(sql);
          const last = results[results.length - 1];
          return { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? 0, command: commandOf(sql) };
        }
        const result = await db.query(sql, [...parameters]);
        return { rows: result.rows, rowCount: result.affectedRows ?? 0, command: commandOf(sql) };
      },
      release() {
        if (released) return;
        released = true;
        release();
      },
    };
  }

  /**
   * LISTENs on `channel` through PGlite's own API, taking its turn on the session (a LISTEN issued
   * inside another caller's transaction would be undone by its rollback). PGlite is one process's
   * database, so its notifications are this process's own changes; the session is never lost.
   */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    const turn = await this.connect();
    try {
      const unlisten = await this.#db.listen(channel, onPayload);
      return async () => {
        const again = await this.connect();
        try {
          await unlisten();
        } finally {
          again.release();
        }
      };
    } finally {
      turn.release();
    }
  }

  async end(): Promise<void> {
    await this.#queue;
  }
}

/** `INSERT`, `UPDATE`, … — what `pg` reports as `command` (Kysely reads affected rows for these). */
function commandOf(sql: string): string {
  const m = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql);
  return (m?.[1] ?? '').toUpperCase();
}
