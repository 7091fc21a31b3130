/**
 * The publish pipeline in one place: check the upload once → compile once → inspect → store.
 *
 * esbuild and the loader's `normalizeFiles` are wrapped in counting spies that call the real
 * functions (nothing they do is faked), so these tests count real compiles and real checks.
 */
import * as esbuild from 'esbuild';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidInputError, isBtreePluginsError } from '../../src/errors.js';
import { normalizeFiles } from '../../src/loader/virtual-files.js';
import { versionKeys } from '../../src/registry/layout.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import { fixedInspector, makeRegistry, nodeSource, SEND_SLACK_SOURCE } from './helpers.js';

vi.mock('esbuild', async (importOriginal) => {
  const real = await importOriginal<typeof import('esbuild')>();
  return { ...real, build: vi.fn(real.build) };
});
vi.mock('../../src/loader/virtual-files.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/loader/virtual-files.js')>();
  return { ...real, normalizeFiles: vi.fn(real.normalizeFiles) };
});

const T = 'acme';
const builds = vi.mocked(esbuild.build);
const normalizations = vi.mocked(normalizeFiles);
const storages: StorageAdapter[] = [];

beforeEach(() => {
  builds.mockClear();
  normalizations.mockClear();
});
afterEach(async () => {
  await Promise.all(storages.splice(0).map((s) => s.dispose()));
});

function setup(options: Parameters<typeof makeRegistry>[0] = {}) {
  const made = makeRegistry(options);
  storages.push(made.storage);
  return made;
}

async function keys(storage: StorageAdapter): Promise<string[]> {
  const out: string[] = [];
  for await (const e of storage.list('')) out.push(e.key);
  return out;
}

describe('publish compiles once', () => {
  it('a new version: the files are normalised once and esbuild runs once', async () => {
    const { registry } = setup();
    await registry.publish(T, { name: 'SendSlackMessage', version: '1.0.0', source: SEND_SLACK_SOURCE });
    expect(normalizations).toHaveBeenCalledTimes(1);
    expect(builds).toHaveBeenCalledTimes(1);
  });

  it('a map of files: normalised once, esbuild runs once', async () => {
    const { registry } = setup();
    const files = {
      'index.ts': "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nimport { x } from './lib/x.js';\nexport default class Multi extends ActionNode { protected async executeTick() { return x ? NodeStatus.SUCCESS : NodeStatus.FAILURE; } }\n",
      'lib/x.ts': 'export const x = true;\n',
    };
    await registry.publish(T, { name: 'Multi', version: '1.0.0', files, entry: 'index.ts' });
    expect(normalizations).toHaveBeenCalledTimes(1);
    expect(builds).toHaveBeenCalledTimes(1);
  });

  it('an identical republish checks the upload once and neither compiles nor inspects', async () => {
    const inspect = vi.fn(fixedInspector().inspect);
    const { registry } = setup({ inspector: { inspect } });
    await registry.publish(T, { name: 'Again', version: '1.0.0', source: nodeSource('Again') });
    builds.mockClear();
    normalizations.mockClear();
    const again = await registry.publish(T, { name: 'Again', version: '1.0.0', source: nodeSource('Again') });
    expect(again.created).toBe(false);
    expect(normalizations).toHaveBeenCalledTimes(1);
    expect(builds).not.toHaveBeenCalled();
    expect(inspect).toHaveBeenCalledTimes(1); // the first publish only
  });

  it('completing an interrupted publish normalises once and compiles once', async () => {
    const { registry, storage } = setup();
    await registry.publish(T, { name: 'Crash', version: '1.0.0', source: nodeSource('Crash') });
    await storage.delete(versionKeys(T, 'Crash', '1.0.0').bundle);
    builds.mockClear();
    normalizations.mockClear();
    const fresh = new TenantRegistry({ storage, inspector: fixedInspector() });
    expect((await fresh.publish(T, { name: 'Crash', version: '1.0.0', source: nodeSource('Crash') })).created).toBe(false);
    expect(normalizations).toHaveBeenCalledTimes(1);
    expect(builds).toHaveBeenCalledTimes(1);
  });
});

describe('a registry without an inspector', () => {
  it('publish-without-inspector: refuses to publish, says what is missing, and writes nothing', async () => {
    const storage = new MemoryStorage();
    storages.push(storage);
    const put = vi.spyOn(storage, 'put');
    const bare = new TenantRegistry({ storage });
    const error = await bare.publish(T, { name: 'SendSlackMessage', version: '1.0.0', source: SEND_SLACK_SOURCE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(isBtreePluginsError(error, 'InvalidInputError')).toBe(true);
    expect((error as Error).message).toBe(
      "publish failed [tenant=acme, node=SendSlackMessage, version=1.0.0]: this registry has no `inspector`, so it cannot read the node's metadata and props schema. " +
        'HINT: publish through `PluginHost` (`host.registry.publish`), or pass `{ inspector: await host.nodeRunner() }` to `new TenantRegistry`',
    );
    expect(put).not.toHaveBeenCalled();
    expect(await keys(storage)).toEqual([]);
    expect(builds).not.toHaveBeenCalled();
  });

  it('still governs versions another registry published (approve, activate, resolve, load)', async () => {
    const { storage, registry } = setup({ inspector: fixedInspector({ category: 'action', ports: [], propsSchema: { type: 'object' } }) });
    await registry.publish(T, { name: 'Shared', version: '1.0.0', source: nodeSource('Shared') });
    const bare = new TenantRegistry({ storage });
    await bare.approve(T, 'Shared', '1.0.0', { by: 'rev' });
    await bare.activate(T, 'Shared', '1.0.0', { by: 'ops' });
    const resolved = await bare.resolve(T, 'Shared');
    expect(resolved).toMatchObject({ version: '1.0.0', metadataSource: 'inspect', metadata: { propsSchema: { type: 'object' } } });
    expect((await bare.loadBundle(T, 'Shared', '1.0.0')).sha256).toBe(resolved.sha256);
  });

  it('refuses the former `inspect` function option with a hint, and an inspector without inspect()', () => {
    const storage = new MemoryStorage();
    storages.push(storage);
    expect(() => new TenantRegistry({ storage, inspect: async () => ({ category: 'action', ports: [] }) } as never)).toThrow(/replaced by `inspector`/);
    expect(() => new TenantRegistry({ storage, inspector: {} as never })).toThrow(/`inspector` has no `inspect\(bundle\)` method/);
  });
});

describe('inspection', () => {
  it('inspect-failure: when the sandbox cannot inspect the bundle, nothing is stored', async () => {
    const { registry, storage } = setup({ inspector: { inspect: async () => Promise.reject(new Error('the node threw while loading')) } });
    await expect(registry.publish(T, { name: 'Throws', version: '1.0.0', source: nodeSource('Throws') })).rejects.toThrow('the node threw while loading');
    expect(await keys(storage)).toEqual([]);
  });

  it('the inspector sees the compiled bundle the manifest records, once', async () => {
    const inspect = vi.fn(fixedInspector().inspect);
    const { registry } = setup({ inspector: { inspect } });
    const { manifest } = await registry.publish(T, { name: 'Seen', version: '1.0.0', source: nodeSource('Seen') });
    expect(inspect).toHaveBeenCalledTimes(1);
    expect(inspect.mock.calls[0]![0]).toMatchObject({ tenantId: T, node: 'Seen', version: '1.0.0', sha256: manifest.sha256 });
  });
});
