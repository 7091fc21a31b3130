/**
 * The registry on its default metadata store (the documents in the storage adapter): the shared
 * registry suite (test/conformance/registry.ts), plus what only this store has — its object
 * layout, and the repair of an audit event a crash lost between the index write and the event's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/loader/hash.js';
import { indexKey, versionKeys } from '../../src/registry/layout.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import { describeRegistrySuite } from '../conformance/registry.js';
import { fixedInspector, makeRegistry, nodeSource, SEND_SLACK_SOURCE } from './helpers.js';

const T = 'acme';
const SLACK = 'SendSlackMessage';
const storages: StorageAdapter[] = [];
const enc = new TextEncoder();

async function keys(storage: StorageAdapter, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const e of storage.list(prefix)) out.push(e.key);
  return out.sort();
}

describeRegistrySuite({
  name: 'object-store index (memory)',
  async create(options) {
    const { registry, storage, backend } = makeRegistry(options);
    storages.push(storage);
    return {
      registry,
      storage,
      backend,
      another: (more = {}) => {
        const second = new MemoryStorage({ backend });
        storages.push(second);
        return new TenantRegistry({ storage: second, inspector: fixedInspector(), ...more });
      },
      written: () => keys(storage),
    };
  },
});

function setup(options: Parameters<typeof makeRegistry>[0] = {}) {
  const made = makeRegistry(options);
  storages.push(made.storage);
  return made;
}

afterEach(async () => {
  await Promise.all(storages.splice(0).map((s) => s.dispose()));
});

describe('the object-store layout', () => {
  it("stores the seed's SendSlackMessage as an immutable draft with manifest, bundle, map and source", async () => {
    const { registry, storage } = setup();
    const result = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE, author: 'ana', description: 'posts to Slack' });
    expect(result.created).toBe(true);
    expect(result.info).toMatchObject({ tenantId: T, name: SLACK, version: '1.0.0', status: 'draft', active: false, publishedBy: 'ana' });
    const m = result.manifest;
    expect(m).toMatchObject({ tenantId: T, name: SLACK, version: '1.0.0', entry: 'index.ts', author: 'ana', description: 'posts to Slack', metadataSource: 'inspect' });
    expect(m.metadata).toEqual({ category: 'action', ports: [] });
    expect(m.imports).toEqual(['@temporalio/workflow', '@wayfarer-ai/btree']);
    expect(m.esbuildVersion).toMatch(/^\d+\.\d+\.\d+$/);
    const k = versionKeys(T, SLACK, '1.0.0');
    const bundle = await storage.get(k.bundle);
    expect(sha256Hex(bundle!.body)).toBe(m.sha256);
    expect(new TextDecoder().decode((await storage.get(k.source('index.ts')))!.body)).toBe(SEND_SLACK_SOURCE);
    const stored = await keys(storage);
    expect(stored.filter((key) => !key.includes('/audit/'))).toEqual(
      [indexKey(T, SLACK), k.bundle, k.sourceMap, k.manifest, k.source('index.ts')].sort(),
    );
    expect(stored.filter((key) => key.includes('/audit/'))).toHaveLength(1);
  });

  it('tampered-manifest-and-bundle: a rewritten manifest that agrees with a rewritten bundle is still caught by the index hash', async () => {
    const { registry, backend, storage } = setup();
    const { manifest } = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
    const k = versionKeys(T, SLACK, '1.0.0');
    const evil = enc.encode('export default 1');
    backend.objects.set(k.bundle, { body: evil, etag: 'x' });
    backend.objects.set(k.manifest, { body: enc.encode(JSON.stringify({ ...manifest, sha256: sha256Hex(evil) })), etag: 'y' });
    // A fresh registry (no cached manifest), as another process would be.
    const fresh = new TenantRegistry({ storage });
    await expect(fresh.loadBundle(T, SLACK, '1.0.0')).rejects.toThrow(/manifest and index disagree/);
  });

  it('an event lost between the index CAS and its write is restored (roll-forward)', async () => {
    const { registry, storage } = setup();
    await registry.publish(T, { name: 'Lost', version: '1.0.0', source: nodeSource('Lost') });
    const before = await registry.audit(T);
    // Simulate a crash right after the CAS: the event object never got written.
    await storage.delete(`tenants/${T}/audit/${before[0]!.id}.json`);
    expect(await new TenantRegistry({ storage }).audit(T)).toEqual(before);
    await storage.delete(`tenants/${T}/audit/${before[0]!.id}.json`);
    // The next change of the node also restores it.
    await registry.approve(T, 'Lost', '1.0.0', { by: 'rev' });
    const keysNow = await keys(storage, `tenants/${T}/audit/`);
    expect(keysNow).toContain(`tenants/${T}/audit/${before[0]!.id}.json`);
  });
});
