import { describe, expect, it } from 'vitest';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { describeStorageConformance } from '../conformance/storage.js';

const backends = new Map<string, MemoryBackend>();

describeStorageConformance({
  name: 'memory',
  async create({ space, prefix }) {
    let backend = backends.get(space);
    if (!backend) backends.set(space, (backend = new MemoryBackend()));
    return new MemoryStorage({ backend, prefix });
  },
  async cleanup() {
    backends.clear();
  },
});

describe('MemoryStorage', () => {
  it('gives a new etag to a rewrite of identical bytes, so compare-and-swap sees the intervening write (ABA)', async () => {
    const s = new MemoryStorage();
    const body = new TextEncoder().encode('same');
    const first = await s.put('k', body);
    const second = await s.put('k', body);
    expect(second.etag).not.toBe(first.etag);
    await expect(s.put('k', body, { ifMatch: first.etag })).rejects.toMatchObject({ name: 'PreconditionFailedError' });
    await s.dispose();
  });

  it('has a private backend unless one is shared', async () => {
    const a = new MemoryStorage();
    const b = new MemoryStorage();
    await a.put('k', new Uint8Array([1]));
    expect(await b.get('k')).toBeUndefined();
    await a.dispose();
    await b.dispose();
  });
});
