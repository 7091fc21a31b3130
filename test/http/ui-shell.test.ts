/**
 * The web UI's shell and files under `<prefix>/ui`: served without credentials, every answer (errors
 * included) with the strict Content-Security-Policy and its companion headers, the files named by
 * content so browsers may keep them, the host's title and sign-in page escaped into the page, and
 * the `ui` option checked at registration.
 */
import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customNodesApi } from '../../src/http/index.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { fixedInspector } from '../registry/helpers.js';
import { startApiServer, tokenAuthenticate, type Answer, type ApiServer } from './api-server.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const registry = () => new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() });

let api: ApiServer;

beforeAll(async () => {
  api = await startApiServer({ host: registry(), prefix: '/api', ui: { title: 'Acme <script>alert(1)</script> & "nodes"', signInUrl: '/login?next="><script>x()</script>' } });
});
afterAll(async () => api.close());

function expectUiHeaders(answer: Answer): void {
  expect(answer.headers.get('content-security-policy')).toBe(CSP);
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  expect(answer.headers.get('referrer-policy')).toBe('same-origin');
  expect(answer.headers.get('x-frame-options')).toBe('DENY');
  expect(answer.headers.get('cross-origin-opener-policy')).toBe('same-origin');
}

/** The `src`/`href` of the shell's script and stylesheet. */
function assetUrls(html: string): { script: string; stylesheet: string } {
  return { script: /<script type="module" src="([^"]+)"><\/script>/.exec(html)![1]!, stylesheet: /<link rel="stylesheet" href="([^"]+)">/.exec(html)![1]! };
}

describe('the web UI shell', () => {
  it('is served at /ui and /ui/ without credentials, as HTML with the CSP and security headers, and no inline script or style', async () => {
    const shell = await api.call('GET', '/ui', { token: null });
    expect(shell.status, shell.text).toBe(200);
    expect(shell.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    expectUiHeaders(shell);
    expect(shell.text).toMatch(/^<!doctype html><html lang="en"><head><meta charset="utf-8">/);
    expect(shell.text).toContain('<meta name="btree-plugins-api" content="/api">');
    expect(shell.text).toContain('<div id="app"></div>');
    const { script, stylesheet } = assetUrls(shell.text);
    expect(script).toMatch(/^\/api\/ui\/assets\/app\.js\?v=[0-9a-f]{16}$/);
    expect(stylesheet).toMatch(/^\/api\/ui\/assets\/app\.css\?v=[0-9a-f]{16}$/);
    // Every script has a src; no inline style attribute or element.
    expect(shell.text.match(/<script/g)).toHaveLength(1);
    expect(shell.text).not.toMatch(/<style|\sstyle=|\son\w+=/i);
    expect((await api.call('GET', '/ui/', { token: null })).text).toBe(shell.text);
  });

  it('escapes the title and the sign-in page: a title holding <script> appears as text', async () => {
    const { text } = await api.call('GET', '/ui', { token: null });
    expect(text).toContain('<title>Acme &#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;nodes&#34;</title>');
    expect(text).toContain('<meta name="btree-plugins-sign-in" content="/login?next=&#34;&#62;&#60;script&#62;x()&#60;/script&#62;">');
    expect(text.match(/<script/g)).toHaveLength(1);
    expect(text).not.toContain('alert(1)</script>');
  });

  it('serves the files the shell names, for good when asked by their version, revalidated otherwise', async () => {
    const { script, stylesheet } = assetUrls((await api.call('GET', '/ui', { token: null })).text);
    const js = await api.call('GET', script.slice('/api'.length), { token: null });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expectUiHeaders(js);
    // The version is the content's: a changed file gets a new URL.
    expect(createHash('sha256').update(js.text).digest('hex').slice(0, 16)).toBe(script.split('?v=')[1]);
    const css = await api.call('GET', stylesheet.slice('/api'.length), { token: null });
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const stale of ['/ui/assets/app.js', '/ui/assets/app.js?v=0000000000000000']) {
      const answer = await api.call('GET', stale, { token: null });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('answers an unknown file, or any other path under /ui/, 404 in the API error shape with the same headers', async () => {
    for (const path of ['/ui/assets/secrets.js', '/ui/assets/..%2Fpackage.json', '/ui/assets/__proto__', '/ui/nodes/Greeter']) {
      const answer = await api.call('GET', path, { token: null });
      expect(answer.status, path).toBe(404);
      expect(answer.json, path).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), hint: expect.any(String) } });
      expectUiHeaders(answer);
    }
  });

  it('omits the sign-in meta without signInUrl, and takes the defaults with `ui: true`', async () => {
    const plain = await startApiServer({ host: registry(), ui: true });
    try {
      const shell = await plain.call('GET', '/ui', { token: null });
      expect(shell.text).toContain('<title>Custom nodes</title>');
      expect(shell.text).toContain('<meta name="btree-plugins-api" content="">');
      expect(shell.text).not.toContain('btree-plugins-sign-in');
      expect(assetUrls(shell.text).script).toMatch(/^\/ui\/assets\/app\.js\?v=/);
    } finally {
      await plain.close();
    }
  });

  it("mounts on a host router that ignores trailing slashes (no duplicate /ui/ route)", async () => {
    const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
    await app.register(customNodesApi, { host: registry(), authenticate: tokenAuthenticate, prefix: '/api', ui: true });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api`;
      const [bare, slash] = await Promise.all([fetch(`${base}/ui`), fetch(`${base}/ui/`)]);
      expect([bare.status, slash.status]).toEqual([200, 200]);
      expect(await slash.text()).toBe(await bare.text());
    } finally {
      await app.close();
    }
  });

  it('claims no /ui path without `ui`: a host keeps its own page there', async () => {
    const app = Fastify({ logger: false });
    await app.register(customNodesApi, { host: registry(), authenticate: tokenAuthenticate });
    app.get('/ui', async (_request, reply) => reply.type('text/html').send('<p>the host page</p>'));
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/ui`);
      expect(await response.text()).toBe('<p>the host page</p>');
      expect(response.headers.get('content-security-policy')).toBeNull();
    } finally {
      await app.close();
    }
  });

  it('refuses unusable ui options at registration, saying what to fix', async () => {
    const host = registry();
    await expect(startApiServer({ host, ui: { csrfSecret: 'short' } })).rejects.toThrow(/ui\.csrfSecret has 5 bytes; it needs at least 32.*HINT: use a random secret/);
    await expect(startApiServer({ host, ui: { csrfSecret: new Uint8Array(16) } })).rejects.toThrow(/ui\.csrfSecret has 16 bytes/);
    await expect(startApiServer({ host, ui: { signInUrl: 'javascript:alert(1)' } })).rejects.toThrow(/ui\.signInUrl "javascript:alert\(1\)" is neither a path starting with "\/" nor an http\(s\) URL/);
    await expect(startApiServer({ host, ui: { signInUrl: '//evil.example/login' } })).rejects.toThrow(/ui\.signInUrl/);
    await expect(startApiServer({ host, ui: { title: '' } })).rejects.toThrow(/ui\.title "" is not a short title/);
    await expect(startApiServer({ host, ui: { title: 'x'.repeat(121) } })).rejects.toThrow(/ui\.title .* is not a short title.*1-120 characters/);
    await expect(startApiServer({ host, ui: { theme: 'dark' } as never })).rejects.toThrow(/ui\.theme is not an option of the UI/);
    await expect(startApiServer({ host, ui: 'yes' as never })).rejects.toThrow(/ui is "yes".*HINT: pass `ui: true`/);
    for (const ok of ['https://auth.example.com/login?next=%2Fapi%2Fui', 'http://localhost:3000/sign-in', '/sign-in']) {
      const server = await startApiServer({ host, ui: { signInUrl: ok, csrfSecret: 'x'.repeat(32) } });
      await server.close();
    }
  });
});
