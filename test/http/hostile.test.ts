/**
 * What a hostile or careless caller meets: other tenants' nodes are 404 (never 403), hostile
 * names, versions and ids are refused before any storage access, huge and malformed bodies get
 * 413/400/415, unknown routes 404 — every answer in the one error shape, none with a stack trace
 * or a path of this machine.
 */
import { homedir, tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PluginHost } from '../../src/plugin-host.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { loadBtree } from '../setup/btree-module.js';
import { fixedInspector } from '../registry/helpers.js';
import { ANA, EVE, RITA, startApiServer, token, type ApiServer } from './api-server.js';
import { plainSource } from './nodes.js';

let api: ApiServer;
let registry: TenantRegistry;

beforeAll(async () => {
  registry = new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() });
  api = await startApiServer({ host: registry, uploadRateLimit: false });
  expect((await api.call('POST', '/custom-nodes', { body: { name: 'Secret', version: '1.0.0', sourceCode: plainSource('Secret') } })).status).toBe(201);
});
afterAll(async () => {
  // Every answer of this file: the one error shape on errors, no stack, no path of this machine.
  const hostPaths = [process.cwd(), tmpdir(), homedir()].filter((p) => p.length > 1);
  expect(api.answers.length).toBeGreaterThan(30);
  for (const answer of api.answers) {
    expect(answer.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    if (answer.status >= 400) {
      expect(Object.keys(answer.json)).toEqual(['error']);
      expect(answer.json.error).toEqual(expect.objectContaining({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) }));
    }
    expect(answer.text).not.toMatch(/\n\s+at |\\n\s+at /);
    for (const p of hostPaths) expect(answer.text).not.toContain(p);
  }
  await api.close();
});

describe('tenant isolation', () => {
  it("answers another tenant's reads, writes and actions with 404, as if the node did not exist", async () => {
    const calls: Array<[string, string, unknown?]> = [
      ['GET', '/custom-nodes/Secret@1.0.0'],
      ['GET', '/custom-nodes/Secret/usages'],
      ['POST', '/custom-nodes/Secret@1.0.0/approve', {}],
      ['POST', '/custom-nodes/Secret@1.0.0/reject', { reason: 'mine now' }],
      ['POST', '/custom-nodes/Secret@1.0.0/activate', {}],
      ['POST', '/custom-nodes/Secret@1.0.0/deprecate', { message: 'gone' }],
      ['POST', '/custom-nodes/Secret/rollback', {}],
    ];
    for (const [method, path, body] of calls) {
      const foreign = await api.call(method, path, { token: EVE, body });
      const missing = await api.call(method, path.replace('Secret', 'Nothing'), { token: RITA, body });
      expect(foreign.status, `${method} ${path}`).toBe(404);
      expect(missing.status).toBe(404);
      expect(foreign.json.error.code).toBe('NOT_FOUND');
      expect(foreign.text).not.toContain('acme');
    }
    expect((await api.call('GET', '/custom-nodes', { token: EVE })).json).toEqual({ nodes: [], nextCursor: null });
    expect((await api.call('GET', '/audit', { token: EVE })).json).toEqual({ events: [], nextCursor: null });
    // Eve's upload of the same name is her own node; acme's is untouched.
    expect((await api.call('POST', '/custom-nodes', { token: EVE, body: { name: 'Secret', version: '1.0.0', sourceCode: plainSource('Secret', 1) } })).status).toBe(201);
    expect((await registry.versions('acme', 'Secret'))[0]).toMatchObject({ status: 'draft', publishedBy: 'ana' });
  });

  it('takes the tenant only from authenticate: a tenant named in the body or query is refused or ignored', async () => {
    const smuggled = await api.call('POST', '/custom-nodes', { token: EVE, body: { name: 'Other', version: '1.0.0', sourceCode: plainSource('Other'), tenantId: 'acme' } });
    expect(smuggled.status).toBe(400);
    expect(smuggled.json.error.code).toBe('INVALID_REQUEST');
    expect((await api.call('GET', '/custom-nodes?tenantId=acme', { token: EVE })).status).toBe(400);
    expect(await registry.list('acme')).toHaveLength(1);
  });
});

describe('authentication and roles', () => {
  it('answers 401 without credentials, before reading the body', async () => {
    for (const [method, path] of [['GET', '/custom-nodes'], ['POST', '/custom-nodes'], ['GET', '/audit'], ['POST', '/custom-nodes/Secret@1.0.0/approve']] as const) {
      const answer = await api.call(method, path, method === 'POST' ? { token: null, raw: '{not json' } : { token: null });
      expect(answer.status).toBe(401);
      expect(answer.json.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('answers 403 to a role that does not grant the action, naming the role', async () => {
    const reviewerOnly = await startApiServer({ host: registry, uploadRateLimit: false, roles: { upload: 'author', activate: ['releaser', 'admin'] } });
    try {
      const upload = await reviewerOnly.call('POST', '/custom-nodes', { token: RITA, body: { name: 'Secret', version: '9.0.0', sourceCode: 'x' } });
      expect(upload.status).toBe(403);
      expect(upload.json.error.message).toContain('"author"');
      const activate = await reviewerOnly.call('POST', '/custom-nodes/Secret@1.0.0/activate', { token: token('acme', 'x', ['author']) });
      expect(activate.json.error.message).toContain('"releaser" or "admin"');
      expect((await reviewerOnly.call('GET', '/custom-nodes', { token: ANA })).status).toBe(200);
    } finally {
      await reviewerOnly.close();
    }
  });

  it('with requireDistinctApprover, the author cannot approve their own version (403); another approver can', async () => {
    const strict = await startApiServer({ host: registry, uploadRateLimit: false, requireDistinctApprover: true });
    try {
      const authorApprover = token('acme', 'ana', ['approver']);
      await strict.call('POST', '/custom-nodes', { token: authorApprover, body: { name: 'Own', version: '1.0.0', sourceCode: plainSource('Own') } });
      const self = await strict.call('POST', '/custom-nodes/Own@1.0.0/approve', { token: authorApprover });
      expect(self.status).toBe(403);
      expect(self.json.error.message).toContain('uploaded by you');
      expect((await strict.call('POST', '/custom-nodes/Own@1.0.0/approve', { token: RITA })).json.customNode.status).toBe('approved');
    } finally {
      await strict.close();
    }
  });

  it('answers 500 with a request id, and logs, when authenticate throws or returns a malformed principal', async () => {
    for (const authenticate of [
      () => {
        throw new Error('database at /var/lib/secret.db is down');
      },
      () => ({ tenantId: '../acme', userId: 'x', roles: [] }),
      () => ({ tenantId: 'acme', roles: [] }) as never,
    ]) {
      const logLines: string[] = [];
      const broken = await startApiServer({ host: registry, authenticate }, { logLines });
      try {
        const answer = await broken.call('GET', '/custom-nodes');
        expect(answer.status).toBe(500);
        expect(answer.json.error).toMatchObject({ code: 'INTERNAL', requestId: expect.any(String) });
        // The details are in the server's log, under the request id the caller got.
        const logged = logLines.map((line) => JSON.parse(line) as { reqId: string; err?: { message: string } }).find((l) => l.err);
        expect(logged).toMatchObject({ reqId: answer.json.error.requestId, err: { message: expect.stringMatching(/secret\.db|invalid principal/) } });
        expect(answer.text).not.toContain('secret.db');
        expect(answer.text).not.toContain('../acme');
      } finally {
        await broken.close();
      }
    }
  });
});

describe('hostile names, versions and ids', () => {
  const hostileIds = [
    '..%2F..%2Fetc%2Fpasswd@1.0.0',
    '..@1.0.0',
    'Secret@..%2F..%2F1.0.0',
    'Secret@1.0.0%00',
    '%D0%A1ecret@1.0.0', // Cyrillic С
    'Secret%E2%80%8B@1.0.0', // zero-width space
    'Secret@1.0.0+build',
    'Secret',
    'Sequence@1.0.0', // a btree built-in
    `Secret@1.0.${'9'.repeat(40)}`,
  ];

  it.each(hostileIds)('refuses the id %s with 400 and a hint, before touching storage', async (id) => {
    for (const [method, suffix] of [['GET', ''], ['POST', '/approve'], ['POST', '/activate']] as const) {
      const answer = await api.call(method, `/custom-nodes/${id}${suffix}`, { token: RITA });
      expect(answer.status, `${method} ${id}${suffix}`).toBe(400);
      expect(answer.json.error.code).toBe('INVALID_INPUT');
      expect(answer.json.error.hint).toEqual(expect.any(String));
    }
  });

  it('answers a path segment longer than any id with 414', async () => {
    const answer = await api.call('GET', `/custom-nodes/${'A'.repeat(5000)}@1.0.0`);
    expect(answer.status).toBe(414);
    expect(answer.json.error.code).toBe('URI_TOO_LONG');
  });

  it.each([
    ['a path', '../../etc'],
    ['unicode look-alike', 'Ѕecret'],
    ['a huge name', 'A'.repeat(100_000)],
    ['a non-string', 42],
    ['a built-in name', 'Selector'],
  ])('refuses an upload named with %s (400)', async (_label, name) => {
    const answer = await api.call('POST', '/custom-nodes', { body: { name, version: '1.0.0', sourceCode: plainSource('Secret') } });
    expect(answer.status).toBe(400);
    expect(['INVALID_INPUT', 'INVALID_REQUEST']).toContain(answer.json.error.code);
    expect(answer.text.length).toBeLessThan(2000);
  });

  it.each(['1.0', '1.0.0+meta', '../1.0.0', '01.0.0', 'v1.0.0', '1.0.0-\u202e'])('refuses the version %j (400)', async (version) => {
    const answer = await api.call('POST', '/custom-nodes', { body: { name: 'Secret', version, sourceCode: plainSource('Secret') } });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('INVALID_INPUT');
  });

  it('refuses upload file paths that leave the upload', async () => {
    const answer = await api.call('POST', '/custom-nodes', { body: { name: 'Secret', version: '2.0.0', entry: 'index.ts', files: { 'index.ts': plainSource('Secret'), '../../escape.ts': 'x' } } });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('COMPILE_FAILED');
    expect(answer.json.error.diagnostics[0]).toMatchObject({ kind: 'input' });
  });
});

describe('bodies', () => {
  it('answers a compile error with 400 and every diagnostic: file, line, column, message, hint, frame', async () => {
    const source = "import fs from 'node:fs';\nimport cp from 'child_process';\nimport { ActionNode } from '@wayfarer-ai/btree';\nexport default class Broken extends ActionNode {}\n";
    const answer = await api.call('POST', '/custom-nodes', { body: { name: 'Broken', version: '1.0.0', sourceCode: source } });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('COMPILE_FAILED');
    expect(answer.json.error.diagnostics).toEqual([
      expect.objectContaining({ kind: 'import', file: 'index.ts', line: 1, column: 16, importPath: 'node:fs', message: expect.any(String), hint: expect.any(String), frame: expect.stringContaining('> 1 |') }),
      expect.objectContaining({ kind: 'import', file: 'index.ts', line: 2, column: 16, importPath: 'child_process', frame: expect.stringContaining('> 2 |') }),
    ]);
    const syntax = await api.call('POST', '/custom-nodes', { body: { name: 'Broken', version: '1.0.0', sourceCode: 'export default class Broken {\n  x: number = ;\n}\n' } });
    expect(syntax.json.error.diagnostics).toEqual([expect.objectContaining({ kind: 'syntax', file: 'index.ts', line: 2, frame: expect.stringContaining('> 2 |   x: number = ;') })]);
  });

  it('answers a body over the upload limit with 413, and a large body on a small route with 413', async () => {
    const huge = await api.call('POST', '/custom-nodes', { raw: JSON.stringify({ name: 'Big', version: '1.0.0', sourceCode: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(huge.status).toBe(413);
    expect(huge.json.error.code).toBe('BODY_TOO_LARGE');
    const note = await api.call('POST', '/custom-nodes/Secret@1.0.0/approve', { token: RITA, body: { note: 'n'.repeat(64 * 1024) } });
    expect(note.status).toBe(413);
  });

  it.each([
    ['malformed JSON', '{"name": "X",', 'application/json', 400, 'INVALID_JSON'],
    ['an empty JSON body', '', 'application/json', 400, 'INVALID_JSON'],
    ['a JSON array', '[1,2]', 'application/json', 400, 'INVALID_REQUEST'],
    ['prototype pollution', '{"__proto__": {"admin": true}, "name": "X", "version": "1.0.0"}', 'application/json', 400, 'INVALID_JSON'],
    ['text/plain', '{"name":"X"}', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['form data', 'name=X', 'application/x-www-form-urlencoded', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a wrong field type', '{"name":"X","version":"1.0.0","sourceCode":42}', 'application/json', 400, 'INVALID_REQUEST'],
    ['an unknown field', '{"name":"X","version":"1.0.0","sourcecode":"x"}', 'application/json', 400, 'INVALID_REQUEST'],
  ])('answers %s with %i', async (_label, raw, contentType, status, code) => {
    const answer = await api.call('POST', '/custom-nodes', { raw, contentType });
    expect(answer.status).toBe(status);
    expect(answer.json.error.code).toBe(code);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('names the field a schema error is about', async () => {
    const typo = await api.call('POST', '/custom-nodes', { raw: '{"name":"X","version":"1.0.0","sourcecode":"x"}' });
    expect(typo.json.error.message).toContain('body.sourcecode is not a field of this route');
    const status = await api.call('GET', '/custom-nodes?status=live');
    expect(status.json.error.message).toContain('querystring.status must be one of "draft", "approved", "active", "deprecated", "rejected"');
    const missing = await api.call('POST', '/custom-nodes/Secret@1.0.0/reject', { token: RITA, body: {} });
    expect(missing.json.error.message).toContain("body must have required property 'reason'");
  });

  it('answers an upload without source with 400 saying what to send', async () => {
    const answer = await api.call('POST', '/custom-nodes', { body: { name: 'Empty', version: '1.0.0' } });
    expect(answer.status).toBe(400);
    expect(answer.json.error.hint).toMatch(/source|files/);
  });

  it('answers bad paging input with 400', async () => {
    expect((await api.call('GET', '/custom-nodes?limit=0')).status).toBe(400);
    expect((await api.call('GET', '/custom-nodes?limit=100000')).status).toBe(400);
    const wrong = await api.call('GET', '/custom-nodes?cursor=bm90LWEtY3Vyc29y');
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toContain('cursor');
    const audit = await api.call('GET', '/audit');
    expect(audit.status).toBe(200);
    const foreignCursor = Buffer.from(JSON.stringify(['audit', '../../x'])).toString('base64url');
    expect((await api.call('GET', `/audit?cursor=${foreignCursor}`)).status).toBe(400);
    expect((await api.call('GET', `/custom-nodes?cursor=${foreignCursor}`)).status).toBe(400);
    expect((await api.call('GET', '/audit?since=yesterday')).status).toBe(400);
  });
});

describe('routes', () => {
  it.each([
    ['GET', '/custom-nodes/Secret@1.0.0/nothing'],
    ['DELETE', '/custom-nodes'],
    ['PUT', '/custom-nodes/Secret@1.0.0'],
    ['POST', '/audit'],
    ['GET', '/custom-nodes/a/b/c/d'],
  ])('answers an unknown route %s %s with 404 in the API shape', async (method, path) => {
    const answer = await api.call(method, path);
    expect(answer.status).toBe(404);
    expect(answer.json.error.code).toBe('NOT_FOUND');
  });
});

describe('server-side failures', () => {
  it('answers a broken store with 500 and a request id, never the path of its files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'api-broken-store-'));
    // The store's root is a file: every read and write fails inside the filesystem adapter.
    await writeFile(join(dir, 'not-a-directory'), 'x');
    const broken = await startApiServer({ host: new TenantRegistry({ storage: new FsStorage({ root: join(dir, 'not-a-directory') }), inspector: fixedInspector() }) });
    try {
      for (const [method, path, body] of [['GET', '/custom-nodes'], ['POST', '/custom-nodes', { name: 'Secret', version: '1.0.0', sourceCode: plainSource('Secret') }]] as const) {
        const answer = await broken.call(method, path, { body });
        expect(answer.status).toBeGreaterThanOrEqual(500);
        expect(answer.json.error).toMatchObject({ requestId: expect.any(String) });
        expect(answer.text).not.toContain(dir);
        expect(answer.text).not.toContain('not-a-directory');
      }
    } finally {
      await broken.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 SHUTTING_DOWN once the host is disposed', async () => {
    const host = new PluginHost({ btree: await loadBtree(), storage: new MemoryStorage() });
    const server = await startApiServer({ host });
    try {
      expect((await server.call('GET', '/custom-nodes')).status).toBe(200);
      await host.dispose();
      const answer = await server.call('GET', '/custom-nodes');
      expect(answer.status).toBe(503);
      expect(answer.json.error.code).toBe('SHUTTING_DOWN');
    } finally {
      await server.close();
    }
  });
});
