/**
 * The upload rate limit: per tenant, keyed on the authenticated tenant (never the address), 429
 * with Retry-After, every authenticated upload request counted (accepted or refused), and the other
 * routes and unauthenticated requests not counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { fixedInspector } from '../registry/helpers.js';
import { ANA, EVE, startApiServer, token, type ApiServer } from './api-server.js';
import { plainSource } from './nodes.js';

let api: ApiServer | undefined;
afterEach(async () => api?.close());

const upload = (server: ApiServer, auth: string, version: string) =>
  server.call('POST', '/custom-nodes', { token: auth, body: { name: 'Limited', version, sourceCode: plainSource('Limited') } });

describe('upload rate limit', () => {
  it('answers 429 with Retry-After once a tenant used its uploads; other tenants and routes are unaffected', async () => {
    api = await startApiServer({ host: new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() }), uploadRateLimit: { max: 3, timeWindow: 60_000 } });
    // Refused uploads count too: a malformed body and a compile error use up two of the three.
    expect((await api.call('POST', '/custom-nodes', { token: ANA, raw: '{oops' })).status).toBe(400);
    expect((await api.call('POST', '/custom-nodes', { token: ANA, body: { name: 'Limited', version: '1.0.0', sourceCode: 'export default 1 +' } })).status).toBe(400);
    expect((await upload(api, ANA, '1.0.0')).status).toBe(201);
    const refused = await upload(api, token('acme', 'someone-else'), '1.0.1');
    expect(refused.status).toBe(429);
    expect(refused.json.error).toMatchObject({ code: 'RATE_LIMITED', hint: expect.stringContaining('Retry-After') });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another tenant has its own budget; reads are not limited; unauthenticated uploads do not count.
    expect((await upload(api, EVE, '1.0.0')).status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await api.call('GET', '/custom-nodes', { token: ANA })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await api.call('POST', '/custom-nodes', { token: null, body: {} })).status).toBe(401);
    expect((await upload(api, EVE, '1.0.1')).status).toBe(201);
  });

  it('lets the window pass, then accepts uploads again', async () => {
    api = await startApiServer({ host: new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() }), uploadRateLimit: { max: 1, timeWindow: 300 } });
    expect((await upload(api, ANA, '1.0.0')).status).toBe(201);
    expect((await upload(api, ANA, '1.0.1')).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await upload(api, ANA, '1.0.1')).status).toBe(201);
  });

  it('refuses unusable options with a clear error at registration', async () => {
    const host = new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() });
    await expect(startApiServer({ host, uploadRateLimit: { max: 0, timeWindow: 1000 } })).rejects.toThrow(/uploadRateLimit needs a positive whole `max`/);
    await expect(startApiServer({ host, prefix: 'api/' })).rejects.toThrow(/prefix "api\/" is not a path/);
    await expect(startApiServer({ host, roles: { publish: 'x' } as never })).rejects.toThrow(/roles.publish is not a permission.*upload/);
    await expect(startApiServer({ host: {} as never })).rejects.toThrow(/neither a PluginHost nor a TenantRegistry/);
  });
});
