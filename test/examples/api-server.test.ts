/**
 * The example API server (examples/api-server): started in-process with `startApiServer` on a free
 * port over a temporary data directory, driven with `fetch`; its token configuration; and
 * `npm run api-server`'s entry as a child process (listening line, SIGTERM, a bad tokens file).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import * as testHost from '../../src/testing/index.js';
import { startApiServer, type ApiServer } from '../../examples/api-server/server.js';
import { checkTokens, loadTokens, SESSION_COOKIE, tokenAuthenticator } from '../../examples/api-server/tokens.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const AUTHOR = 'test-author-token-0123456789';
const APPROVER = 'test-approver-token-0123456789';
const TOKENS = {
  [AUTHOR]: { tenantId: 'acme', userId: 'ana', roles: [] },
  [APPROVER]: { tenantId: 'acme', userId: 'rita', roles: ['approver'] },
};
const SOURCE = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class GreetCustomer extends ActionNode {\n  protected async executeTick() {\n    return NodeStatus.SUCCESS;\n  }\n}\n";

let dir: string;
let server: ApiServer;

async function call(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, json: await response.json() };
}

testHost.setTestHostLogging(false);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'btree-plugins-api-server-'));
  server = await startApiServer({ port: 0, dataDir: join(dir, 'data'), tokens: TOKENS, logger: false, btree: testHost });
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('startApiServer', () => {
  it('listens on 127.0.0.1 under /api and serves the OpenAPI document', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
    expect(server.openapiUrl).toBe(`${server.url}/openapi.json`);
    const response = await fetch(server.openapiUrl);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    expect(Object.keys(server.tokens).sort()).toEqual([AUTHOR, APPROVER].sort());
  });

  it('answers 401 without a token, with an unknown token and with another scheme', async () => {
    for (const token of [null, 'not-a-known-token-at-all', `${AUTHOR}x`]) {
      const answer = await call('GET', '/custom-nodes', token);
      expect(answer.status, String(token)).toBe(401);
      expect(answer.json.error.code).toBe('UNAUTHENTICATED');
    }
    const basic = await fetch(`${server.url}/custom-nodes`, { headers: { authorization: `Basic ${AUTHOR}` } });
    expect(basic.status).toBe(401);
  });

  it('uploads, approves (approver only) and activates through HTTP; the same upload again is 200', async () => {
    const upload = await call('POST', '/custom-nodes', AUTHOR, { name: 'GreetCustomer', version: '1.0.0', sourceCode: SOURCE });
    expect(upload.status).toBe(201);
    expect(upload.json.customNode).toMatchObject({ id: 'GreetCustomer@1.0.0', status: 'draft', active: false, createdBy: 'ana', category: 'action' });
    expect((await call('POST', '/custom-nodes', AUTHOR, { name: 'GreetCustomer', version: '1.0.0', sourceCode: SOURCE })).status).toBe(200);

    const id = encodeURIComponent('GreetCustomer@1.0.0');
    const byAuthor = await call('POST', `/custom-nodes/${id}/approve`, AUTHOR, {});
    expect(byAuthor.status).toBe(403);
    expect(byAuthor.json.error.code).toBe('FORBIDDEN');

    const approved = await call('POST', `/custom-nodes/${id}/approve`, APPROVER, { note: 'looks fine' });
    expect(approved.status).toBe(200);
    expect(approved.json.customNode).toMatchObject({ status: 'approved', reviewedBy: 'rita', reviewNote: 'looks fine' });

    const activated = await call('POST', `/custom-nodes/${id}/activate`, AUTHOR);
    expect(activated.status).toBe(200);
    expect(activated.json.customNode).toMatchObject({ status: 'active', active: true });

    const listed = await call('GET', '/custom-nodes', AUTHOR);
    expect(listed.status).toBe(200);
    expect(listed.json.nodes).toEqual([{ name: 'GreetCustomer', active: '1.0.0', latest: '1.0.0', versions: [{ id: 'GreetCustomer@1.0.0', version: '1.0.0', status: 'active' }] }]);
  });

  it('refuses a token table without tenantId before it starts anything', async () => {
    const start = startApiServer({ port: 0, dataDir: join(dir, 'never'), tokens: { [AUTHOR]: { userId: 'ana', roles: [] } as never }, logger: false, btree: testHost });
    await expect(start).rejects.toThrow(InvalidInputError);
    await expect(start).rejects.toThrow(/invalid API tokens \[source=options\.tokens\]: token #1 has no tenantId\. HINT: give every token the tenant it acts for/);
  });

  it('close() is idempotent', async () => {
    const other = await startApiServer({ port: 0, dataDir: join(dir, 'other'), tokens: TOKENS, logger: false, btree: testHost });
    await Promise.all([other.close(), other.close()]);
    await other.close();
    await expect(fetch(`${other.url}/custom-nodes`)).rejects.toThrow();
  });
});

describe('the web UI and the sign-in form', () => {
  it('serves the UI shell at /api/ui with its CSP, linking to the sign-in form', async () => {
    expect(server.uiUrl).toBe(`${server.url}/ui`);
    const shell = await fetch(server.uiUrl);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await shell.text();
    expect(html).toContain('<meta name="btree-plugins-sign-in" content="/sign-in">');
    const script = /<script type="module" src="([^"]+)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const app = await fetch(new URL(script!, server.uiUrl));
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toMatch(/javascript/);
  });

  it('a known token signs a browser in with an HttpOnly, SameSite=Strict cookie; an unknown one does not', async () => {
    const form = await fetch(server.signInUrl);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('<label for="token">Token</label>');

    const post = (token: string) =>
      fetch(server.signInUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
    const refused = await post('not-a-known-token-at-all');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('set-cookie')).toBeNull();

    const signedIn = await post(AUTHOR);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/api/ui');
    const cookie = signedIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0]!;

    // The cookie authenticates reads; a write needs the CSRF token that /session gives this user.
    const me = await fetch(`${server.url}/session`, { headers: { cookie: session } });
    expect(me.status).toBe(200);
    const who = (await me.json()) as { tenantId: string; userId: string; csrfToken: string; signInUrl: string };
    expect(who).toMatchObject({ tenantId: 'acme', userId: 'ana', signInUrl: '/sign-in' });
    const upload = { name: 'CookieNode', version: '1.0.0', sourceCode: SOURCE.replace('GreetCustomer', 'CookieNode') };
    const write = (headers: Record<string, string>) =>
      fetch(`${server.url}/custom-nodes`, { method: 'POST', headers: { cookie: session, 'content-type': 'application/json', ...headers }, body: JSON.stringify(upload) });
    const forged = await write({});
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('CSRF_TOKEN_MISSING');
    expect((await write({ 'x-csrf-token': who.csrfToken })).status).toBe(201);

    const out = await fetch(`${server.signInUrl.replace('/sign-in', '/sign-out')}`, { method: 'POST', redirect: 'manual', headers: { cookie: session } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });
});

describe('tokens', () => {
  it('a tokens file with bad JSON fails with what is wrong, which file, and how to fix it', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{ "abc": ');
    const loading = loadTokens({ BTREE_PLUGINS_API_TOKENS_FILE: file });
    await expect(loading).rejects.toThrow(InvalidInputError);
    await expect(loading).rejects.toThrow(`invalid API tokens [source=BTREE_PLUGINS_API_TOKENS_FILE=${file}]: not valid JSON`);
    await expect(loading).rejects.toThrow(/HINT: check quotes, commas and brackets/);
  });

  it('a token mapping without tenantId (or with a bad one, or unknown fields) fails naming the token by position', async () => {
    const json = JSON.stringify({ [AUTHOR]: { tenantId: 'acme', userId: 'ana', roles: [] }, [APPROVER]: { userId: 'rita', roles: ['approver'] } });
    await expect(loadTokens({ BTREE_PLUGINS_API_TOKENS: json })).rejects.toThrow(/\[source=BTREE_PLUGINS_API_TOKENS\]: token #2 has no tenantId/);
    expect(() => checkTokens({ [AUTHOR]: { tenantId: 'Acme Corp', userId: 'ana', roles: [] } }, 'x')).toThrow(/token #1: "Acme Corp" is not a tenant id.*HINT: tenant ids are 1-63 characters/);
    expect(() => checkTokens({ [AUTHOR]: { tenantId: 'acme', userId: 'ana', role: ['approver'] } }, 'x')).toThrow(/token #1 has the unknown field\(s\) "role"/);
    expect(() => checkTokens({ short: { tenantId: 'acme', userId: 'ana', roles: [] } }, 'x')).toThrow(/token #1 is 5 characters.*HINT: tokens are 16-512 visible ASCII characters/);
    expect(() => checkTokens([], 'x')).toThrow(/expected a JSON object mapping tokens to principals, got an array/);
    expect(() => checkTokens({}, 'x')).toThrow(/the table holds no token/);
  });

  it('a token never appears in an error message', () => {
    const secret = 'a-secret-token-value-9999';
    expect(() => checkTokens({ [secret]: { tenantId: 'acme' } }, 'x')).toThrow(/token #1 has no userId/);
    try {
      checkTokens({ [secret]: { tenantId: 'acme' } }, 'x');
    } catch (e) {
      expect((e as Error).message).not.toContain(secret);
    }
  });

  it('one of the two variables, not both; neither means none configured', async () => {
    await expect(loadTokens({})).resolves.toBeUndefined();
    await expect(loadTokens({ BTREE_PLUGINS_API_TOKENS: '{}', BTREE_PLUGINS_API_TOKENS_FILE: '/x.json' })).rejects.toThrow(/both are set.*HINT: set only one of them/);
    await expect(loadTokens({ BTREE_PLUGINS_API_TOKENS_FILE: join(dir, 'missing.json') })).rejects.toThrow(/the file cannot be read \(ENOENT\)/);
  });

  it('the authenticator takes `Bearer <token>` (any case of the scheme) and nothing else', () => {
    const authenticate = tokenAuthenticator(checkTokens(TOKENS, 'test'));
    const as = (authorization?: string) => authenticate({ headers: authorization === undefined ? {} : { authorization } } as never);
    expect(as(`Bearer ${APPROVER}`)).toEqual({ tenantId: 'acme', userId: 'rita', roles: ['approver'] });
    expect(as(`bearer ${AUTHOR}`)).toEqual({ tenantId: 'acme', userId: 'ana', roles: [] });
    for (const header of [undefined, '', AUTHOR, `Bearer ${AUTHOR} extra`, `Bearer ${AUTHOR.slice(0, -1)}`, `Token ${AUTHOR}`]) expect(as(header), String(header)).toBeNull();
  });

  it('a browser session cookie authenticates too, unless an Authorization header is sent (which alone decides)', () => {
    const authenticate = tokenAuthenticator(checkTokens(TOKENS, 'test'));
    const as = (headers: Record<string, string>) => authenticate({ headers } as never);
    expect(as({ cookie: `theme=dark; ${SESSION_COOKIE}=${encodeURIComponent(APPROVER)}` })).toEqual({ tenantId: 'acme', userId: 'rita', roles: ['approver'] });
    expect(as({ cookie: `${SESSION_COOKIE}=${AUTHOR}`, authorization: 'Bearer not-a-known-token-at-all' })).toBeNull();
    for (const cookie of ['', `${SESSION_COOKIE}=`, `${SESSION_COOKIE}=%E0%A4%A`, `other=${AUTHOR}`, `${SESSION_COOKIE}=${AUTHOR}x`]) expect(as({ cookie }), cookie).toBeNull();
  });
});

/** Runs `npm run api-server`'s command line; resolves when it exits. */
function runServer(env: NodeJS.ProcessEnv, onLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', 'examples/api-server/server.ts'], { cwd: repo, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) onLine?.(line, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run api-server (examples/api-server/server.ts as a program)', () => {
  it('prints the base and OpenAPI URLs, serves, and exits 0 on SIGTERM', async () => {
    let status: number | undefined;
    const run = await runServer({ PORT: '0', BTREE_PLUGINS_API_DATA_DIR: join(dir, 'program'), BTREE_PLUGINS_API_TOKENS: JSON.stringify(TOKENS) }, (line, child) => {
      const m = /^custom-nodes API listening on (http:\/\/127\.0\.0\.1:\d+\/api) \(OpenAPI: \1\/openapi\.json\)$/.exec(line);
      if (!m) return;
      void fetch(`${m[1]}/custom-nodes`, { headers: { authorization: `Bearer ${AUTHOR}` } }).then(
        (r) => {
          status = r.status;
          child.kill('SIGTERM');
        },
        () => child.kill('SIGTERM'),
      );
    });
    expect(run.stdout).toContain('2 token(s) from BTREE_PLUGINS_API_TOKENS');
    expect(status, run.stdout + run.stderr).toBe(200);
    expect(run.stdout).toContain('SIGTERM: closing the server');
    expect(run.code, run.stderr).toBe(0);
  });

  it('with a bad tokens file, exits 1 with the clear error and starts nothing', async () => {
    const file = join(dir, 'bad-program.json');
    await writeFile(file, 'not json');
    const run = await runServer({ PORT: '0', BTREE_PLUGINS_API_DATA_DIR: join(dir, 'program-bad'), BTREE_PLUGINS_API_TOKENS_FILE: file });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`api-server failed to start: InvalidInputError: invalid API tokens [source=BTREE_PLUGINS_API_TOKENS_FILE=${file}]: not valid JSON`);
    expect(run.stdout).not.toContain('listening');
  });
});
