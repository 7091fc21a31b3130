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

  async end(): Promise<void> {
    await this.#queue;
  }
}

/** `INSERT`, `UPDATE`, … — what `pg` reports as `command` (Kysely reads affected rows for these). */
function commandOf(sql: string): string {
  const m = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(sql);
  return (m?.[1] ?? '').toUpperCase();
}
