/**
 * How a browser signs in to the example API server, for the web UI (`<prefix>/ui`): a form at
 * `/sign-in` takes one of the server's tokens and sets it as an HttpOnly, SameSite=Strict cookie;
 * `tokenAuthenticator` then accepts the cookie as it accepts `Authorization: Bearer`. `/sign-out`
 * clears it. The UI's writes carry the plugin's CSRF token, which a cookie-authenticated request
 * must have (docs/ui.md).
 *
 * A real platform keeps its own sign-in (sessions, SSO) and reads its own cookie in `authenticate`.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SESSION_COOKIE, tokenAuthenticator, type TokenTable } from './tokens.js';

/** Where the sign-in form is. */
export const SIGN_IN_PATH = '/sign-in';
/** How long a browser stays signed in (seconds). */
const SESSION_SECONDS = 8 * 60 * 60;
/** The pages below have no script and no style: nothing else may load. */
const PAGE_CSP = "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function page(reply: FastifyReply, status: number, message: string): FastifyReply {
  const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return reply
    .code(status)
    .headers({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, 'x-frame-options': 'DENY', 'cache-control': 'no-store' })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in</title></head><body>` +
        `<main><h1>Sign in</h1><p>${text}</p><form method="post" action="${SIGN_IN_PATH}">` +
        `<p><label for="token">Token</label><br><input id="token" name="token" type="password" autocomplete="current-password" required size="40"></p>` +
        `<p><button type="submit">Sign in</button></p></form></main></body></html>`,
    );
}

/**
 * Adds `GET /sign-in` (the form), `POST /sign-in` (a known token → the session cookie, then a 303 to
 * `uiUrl`; an unknown one → 401 and the form again) and `POST /sign-out` to `app`.
 */
export async function registerSignIn(app: FastifyInstance, options: { tokens: TokenTable; uiUrl: string; secureCookie?: boolean }): Promise<void> {
  const authenticate = tokenAuthenticator(options.tokens);
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    const cookie = (value: string, maxAge: number): string =>
      `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${options.secureCookie ? '; Secure' : ''}`;

    scope.get(SIGN_IN_PATH, async (_request, reply) => page(reply, 200, 'Paste a token that npm run api-server printed (or one of your tokens file).'));
    scope.post(SIGN_IN_PATH, async (request, reply) => {
      const token = (request.body as { token?: unknown } | undefined)?.token;
      // The same check the API makes: the token as a bearer credential.
      const principal = typeof token === 'string' && token.length <= 512 ? await authenticate({ headers: { authorization: `Bearer ${token}` } } as never) : null;
      if (!principal) return page(reply, 401, 'That token is not one this server accepts. Check it and try again.');
      return reply.code(303).header('set-cookie', cookie(encodeURIComponent(token as string), SESSION_SECONDS)).header('location', options.uiUrl).send();
    });
    scope.post('/sign-out', async (_request, reply) => reply.code(303).header('set-cookie', cookie('', 0)).header('location', SIGN_IN_PATH).send());
  });
}
