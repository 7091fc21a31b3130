/**
 * `GET /tenant`: who the token is and the limits the tenant's nodes are held to — the host's
 * per-tenant sandbox limits (`PluginHost.limitsFor`), or the defaults with a bare registry — and
 * the registry's approval and compile policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import { DEFAULT_COMPILE_LIMITS } from '../../src/loader/virtual-files.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { DEFAULT_LIMITS } from '../../src/sandbox/limits.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import * as btree from '../../src/testing/index.js';
import { fixedInspector } from '../registry/helpers.js';
import { ANA, EVE, RITA, startApiServer, type ApiServer } from './api-server.js';

let host: PluginHost;
let api: ApiServer;

beforeAll(async () => {
  host = new PluginHost({
    btree,
    storage: new MemoryStorage(),
    limits: { cpuTimeMs: 50 },
    tenants: { evil: { limits: { cpuTimeMs: 5, memoryMb: 16 } } },
    registry: { requireApproval: false, compile: { limits: { maxBundleBytes: 100_000 } }, blockOn: { rules: ['dynamic-code'] } },
  });
  api = await startApiServer({ host });
});
afterAll(async () => {
  await api.close();
  await host.dispose();
});

describe('GET /tenant', () => {
  it("answers the token's tenant, user and roles with that tenant's limits and policy", async () => {
    const answer = await api.call('GET', '/tenant', { token: RITA });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      tenant: {
        tenantId: 'acme',
        userId: 'rita',
        roles: ['approver'],
        requireApproval: false,
        compile: { limits: { ...DEFAULT_COMPILE_LIMITS, maxBundleBytes: 100_000 }, blockOn: { rules: ['dynamic-code'] } },
        sandbox: { ...DEFAULT_LIMITS, cpuTimeMs: 50 },
      },
    });
    const other = await api.call('GET', '/tenant', { token: EVE });
    expect(other.json.tenant).toMatchObject({ tenantId: 'evil', sandbox: { cpuTimeMs: 5, memoryMb: 16, wallTimeMs: DEFAULT_LIMITS.wallTimeMs } });
  });

  it('needs a token', async () => {
    expect((await api.call('GET', '/tenant', { token: null })).status).toBe(401);
    expect((await api.call('GET', '/tenant', { token: ANA })).status).toBe(200);
  });

  it('answers the default sandbox limits when the host is a bare registry', async () => {
    const bare = await startApiServer({ host: new TenantRegistry({ storage: new MemoryStorage(), inspector: fixedInspector() }) });
    try {
      const answer = await bare.call('GET', '/tenant');
      expect(answer.json.tenant).toMatchObject({ tenantId: 'acme', requireApproval: true, sandbox: { ...DEFAULT_LIMITS }, compile: { limits: DEFAULT_COMPILE_LIMITS, blockOn: {} } });
    } finally {
      await bare.close();
    }
  });
});

describe('PluginHost.limitsFor', () => {
  it('layers the defaults, the host and the tenant, and refuses a bad host limit at construction', () => {
    expect(host.limitsFor('acme').cpuTimeMs).toBe(50);
    expect(host.limitsFor('evil')).toMatchObject({ cpuTimeMs: 5, memoryMb: 16 });
    expect(() => new PluginHost({ btree, storage: new MemoryStorage(), limits: { cpuTimeMs: -1 } })).toThrow(/cpuTimeMs must be a positive number/);
  });
});
