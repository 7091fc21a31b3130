/**
 * `PostgresRateLimiter`: a {@link RateLimiter} whose counters every worker shares, in two tables of
 * the metadata store's schema (migrations/0003_rate_limits.sql). A take is one statement: GCRA's
 * step (src/rate-limits/gcra.ts) as `INSERT … ON CONFLICT (key) DO UPDATE SET tat = … WHERE …
 * RETURNING`; Postgres locks the row while it checks the condition, so N workers taking at once
 * admit exactly what one would. A quota count is the same shape on the day's counter.
 *
 * Times are the workers' clocks (ms since the epoch): keep them synchronised (NTP); a worker δ ms
 * ahead can admit up to `runsPerSecond × δ / 1000` runs early.
 *
 * @module
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DAY_MS, intervalMs, toleranceMs, utcDay } from '../../rate-limits/gcra.js';
import type { RateDecision, RateLimiter, RateSpec } from '../../rate-limits/types.js';
import { openPostgres, type PostgresConnectionOptions, type PostgresTables } from './connection.js';
import type { MigrationReport } from './migrations.js';
import { postgresError } from './postgres-errors.js';

/** Options of {@link PostgresRateLimiter}: where the tables are (the metadata store's pool, schema and prefix). */
export type PostgresRateLimiterOptions = PostgresConnectionOptions;

const ADMITTED: RateDecision = Object.freeze({ ok: true });

/**
 * Rate and daily-quota counters in PostgreSQL, shared by every worker.
 *
 * @example
 * ```ts
 * import { PostgresRateLimiter } from '@wayfarer-ai/btree-plugins/metadata/postgres';
 * const rateLimiter = new PostgresRateLimiter({ pool });
 * await rateLimiter.migrate(); // once at start, from any number of workers
 * const host = new PluginHost({ btree, storage, rateLimiter, rateLimits: { runsPerSecond: 20 } });
 * ```
 */
export class PostgresRateLimiter implements RateLimiter {
  readonly name = 'postgres';
  readonly #db: Kysely<unknown>;
  readonly #t: PostgresTables;
  readonly #buckets: RawBuilder<unknown>;
  readonly #days: RawBuilder<unknown>;
  readonly #migrate: () => Promise<MigrationReport>;
  readonly #ownsPool: boolean;

  constructor(options: PostgresRateLimiterOptions) {
    const { db, tables, table, migrate } = openPostgres('PostgresRateLimiter', options);
    this.#db = db;
    this.#t = tables;
    this.#buckets = table('rate_limit_buckets');
    this.#days = table('rate_limit_days');
    this.#migrate = migrate;
    this.#ownsPool = options.pool === undefined;
  }

  /** Creates or updates the schema's tables (every migration of the metadata store; safe from many workers at once). */
  migrate(): Promise<MigrationReport> {
    return this.#migrate();
  }

  /** Where the tables are. */
  get tables(): PostgresTables {
    return this.#t;
  }

  async take(key: string, rate: RateSpec, now: number): Promise<RateDecision> {
    const interval = intervalMs(rate);
    const tolerance = toleranceMs(rate);
    try {
      const r = await sql<{ tat: number }>`
        INSERT INTO ${this.#buckets} AS b (key, tat) VALUES (${key}, ${now}::double precision + ${interval}::double precision)
        ON CONFLICT (key) DO UPDATE SET tat = GREATEST(b.tat, ${now}::double precision) + ${interval}::double precision
        WHERE GREATEST(b.tat, ${now}::double precision) - ${now}::double precision <= ${tolerance}::double precision
        RETURNING tat`.execute(this.#db);
      if (r.rows.length === 1) return ADMITTED;
      // Refused: read the bucket as the refusing statement found it (a new statement sees what it waited for) to size the wait.
      const current = await sql<{ tat: number }>`SELECT tat FROM ${this.#buckets} WHERE key = ${key}`.execute(this.#db);
      const tat = current.rows[0]?.tat ?? now;
      return { ok: false, retryAfterMs: Math.max(1, Math.max(tat, now) - now - tolerance) };
    } catch (e) {
      return postgresError('rateLimit.take', e);
    }
  }

  async count(key: string, quota: number, now: number): Promise<RateDecision> {
    const day = utcDay(now);
    try {
      // A new day resets the counter; a worker whose clock is still on the day before counts against the newer one.
      const r = await sql<{ used: string }>`
        INSERT INTO ${this.#days} AS d (key, day, used) SELECT ${key}, ${day}::integer, 1 WHERE ${quota}::bigint > 0
        ON CONFLICT (key) DO UPDATE SET
          day = GREATEST(d.day, EXCLUDED.day),
          used = CASE WHEN EXCLUDED.day > d.day THEN 1 ELSE d.used + 1 END
        WHERE EXCLUDED.day > d.day OR d.used < ${quota}::bigint
        RETURNING used`.execute(this.#db);
      if (r.rows.length === 1) return ADMITTED;
      return { ok: false, retryAfterMs: (day + 1) * DAY_MS - now };
    } catch (e) {
      return postgresError('rateLimit.count', e);
    }
  }

  /** Ends the pool the limiter made from a connection string (a pool the host passed is left open). */
  async dispose(): Promise<void> {
    if (this.#ownsPool) await this.#db.destroy();
  }
}
