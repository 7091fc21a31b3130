/**
 * Cross-site request forgery, with the web UI on: a browser sends its session cookie with every
 * request, including those another site's page makes, so a write that carries cookies must also
 * carry the signed-in user's `X-CSRF-Token` — on every state-changing route, the marketplace's and
 * the playground's included. Reads, and API clients that send no cookies, need none; without the
 * UI there is no check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKETPLACE_ROUTES } from '../../src/http/marketplace-routes.js';
import { PLAYGROUND_ROUTES } from '../../src/http/playground-routes.js';
import { ROUTES } from '../../src/http/routes.js';
import { PluginHost } from '../../src/plugin-host.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import * as btree from '../../src/testing/index.js';
import { ANA, EVE, RITA, startApiServer, token, type Answer, type ApiServer } from './api-server.js';
import { CSRF_SECRET, cookieOf, cookieOrTokenAuthenticate, expectedCsrfToken } from './cookie-session.js';
import { plainSource } from './nodes.js';

let host: PluginHost;
let api: ApiServer;

beforeAll(async () => {
  host = new PluginHost({ btree, storage: new MemoryStorage(), execution: { isolation: 'inline' }, interpreters: { javascript: true } });
  api = await startApiServer({ host, authenticate: cookieOrTokenAuthenticate, ui: { csrfSecret: CSRF_SECRET } });
});
afterAll(async () => {
  await api.close();
  await host.dispose();
});

const upload = (version: string) => ({ name: 'Guarded', version, sourceCode: plainSource('Guarded') });

function expectRefused(answer: Answer, code: 'CSRF_TOKEN_MISSING' | 'CSRF_TOKEN_INVALID'): void {
  expect(answer.status, answer.text).toBe(403);
  expect(answer.json).toEqual({ error: { code, message: expect.any(String), hint: expect.stringContaining('GET <prefix>/session') } });
}

describe('CSRF protection with the web UI on', () => {
  it('refuses a write with cookies but no X-CSRF-Token on every state-changing route (403 CSRF_TOKEN_MISSING)', async () => {
    const writes = [...ROUTES, ...MARKETPLACE_ROUTES, ...PLAYGROUND_ROUTES].filter((r) => r.method !== 'GET');
    expect(writes.length).toBe(6 + 11 + 2);
    for (const route of writes) {
      const path = route.url.replace(':id', route.url.startsWith('/marketplace') ? 'acme-tools.Guarded' : 'Guarded@1.0.0').replace(/:(\w+)/g, (_m, p: string) => ({ name: 'Guarded', as: 'Guarded', version: '1.0.0', slug: 'acme-tools', reviewId: 'r1' })[p] ?? p);
      // Roles that grant every route: the CSRF check, not the role check, must be what refuses.
      const answer = await api.call(route.method, path, { token: null, headers: cookieOf(token('acme', 'ana', ['approver', 'platform-admin'])), body: {} });
      expectRefused(answer, 'CSRF_TOKEN_MISSING');
    }
    // Nothing was written.
    expect((await api.call('GET', '/custom-nodes')).json.nodes).toEqual([]);
  });

  it("refuses another user's token, the same user's token of another tenant, and a made-up one (403 CSRF_TOKEN_INVALID)", async () => {
    const rita = (await api.call('GET', '/session', { token: RITA })).json.csrfToken;
    for (const wrong of [rita, expectedCsrfToken(CSRF_SECRET, 'evil', 'ana'), 'x'.repeat(43), `${expectedCsrfToken(CSRF_SECRET, 'acme', 'ana')}x`]) {
      expectRefused(await api.call('POST', '/custom-nodes', { token: null, headers: { ...cookieOf(ANA), 'x-csrf-token': wrong }, body: upload('1.0.0') }), 'CSRF_TOKEN_INVALID');
    }
    expectRefused(await api.call('POST', '/custom-nodes', { token: null, headers: { ...cookieOf(ANA), 'x-csrf-token': '' }, body: upload('1.0.0') }), 'CSRF_TOKEN_MISSING');
  });

  it("lets a write through with the signed-in user's token from GET /session", async () => {
    const session = await api.call('GET', '/session', { token: null, headers: cookieOf(ANA) });
    expect(session.json.csrfToken).toBe(expectedCsrfToken(CSRF_SECRET, 'acme', 'ana'));
    const answer = await api.call('POST', '/custom-nodes', { token: null, headers: { ...cookieOf(ANA), 'x-csrf-token': session.json.csrfToken }, body: upload('1.0.0') });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.json.customNode).toMatchObject({ id: 'Guarded@1.0.0', createdBy: 'ana' });
    const script = await api.call('POST', '/playground/scripts', { token: null, headers: { ...cookieOf(ANA), 'x-csrf-token': session.json.csrfToken }, body: { language: 'javascript', script: 'result = 1 + 1' } });
    expect(script.json).toMatchObject({ ok: true, value: 2 });
  });

  it('needs no token from an API client that sends no cookies (a bearer token)', async () => {
    const answer = await api.call('POST', '/custom-nodes', { token: ANA, body: upload('1.0.1') });
    expect(answer.status, answer.text).toBe(201);
    expect((await api.call('POST', '/custom-nodes/Guarded@1.0.1/approve', { token: RITA })).status).toBe(200);
  });

  it('needs no token for reads that carry cookies', async () => {
    for (const path of ['/session', '/custom-nodes', '/tenant', '/audit', '/marketplace/listings']) {
      const answer = await api.call('GET', path, { token: null, headers: cookieOf(ANA) });
      expect(answer.status, `${path}: ${answer.text}`).toBe(200);
    }
  });

  it('authenticates first: a cookie that signs no one in is 401, not a CSRF refusal', async () => {
    const answer = await api.call('POST', '/custom-nodes', { token: null, headers: { cookie: 'theme=dark' }, body: upload('1.0.2') });
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe('UNAUTHENTICATED');
  });

  it('accepts tokens across servers that share csrfSecret; the default secret is random per server', async () => {
    const twin = await startApiServer({ host, authenticate: cookieOrTokenAuthenticate, ui: { csrfSecret: Buffer.from(CSRF_SECRET) } });
    const stranger = await startApiServer({ host, authenticate: cookieOrTokenAuthenticate, ui: true });
    try {
      const tokenOfApi = (await api.call('GET', '/session', { token: EVE })).json.csrfToken;
      expect((await twin.call('GET', '/session', { token: EVE })).json.csrfToken).toBe(tokenOfApi);
      expect((await stranger.call('GET', '/session', { token: EVE })).json.csrfToken).not.toBe(tokenOfApi);
      const withApiToken = { token: null, headers: { ...cookieOf(EVE), 'x-csrf-token': tokenOfApi }, body: { language: 'javascript', script: 'result = 3' } };
      expect((await twin.call('POST', '/playground/scripts', withApiToken)).status).toBe(200);
      expectRefused(await stranger.call('POST', '/playground/scripts', withApiToken), 'CSRF_TOKEN_INVALID');
    } finally {
      await twin.close();
      await stranger.close();
    }
  });

  it('does not check without the UI (the token is the UI’s)', async () => {
    const plain = await startApiServer({ host, authenticate: cookieOrTokenAuthenticate });
    try {
      const answer = await plain.call('POST', '/playground/scripts', { token: null, headers: cookieOf(ANA), body: { language: 'javascript', script: 'result = 4' } });
      expect(answer.status, answer.text).toBe(200);
      expect((await plain.call('GET', '/session', { token: null, headers: cookieOf(ANA) })).json).not.toHaveProperty('csrfToken');
    } finally {
      await plain.close();
    }
  });
});
