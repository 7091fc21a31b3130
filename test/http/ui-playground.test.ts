/**
 * The playground over HTTP, on a real PluginHost: scripts run as the interpreter nodes run them
 * (the blackboard keys that can be variables, the host's limits, failures as values), a language the
 * host did not enable is refused, and node runs go through the registry's resolve (a draft never
 * runs, another tenant's node does not exist), the version's props schema and one real tick.
 * Per-tenant rate limit; 404 with a bare registry; both routes in the OpenAPI document.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import * as btree from '../../src/testing/index.js';
import { fixedInspector } from '../registry/helpers.js';
import { ANA, EVE, RITA, startApiServer, token, type Answer, type ApiServer } from './api-server.js';
import { greeterSource } from './nodes.js';

let host: PluginHost;
let api: ApiServer;

beforeAll(async () => {
  host = new PluginHost({
    btree,
    storage: new MemoryStorage(),
    execution: { isolation: 'inline' },
    interpreters: { javascript: { limits: { defaultTimeoutMs: 300 } } },
    tenants: { spin: { limits: { cpuTimeMs: 50, wallTimeMs: 500 } } },
  });
  api = await startApiServer({ host, prefix: '/api' });
});
afterAll(async () => {
  await api.close();
  await host.dispose();
});

const script = (body: Record<string, unknown>, auth = ANA) => api.call('POST', '/playground/scripts', { token: auth, body: { language: 'javascript', ...body } });
const runNode = (body: Record<string, unknown>, auth = ANA) => api.call('POST', '/playground/nodes', { token: auth, body });

function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.json).toEqual({ error: expect.objectContaining({ code, message: expect.any(String), hint: expect.any(String) }) });
}

describe('POST /playground/scripts', () => {
  it('runs a JavaScript script with the blackboard keys as its variables, answering value, output and duration', async () => {
    const answer = await script({
      script: "console.log('items:', items.length);\nresult = { total: items.reduce((a, b) => a + b, 0), who: customer.name };",
      blackboard: { items: [1, 2, 3], customer: { name: 'Ada' }, 'order-id': 7, missing: null },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ ok: true, value: { total: 6, who: 'Ada' }, output: ['items: 3'], ignoredKeys: ['order-id', 'missing'], durationMs: expect.any(Number) });
  });

  it('answers a syntax error as a value, with its line', async () => {
    const answer = await script({ script: 'const a = 1;\nconst b = ;\nresult = a;' });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ ok: false, error: { kind: 'syntax', message: expect.any(String), line: 2 }, output: [] });
  });

  it("stops a script that never ends at the host's timeout for the interpreter", async () => {
    const answer = await script({ script: 'let n = 0;\nwhile (true) { n++; }' });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    expect(answer.json.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('refuses a language the host did not enable (409 INTERPRETER_DISABLED), an empty script and a script over the size limit (400)', async () => {
    const python = await api.call('POST', '/playground/scripts', { body: { language: 'python', script: 'result = 1' } });
    expectError(python, 409, 'INTERPRETER_DISABLED');
    expect(python.json.error.hint).toContain('interpreters: { python: true }');
    const blank = await script({ script: '  \n ' });
    expectError(blank, 400, 'INVALID_INPUT');
    expect(blank.json.error.message).toContain('script: must not be empty');
    expectError(await script({ script: `result = 1; // ${'x'.repeat(64 * 1024)}` }), 400, 'INVALID_REQUEST');
    expectError(await api.call('POST', '/playground/scripts', { body: { language: 'ruby', script: 'result = 1' } }), 400, 'INVALID_REQUEST');
  });
});

describe('POST /playground/nodes', () => {
  beforeAll(async () => {
    expect((await api.call('POST', '/custom-nodes', { body: { name: 'Greeter', version: '1.0.0', sourceCode: greeterSource() } })).status).toBe(201);
  });

  it('never runs a draft (409) nor a node without an active version when none is named (404)', async () => {
    const draft = await runNode({ name: 'Greeter', version: '1.0.0', props: { who: 'Ada' } });
    expect(draft.status, draft.text).toBe(409);
    expect(draft.json.error.message).toContain('is draft and cannot be used');
    expectError(await runNode({ name: 'Greeter', props: { who: 'Ada' } }), 404, 'NOT_FOUND');
  });

  it('runs one tick of an approved version: its writes, logs and usage', async () => {
    expect((await api.call('POST', '/custom-nodes/Greeter@1.0.0/approve', { token: RITA })).status).toBe(200);
    const answer = await runNode({ name: 'Greeter', version: '1.0.0', props: { who: 'Ada', outputKey: 'hello' }, blackboard: { other: 1 } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({
      name: 'Greeter',
      version: '1.0.0',
      status: 'SUCCESS',
      writes: { hello: 'Hello, Ada' },
      deletes: [],
      logs: expect.any(Array),
      usage: { cpuMs: expect.any(Number), wallMs: expect.any(Number), heapBytes: expect.any(Number) },
    });
    expect(answer.json.usage.wallMs).toBeGreaterThan(0);
    expect(answer.json.usage.heapBytes).toBeGreaterThan(0);
  });

  it('runs the active version when no version is named', async () => {
    expect((await api.call('POST', '/custom-nodes/Greeter@1.0.0/activate')).status).toBe(200);
    const answer = await runNode({ name: 'Greeter', props: { who: 'Bo' } });
    expect(answer.json).toMatchObject({ version: '1.0.0', status: 'SUCCESS', writes: { greeting: 'Hello, Bo' } });
  });

  it("checks the props against the version's props schema (400 INVALID_PROPS naming each problem)", async () => {
    const answer = await runNode({ name: 'Greeter', version: '1.0.0', props: { who: '', outputKey: 7 } });
    expectError(answer, 400, 'INVALID_PROPS');
    expect(answer.json.error.message).toMatch(/Greeter@1\.0\.0: .*who: must NOT have fewer than 1 characters.*outputKey: must be string/);
    expectError(await runNode({ name: 'Greeter', version: '1.0.0', props: {} }), 400, 'INVALID_PROPS');
  });

  it('answers a tick that breaks a sandbox limit as FAILURE naming the limit', async () => {
    const [spinner, approver] = [token('spin', 'sam'), token('spin', 'sue', ['approver'])];
    const sourceCode = [
      "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';",
      'export default class Spin extends ActionNode {',
      '  protected async executeTick(): Promise<NodeStatus> { for (;;) { /* never ends */ } }',
      '}',
    ].join('\n');
    expect((await api.call('POST', '/custom-nodes', { token: spinner, body: { name: 'Spin', version: '1.0.0', sourceCode } })).status).toBe(201);
    expect((await api.call('POST', '/custom-nodes/Spin@1.0.0/approve', { token: approver })).status).toBe(200);
    const answer = await runNode({ name: 'Spin', version: '1.0.0' }, spinner);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ status: 'FAILURE', limit: 'cpuTimeMs', error: expect.stringContaining('cpuTimeMs'), writes: {} });
  });

  it("never runs another tenant's node (404), nor a version smuggled into the name", async () => {
    const eve = await runNode({ name: 'Greeter', props: { who: 'Eve' } }, EVE);
    expectError(eve, 404, 'NOT_FOUND');
    expect(eve.text).not.toContain('acme');
    expectError(await runNode({ name: 'Greeter@1.0.0', props: { who: 'Ada' } }), 400, 'INVALID_INPUT');
    expectError(await runNode({ name: 'Greeter', version: '^1.0.0', props: { who: 'Ada' } }), 400, 'INVALID_INPUT');
  });
});

describe('playground routes', () => {
  it('answer 429 with Retry-After once a tenant used its runs; other tenants keep theirs', async () => {
    const limited = await startApiServer({ host, playgroundRateLimit: { max: 2, timeWindow: 60_000 } });
    try {
      const run = (auth: string) => limited.call('POST', '/playground/scripts', { token: auth, body: { language: 'javascript', script: 'result = 1' } });
      expect((await run(ANA)).status).toBe(200);
      expect((await run(token('acme', 'someone-else'))).status).toBe(200);
      const refused = await run(ANA);
      expectError(refused, 429, 'RATE_LIMITED');
      expect(refused.json.error.message).toContain('playground runs');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await run(EVE)).status).toBe(200);
      await expect(startApiServer({ host, playgroundRateLimit: { max: 0, timeWindow: 1 } })).rejects.toThrow(/playgroundRateLimit needs a positive whole `max`/);
    } finally {
      await limited.close();
    }
  });

  it('answer 404 with a bare registry, which runs no code', async () => {
    const bare = await startApiServer({ host: new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() }) });
    try {
      for (const path of ['/playground/scripts', '/playground/nodes']) {
        const answer = await bare.call('POST', path, { body: { language: 'javascript', script: 'result = 1' } });
        expectError(answer, 404, 'NOT_FOUND');
        expect(answer.json.error.hint).toContain('host: pluginHost');
      }
      const doc = (await bare.call('GET', '/openapi.json', { token: null })).json;
      expect(Object.keys(doc.paths).filter((p) => p.includes('playground'))).toEqual([]);
    } finally {
      await bare.close();
    }
  });

  it('are in the OpenAPI document with their permission and limits', async () => {
    const doc = (await api.call('GET', '/openapi.json', { token: null })).json;
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
    const scripts = doc.paths['/api/playground/scripts'].post;
    expect(scripts.description).toContain('Permission `playground`: every authenticated user of the tenant.');
    expect(scripts.description).toContain('at most 60 playground runs per tenant per 60000 ms');
    expect(Object.keys(scripts.requestBody.content['application/json'].schema.properties).sort()).toEqual(['blackboard', 'language', 'script']);
    const nodes = doc.paths['/api/playground/nodes'].post;
    expect(Object.keys(nodes.requestBody.content['application/json'].schema.properties).sort()).toEqual(['blackboard', 'name', 'props', 'version']);
    expect(Object.keys(nodes.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '429', '500']);
  });
});
