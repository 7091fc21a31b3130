/**
 * Cross-site request forgery protection for the web UI. A browser sends its cookies with every
 * request to the API's origin, including requests another site's page makes (a form POST, a
 * `fetch` with `credentials: 'include'`); such a page cannot read the answers, though. So every
 * state-changing request that carries a `Cookie` header must also carry `X-CSRF-Token`, a value only
 * a page of this origin can read (from `GET <prefix>/session`).
 *
 * The token is `base64url(HMAC-SHA256(secret, tenantId + "\n" + userId))`: stateless (no server
 * store, several processes sharing `csrfSecret` agree), bound to the signed-in user (another user's
 * token is refused), and compared in constant time. Requests without cookies (bearer-token API
 * clients, the CLI) are exempt: no browser attaches their credentials on its own.
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';
import type { ApiPrincipal } from './principal.js';

/** The request header that carries the token. */
export const CSRF_HEADER = 'x-csrf-token';

/** Smallest `csrfSecret`, in bytes: the HMAC key is as strong as its shortest guess. */
export const MIN_CSRF_SECRET_BYTES = 32;

/** Methods that change nothing, and so need no token (they may still carry cookies). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Derives and checks the CSRF tokens of one API mount. */
export class CsrfGuard {
  readonly #key: Buffer;

  /** `secret`: at least {@link MIN_CSRF_SECRET_BYTES} bytes (checked by the plugin's options); default: random for this process. */
  constructor(secret: Uint8Array = randomBytes(MIN_CSRF_SECRET_BYTES)) {
    // A copy: the host may reuse or zero its buffer.
    this.#key = Buffer.from(secret);
  }

  /** The token of a signed-in user, as `GET /session` gives it to the UI. */
  tokenFor(who: Pick<ApiPrincipal, 'tenantId' | 'userId'>): string {
    return createHmac('sha256', this.#key).update(`${who.tenantId}\n${who.userId}`, 'utf8').digest('base64url');
  }

  /**
   * Refuses (403) a state-changing request that carries cookies but not the caller's token.
   * Runs after authentication: the token is the authenticated user's.
   */
  check(request: FastifyRequest, who: ApiPrincipal): void {
    if (SAFE_METHODS.has(request.method) || request.headers.cookie === undefined) return;
    const sent = request.headers[CSRF_HEADER];
    if (sent === undefined || sent === '') {
      throw new ApiError(403, 'CSRF_TOKEN_MISSING', 'CSRF token missing', `a ${request.method} request with cookies needs the X-CSRF-Token header`, {
        hint: 'send the `csrfToken` of GET <prefix>/session as the X-CSRF-Token header on every write; API clients that authenticate with a bearer token send no cookies and need none',
      });
    }
    // Node joins repeated headers with ", ": a repeated token is not the token either.
    if (!sameText(typeof sent === 'string' ? sent : sent.join(', '), this.tokenFor(who))) {
      throw new ApiError(403, 'CSRF_TOKEN_INVALID', 'CSRF token invalid', 'the X-CSRF-Token header is not the token of the signed-in user', {
        hint: 'read the `csrfToken` of GET <prefix>/session again (it changes when another user signs in) and send it unchanged',
      });
    }
  }
}

/** Constant-time equality; only the length (public: every token has 43 characters) can leak. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
