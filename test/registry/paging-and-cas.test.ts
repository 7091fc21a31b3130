/**
 * What the registry offers the HTTP API: activation as a compare-and-swap (`expectedActive`),
 * paged `list`, paged and per-node `audit`, and `sources` checked against the manifest.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, IntegrityError, InvalidInputError } from '../../src/errors.js';
import { makeRegistry, nodeSource } from './helpers.js';

async function published(names: string[], versions = ['1.0.0']) {
  const made = makeRegistry({ requireApproval: false });
  for (const name of names) for (const version of versions) await made.registry.publish('acme', { name, version, source: nodeSource(name), author: 'ana' });
  return made;
}

describe('activate with expectedActive', () => {
  it('activates only when the expected version (or none, with null) is active, and names the actual one otherwise', async () => {
    const { registry } = await published(['Greeter'], ['1.0.0', '1.1.0']);
    await expect(registry.activate('acme', 'Greeter', '1.0.0', { expectedActive: '1.1.0' })).rejects.toThrow(/expected 1.1.0 to be active, but no version is active/);
    await registry.activate('acme', 'Greeter', '1.0.0', { expectedActive: null });
    const stale = await registry.activate('acme', 'Greeter', '1.1.0', { expectedActive: null }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as Error).message).toContain('the active version is 1.0.0');
    expect((await registry.resolve('acme', 'Greeter')).version).toBe('1.0.0');
    await registry.activate('acme', 'Greeter', '1.1.0', { expectedActive: '1.0.0' });
    // A retried activation that already happened is a no-op, whatever it expected.
    await expect(registry.activate('acme', 'Greeter', '1.1.0', { expectedActive: '1.0.0' })).resolves.toMatchObject({ status: 'active' });
    await expect(registry.activate('acme', 'Greeter', '1.0.0', { expectedActive: '1.x' })).rejects.toThrow(InvalidInputError);
  });
});

describe('list paging', () => {
  it('returns names after `after`, at most `limit`, in name order', async () => {
    const { registry } = await published(['Alpha', 'Bravo', 'Charlie', 'Delta']);
    expect((await registry.list('acme', { limit: 2 })).map((n) => n.name)).toEqual(['Alpha', 'Bravo']);
    expect((await registry.list('acme', { after: 'Bravo', limit: 5 })).map((n) => n.name)).toEqual(['Charlie', 'Delta']);
    expect((await registry.list('acme', { after: 'Delta' })).map((n) => n.name)).toEqual([]);
    await expect(registry.list('acme', { limit: 0 })).rejects.toThrow(/limit: 0 is not a positive integer/);
    await expect(registry.list('acme', { after: '../x' })).rejects.toThrow(InvalidInputError);
  });
});

describe('audit paging', () => {
  it('continues after an event id and filters by node', async () => {
    const { registry } = await published(['Alpha', 'Bravo']);
    const all = await registry.audit('acme');
    expect(all.map((e) => e.node)).toEqual(['Alpha', 'Bravo']);
    expect(await registry.audit('acme', { after: all[0]!.id })).toEqual([all[1]]);
    expect(await registry.audit('acme', { node: 'Bravo' })).toEqual([all[1]]);
    await expect(registry.audit('acme', { after: '../../x' })).rejects.toThrow(/not an audit event id/);
  });
});

describe('sources', () => {
  it('returns the uploaded files and refuses a file modified in the store', async () => {
    const { registry, storage } = await published(['Alpha']);
    expect(await registry.sources('acme', 'Alpha', '1.0.0')).toEqual({ entry: 'index.ts', files: { 'index.ts': nodeSource('Alpha') } });
    await storage.put('tenants/acme/nodes/Alpha/1.0.0/source/index.ts', new TextEncoder().encode('tampered'));
    await expect(registry.sources('acme', 'Alpha', '1.0.0')).rejects.toThrow(IntegrityError);
  });
});
