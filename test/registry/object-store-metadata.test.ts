import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectStoreMetadata } from '../../src/registry/object-store-metadata.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { describeMetadataConformance } from '../conformance/metadata.js';
import { fixedInspector, nodeSource } from './helpers.js';

const backends = new Map<string, MemoryBackend>();
describeMetadataConformance({
  name: 'object-store index on memory',
  async create(space) {
    if (!backends.has(space)) backends.set(space, new MemoryBackend());
    return new ObjectStoreMetadata(new MemoryStorage({ backend: backends.get(space)! }));
  },
});

const roots = new Map<string, Promise<string>>();
describeMetadataConformance({
  name: 'object-store index on fs',
  async create(space) {
    if (!roots.has(space)) roots.set(space, mkdtemp(join(tmpdir(), `${space}-`)));
    return new ObjectStoreMetadata(new FsStorage({ root: await roots.get(space)! }));
  },
  async cleanup() {
    await Promise.all([...roots.values()].map(async (r) => rm(await r, { recursive: true, force: true })));
  },
});

describe('a registry with its metadata in another store than its bytes', () => {
  it('keeps manifests, index, audit and usages in the metadata store, and only bytes in the storage adapter', async () => {
    const bytes = new MemoryStorage();
    const metaStorage = new MemoryStorage();
    const registry = new TenantRegistry({ storage: bytes, metadata: new ObjectStoreMetadata(metaStorage), inspector: fixedInspector(), requireApproval: false });
    await registry.publish('acme', { name: 'Greeter', version: '1.0.0', source: nodeSource('Greeter'), author: 'ana' });
    await registry.activate('acme', 'Greeter', '1.0.0', { by: 'ana' });
    await registry.recordUsage('acme', 'wf-1', [{ name: 'Greeter', version: '1.0.0' }]);
    const keys = async (s: MemoryStorage) => {
      const out: string[] = [];
      for await (const e of s.list('tenants/')) out.push(e.key);
      return out.sort();
    };
    expect(await keys(bytes)).toEqual([
      'tenants/acme/nodes/Greeter/1.0.0/bundle.js',
      'tenants/acme/nodes/Greeter/1.0.0/bundle.js.map',
      'tenants/acme/nodes/Greeter/1.0.0/source/index.ts',
    ]);
    const meta = await keys(metaStorage);
    expect(meta.filter((k) => !k.startsWith('tenants/acme/audit/'))).toEqual([
      'tenants/acme/index/Greeter.json',
      'tenants/acme/nodes/Greeter/1.0.0/manifest.json',
      expect.stringMatching(/^tenants\/acme\/usages\/Greeter\/1\.0\.0\/w-/),
    ]);
    expect(meta.filter((k) => k.startsWith('tenants/acme/audit/'))).toHaveLength(2);
    const bundle = await registry.loadBundle('acme', 'Greeter', '1.0.0');
    expect((await registry.resolve('acme', 'Greeter')).sha256).toBe(bundle.sha256);
  });
});
