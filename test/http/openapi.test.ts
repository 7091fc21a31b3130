/**
 * The OpenAPI document at `<prefix>/openapi.json`: generated from the route schemas, valid
 * OpenAPI 3 (checked by @apidevtools/swagger-parser), listing every route of the table with its
 * method, and the one error shape on every error status.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/http/routes.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { fixedInspector } from '../registry/helpers.js';
import { startApiServer, type ApiServer } from './api-server.js';

let api: ApiServer;
let doc: any;

beforeAll(async () => {
  api = await startApiServer({ host: new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() }), prefix: '/api/v1', openapi: { title: 'Acme nodes', version: '2.1.0' } });
  const answer = await api.call('GET', '/openapi.json', { token: null });
  expect(answer.status).toBe(200);
  doc = answer.json;
});
afterAll(async () => api.close());

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3, served without credentials, with the configured title', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: 'Acme nodes', version: '2.1.0' });
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
  });

  it('lists every route of the table under the prefix, and nothing else', () => {
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const expected = ROUTES.map((r) => `${r.method} /api/v1${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(listed.sort()).toEqual(expected.sort());
    expect(expected).toHaveLength(12);
  });

  it('describes bodies, parameters and the one error shape on every error status', () => {
    const upload = doc.paths['/api/v1/custom-nodes'].post;
    expect(Object.keys(upload.requestBody.content['application/json'].schema.properties).sort()).toEqual(['description', 'entry', 'files', 'name', 'sourceCode', 'version']);
    expect(Object.keys(upload.responses).sort()).toEqual(['200', '201', '400', '401', '403', '409', '413', '415', '429', '500']);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, any> }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          expect(JSON.stringify(response.content['application/json'].schema), `${method} ${path} ${status}`).toContain('#/components/schemas/CustomNodesError');
        }
      }
    }
    expect(doc.components.schemas.CustomNodesError.properties.error.properties.diagnostics.items.properties).toHaveProperty('frame');
    const activate = doc.paths['/api/v1/custom-nodes/{id}/activate'].post;
    expect(activate.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(activate.requestBody.content['application/json'].schema.properties.expectedActive).toBeDefined();
    // Who may call each route, and the upload limits, as configured.
    expect(doc.paths['/api/v1/custom-nodes/{id}/approve'].post.description).toContain('Permission `review`: the role `approver`.');
    expect(doc.paths['/api/v1/custom-nodes/{id}'].get.description).toContain('Permission `read`: every authenticated user of the tenant.');
    expect(upload.description).toContain('Body limit 1048576 bytes (413); at most 30 uploads per tenant per 60000 ms');
    const list = doc.paths['/api/v1/custom-nodes'].get;
    expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit', 'name', 'status']);
  });
});
