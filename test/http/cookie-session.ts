/**
 * A browser-style session for the UI tests: the host's `authenticate` reads the principal from a
 * `session` cookie (as `Bearer` tokens carry it in api-server.ts), and falls back to the bearer
 * token, so one server takes both kinds of caller. Also the CSRF token as the contract defines it,
 * computed here independently of src/http/csrf.ts.
 */
import { createHmac } from 'node:crypto';
import type { CustomNodesApiOptions } from '../../src/http/index.js';
import { tokenAuthenticate } from './api-server.js';

/** Reads `session=<tenant>|<user>|<roles>` from the Cookie header, else the bearer token. */
export const cookieOrTokenAuthenticate: CustomNodesApiOptions['authenticate'] = (request) => {
  const found = /(?:^|;\s*)session=([^;]*)/.exec(request.headers.cookie ?? '');
  if (!found) return tokenAuthenticate(request);
  const [tenantId, userId, roles] = decodeURIComponent(found[1]!).split('|');
  return { tenantId: tenantId!, userId: userId!, roles: roles ? roles.split(',') : [] };
};

/** The headers of a browser signed in as `token` (another cookie beside the session, as browsers send). */
export function cookieOf(token: string): Record<string, string> {
  return { cookie: `theme=dark; session=${encodeURIComponent(token)}` };
}

/** A CSRF secret of 32 bytes. */
export const CSRF_SECRET = 'a-test-secret-of-at-least-32-bytes!!';

/** base64url(HMAC-SHA256(secret, tenantId + "\n" + userId)). */
export function expectedCsrfToken(secret: string, tenantId: string, userId: string): string {
  return createHmac('sha256', secret).update(`${tenantId}\n${userId}`).digest('base64url');
}
