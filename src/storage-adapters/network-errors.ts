/**
 * Recognises network failures (reset, refused, timed out) that are worth retrying, whichever
 * HTTP stack the cloud SDK uses.
 *
 * @module
 */

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** True when `error` (or its cause) is a connection-level failure rather than an answer of the server. */
export function isNetworkError(error: unknown): boolean {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && /socket hang up|network socket disconnected|other side closed/i.test(e.message)) return true;
  }
  return false;
}
