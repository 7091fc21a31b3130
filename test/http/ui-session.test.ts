/**
 * `GET /session`: who is signed in and what they may do, as the UI reads it first — each
 * permission as the configured roles grant it, the marketplace and playground as the host serves
 * them, the interpreters the host enabled (read without starting an engine), and, with the UI on,
 * the caller's CSRF token and the sign-in page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROLES } from '../../src/http/index.js';
import { PluginHost } from '../../src/plugin-host.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import * as btree from '../../src/testing/index.js';
import { fixedInspector } from '../registry/helpers.js';
import { ANA, RITA, startApiServer, token, type ApiServer } from './api-server.js';
import { CSRF_SECRET, cookieOf, cookieOrTokenAuthenticate, expectedCsrfToken } from './cookie-session.js';

const ADMIN = token('ops', 'olga', ['platform-admin']);

/** Every permission true but those in `except`. */
function canAllBut(...except: string[]): Record<string, boolean> {
  return Object.fromEntries(Object.keys(DEFAULT_ROLES).map((p) => [p, !except.includes(p)]));
}

let host: PluginHost;
let api: ApiServer;

beforeAll(async () => {
  host = new PluginHost({ btree, storage: new MemoryStorage(), interpreters: { javascript: { limits: { defaultTimeoutMs: 1000 } } } });
  api = await startApiServer({ host, prefix: '/api', authenticate: cookieOrTokenAuthenticate, ui: { csrfSecret: CSRF_SECRET, signInUrl: '/login' } });
});
afterAll(async () => {
  await api.close();
  await host.dispose();
});

describe('GET /session', () => {
  it('answers an author their tenant, roles, permissions, the served features, the enabled interpreters and their CSRF token', async () => {
    const answer = await api.call('GET', '/session', { token: ANA });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({
      tenantId: 'acme',
      userId: 'ana',
      roles: [],
      can: canAllBut('review', 'marketplaceAdmin'),
      marketplace: true,
      playground: true,
      interpreters: { javascript: true, python: false },
      csrfToken: expectedCsrfToken(CSRF_SECRET, 'acme', 'ana'),
      signInUrl: '/login',
    });
    expect(Object.keys(answer.json.can)).toContain('playground');
  });

  it('grants review to an approver and the marketplace admin to a platform admin, and no more', async () => {
    const rita = (await api.call('GET', '/session', { token: RITA })).json;
    expect(rita).toMatchObject({ userId: 'rita', roles: ['approver'], can: canAllBut('marketplaceAdmin') });
    expect(rita.csrfToken).toBe(expectedCsrfToken(CSRF_SECRET, 'acme', 'rita'));
    const olga = (await api.call('GET', '/session', { token: ADMIN })).json;
    expect(olga).toMatchObject({ tenantId: 'ops', can: canAllBut('review') });
  });

  it('answers a browser signed in by cookie the same, and 401 in the API shape to one that is not signed in', async () => {
    const byCookie = await api.call('GET', '/session', { token: null, headers: cookieOf(ANA) });
    expect(byCookie.json).toEqual((await api.call('GET', '/session', { token: ANA })).json);
    const anonymous = await api.call('GET', '/session', { token: null, headers: { cookie: 'theme=dark' } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toEqual({ error: expect.objectContaining({ code: 'UNAUTHENTICATED' }) });
  });

  it('follows the configured roles, the playground permission included', async () => {
    const strict = await startApiServer({ host, roles: { upload: 'developer', playground: ['developer', 'admin'], review: null } });
    try {
      const ana = (await strict.call('GET', '/session', { token: ANA })).json;
      expect(ana.can).toEqual(canAllBut('upload', 'playground', 'marketplaceAdmin'));
      const dev = (await strict.call('GET', '/session', { token: token('acme', 'dev', ['developer']) })).json;
      expect(dev.can).toEqual(canAllBut('marketplaceAdmin'));
    } finally {
      await strict.close();
    }
  });

  it('has no CSRF token without the UI, and no marketplace, playground or interpreters with a bare registry', async () => {
    const bare = await startApiServer({ host: new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() }) });
    try {
      const answer = await bare.call('GET', '/session');
      expect(answer.json).toEqual({
        tenantId: 'acme',
        userId: 'ana',
        roles: [],
        can: canAllBut('review', 'marketplaceAdmin'),
        marketplace: false,
        playground: false,
        interpreters: { javascript: false, python: false },
      });
    } finally {
      await bare.close();
    }
  });

  it('reads the enabled interpreters without creating an engine', async () => {
    const fresh = new PluginHost({ btree, storage: new MemoryStorage(), interpreters: { javascript: true, python: { limits: { defaultTimeoutMs: 2000 } } } });
    try {
      expect(fresh.enabledInterpreters()).toEqual({
        javascript: expect.objectContaining({ defaultTimeoutMs: 5000 }),
        python: expect.objectContaining({ defaultTimeoutMs: 2000, maxTimeoutMs: 300_000 }),
      });
      // A bad interpreter limit fails when the host is made, not on the first tick.
      expect(() => new PluginHost({ btree, storage: new MemoryStorage(), interpreters: { javascript: { limits: { defaultTimeoutMs: -1 } } } })).toThrow(/defaultTimeoutMs must be a positive finite number/);
    } finally {
      await fresh.dispose();
    }
    expect(() => fresh.enabledInterpreters()).toThrow(/disposed/i);
  });

  it('is in the OpenAPI document, open to every authenticated user, with every permission in `can`', async () => {
    const doc = (await api.call('GET', '/openapi.json', { token: null })).json;
    const op = doc.paths['/api/session'].get;
    expect(op.description).toContain('Every authenticated user.');
    expect(Object.keys(op.responses['200'].content['application/json'].schema.properties.can.properties).sort()).toEqual(Object.keys(DEFAULT_ROLES).sort());
  });
});
