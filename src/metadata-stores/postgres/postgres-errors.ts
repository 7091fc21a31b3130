/**
 * PostgreSQL and connection failures as the library's `StorageError`: what failed, whether a retry
 * may help (`retryable`), and what to do. Nothing the database said about other tenants' data is
 * involved: the messages name the operation, the SQLSTATE and the server's own text.
 *
 * @module
 */
import { isBtreePluginsError, StorageError } from '../../errors.js';

/** SQLSTATEs and socket codes where the same request may succeed later. */
const RETRYABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '57P01', '57P02', '57P03', // admin shutdown, crash shutdown, cannot connect now
  '40001', '40P01', // serialization failure, deadlock
  '53300', // too many connections
]);

const HINTS: Record<string, string> = {
  ECONNREFUSED: 'the database does not accept connections at that address; check that it runs and the connection string',
  ENOTFOUND: 'the database host name does not resolve; check the connection string',
  '28P01': 'the database refused the password; check the connection string',
  '28000': 'the database refused the user; check the connection string and pg_hba.conf',
  '3D000': 'the database in the connection string does not exist; create it first',
  '42P01': 'the registry\'s tables are missing; run `await store.migrate()` once at start',
  '3F000': 'the schema is missing; run `await store.migrate()` once at start',
  '53300': 'the database has no free connections; lower the pool size or raise max_connections',
};

/** Rethrows `error` as a {@link StorageError} (library errors and errors of the registry's rules pass through). */
export function postgresError(operation: string, error: unknown): never {
  if (isBtreePluginsError(error)) throw error;
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const text = typeof e?.message === 'string' && e.message ? e.message : String(error);
  const lost = /Connection terminated|connection (?:is )?closed|Client has encountered a connection error/i.test(text);
  throw new StorageError('postgres', operation, code ? `${text} (${code})` : text, {
    retryable: (code !== undefined && RETRYABLE.has(code)) || lost,
    hint: (code && HINTS[code]) ?? (lost ? 'the connection to the database was lost; the transaction was rolled back, so retrying is safe' : 'see the database\'s log'),
    cause: error,
    ...(code ? { status: code } : {}),
  });
}
