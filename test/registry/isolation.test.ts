/**
 * Hazard: one tenant reads, lists, resolves or loads another tenant's nodes — through a hostile
 * id that becomes a storage key (`../other`, `other/..`), a look-alike (`аcme` with a Cyrillic
 * `а`), an invisible character, or a sibling prefix (`acme2` vs `acme`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../../src/errors.js';
import type { TenantRegistry } from '../../src/registry/tenant-registry.js';
import type { MemoryStorage } from '../../src/storage-adapters/memory.js';
import { makeRegistry, nodeSource } from './helpers.js';

const HOSTILE_TENANTS = [
  '../acme',
  'acme/..',
  'other/../acme',
  '..',
  '.',
  'acme/',
  'tenants/acme',
  '\u0430cme', // Cyrillic а
  'acme\u200b', // zero-width space
  'ACME',
  'acme ',
  ' acme',
  'acme\u0000',
  'acme%2F..',
  'acme\\..',
  '',
  'a'.repeat(64),
  '-acme',
] as const;

const HOSTILE_NAMES = ['../Secret', 'Secret/..', 'Secret/../Other', '\u0405ecret', 'Secret\u200b', 'secret', 'Secret.json', 'Secret ', '', 'S'.repeat(65)];

let registry: TenantRegistry;
let storage: MemoryStorage;

beforeEach(async () => {
  ({ registry, storage } = makeRegistry());
  await registry.publish('acme', { name: 'Secret', version: '1.0.0', source: nodeSource('Secret') });
  await registry.approve('acme', 'Secret', '1.0.0', { by: 'rev' });
  await registry.activate('acme', 'Secret', '1.0.0');
  await registry.recordUsage('acme', 'wf-1', [{ name: 'Secret', version: '1.0.0' }]);
});

afterEach(async () => {
  await storage.dispose();
});

describe('tenant isolation', () => {
  it.each(HOSTILE_TENANTS)('hostile tenant id %j is refused by every operation before any I/O', async (tenant) => {
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['publish', () => registry.publish(tenant, { name: 'Secret', version: '2.0.0', source: nodeSource('Secret') })],
      ['list', () => registry.list(tenant)],
      ['versions', () => registry.versions(tenant, 'Secret')],
      ['get', () => registry.get(tenant, 'Secret', '1.0.0')],
      ['resolve', () => registry.resolve(tenant, 'Secret')],
      ['loadBundle', () => registry.loadBundle(tenant, 'Secret', '1.0.0')],
      ['approve', () => registry.approve(tenant, 'Secret', '1.0.0', { by: 'x' })],
      ['activate', () => registry.activate(tenant, 'Secret', '1.0.0')],
      ['rollback', () => registry.rollback(tenant, 'Secret')],
      ['usages', () => registry.usages(tenant, 'Secret')],
      ['recordUsage', () => registry.recordUsage(tenant, 'wf', [{ name: 'Secret', version: '1.0.0' }])],
      ['audit', () => registry.audit(tenant)],
    ];
    for (const [op, run] of ops) {
      await expect(run(), op).rejects.toThrow(InvalidInputError);
    }
  });

  it('a look-alike tenant id names the offending character', async () => {
    await expect(registry.list('\u0430cme')).rejects.toThrow(/U\+0430 at index 0.*look-alike/);
  });

  it.each(HOSTILE_NAMES)('hostile node name %j is refused', async (name) => {
    await expect(registry.resolve('acme', name)).rejects.toThrow(InvalidInputError);
    await expect(registry.loadBundle('acme', name, '1.0.0')).rejects.toThrow(InvalidInputError);
    await expect(registry.versions('acme', name)).rejects.toThrow(InvalidInputError);
    await expect(registry.usages('acme', name)).rejects.toThrow(InvalidInputError);
  });

  it.each(['1.0.0/../../x', '../1.0.0', '1.0.0\u0000', '１.0.0', '1.0.0+evil'])('hostile version %j is refused', async (version) => {
    await expect(registry.loadBundle('acme', 'Secret', version)).rejects.toThrow(InvalidInputError);
    await expect(registry.resolve('acme', `Secret@${version}`)).rejects.toThrow(InvalidInputError);
  });

  it.each(['other', 'acme2', 'acm', 'acme-'])('tenant %j sees nothing of acme', async (other) => {
    expect(await registry.list(other)).toEqual([]);
    const error = (await registry.resolve(other, 'Secret').catch((e) => e)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('this tenant has not published any node yet');
    await expect(registry.loadBundle(other, 'Secret', '1.0.0')).rejects.toThrow(NotFoundError);
    await expect(registry.get(other, 'Secret', '1.0.0')).rejects.toThrow(NotFoundError);
    await expect(registry.activate(other, 'Secret', '1.0.0')).rejects.toThrow(NotFoundError);
    expect(await registry.usages(other, 'Secret')).toEqual([]);
    expect(await registry.audit(other)).toEqual([]);
  });

  it("another tenant's unknown-name error lists only its own nodes", async () => {
    await registry.publish('other', { name: 'Mine', version: '1.0.0', source: nodeSource('Mine') });
    const error = (await registry.resolve('other', 'Secret').catch((e) => e)) as NotFoundError;
    expect(error.hint).toBe('available nodes: Mine');
  });

  it('same node name and version in two tenants are independent objects', async () => {
    const mine = await registry.publish('other', { name: 'Secret', version: '1.0.0', source: nodeSource('Secret', 7) });
    const theirs = await registry.get('acme', 'Secret', '1.0.0');
    expect(mine.created).toBe(true);
    expect(mine.manifest.sha256).not.toBe(theirs.sha256);
    expect((await registry.loadBundle('other', 'Secret', '1.0.0')).code).toContain('7 >= 0');
    expect((await registry.loadBundle('acme', 'Secret', '1.0.0')).code).not.toContain('7 >= 0');
  });
});
