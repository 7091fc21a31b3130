/**
 * The registry's behaviour suite, for any metadata store: publishing, the life cycle, reading,
 * loading with integrity checks, usages and audit. tenant-registry.test.ts runs it on the default
 * store (the documents in the storage adapter); test/metadata-stores runs it on PostgreSQL.
 * The bytes always live in a memory storage adapter whose backend the tamper tests write to.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NodeMetadata } from '../../src/binding-core/types.js';
import { CompileError, ConflictError, InvalidInputError, IntegrityError, NotFoundError } from '../../src/errors.js';
import { sha256Hex } from '../../src/loader/hash.js';
import { versionKeys } from '../../src/registry/layout.js';
import type { TenantRegistry, TenantRegistryOptions } from '../../src/registry/tenant-registry.js';
import type { RunnableBundle } from '../../src/sandbox/types.js';
import type { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { nodeSource, SEND_SLACK_SOURCE, steppingClock } from '../registry/helpers.js';

/** One fresh registry world: its stores, a registry over them, and what tests need to look inside. */
export interface RegistryWorld {
  /** A registry with the inspector stand-in, over this world's stores, with `options`. */
  registry: TenantRegistry;
  /** Where the bytes are (and, for the default store, the metadata too). */
  storage: MemoryStorage;
  /** The bytes store's backend, written to directly to tamper. */
  backend: MemoryBackend;
  /** Another registry over the same stores, as another process would have. */
  another(options?: Partial<TenantRegistryOptions>): TenantRegistry;
  /** Everything written anywhere (object keys, metadata rows), for "stores nothing" checks. */
  written(): Promise<string[]>;
}

/** How the suite gets worlds. */
export interface RegistryTarget {
  name: string;
  /** A fresh, empty world; `options` go to its registry (the inspector is a fixed stand-in unless given). */
  create(options: Partial<TenantRegistryOptions>): Promise<RegistryWorld>;
  /** Releases a world. */
  dispose?(world: RegistryWorld): Promise<void>;
}

const T = 'acme';
const SLACK = 'SendSlackMessage';
const enc = new TextEncoder();

/** Publish + approve (+ activate) in one go. */
async function ready(registry: TenantRegistry, name: string, version: string, opts: { activate?: boolean; variant?: number } = {}) {
  await registry.publish(T, { name, version, source: nodeSource(name, opts.variant ?? Number(version.split('.')[1])) });
  await registry.approve(T, name, version, { by: 'rev' });
  if (opts.activate) await registry.activate(T, name, version, { by: 'ops' });
}

export function describeRegistrySuite(target: RegistryTarget): void {
  const worlds: RegistryWorld[] = [];
  const setup = async (options: Partial<TenantRegistryOptions> = {}): Promise<RegistryWorld> => {
    const world = await target.create(options);
    worlds.push(world);
    return world;
  };
  afterEach(async () => {
    await Promise.all(worlds.splice(0).map((w) => target.dispose?.(w)));
  });

  describe(`registry suite: ${target.name}`, () => {
  describe('publish', () => {
    it('stores the metadata the inspector reads, with metadataSource inspect', async () => {
      const metadata: NodeMetadata = { category: 'action', ports: [{ name: 'channel', type: 'input', required: true }], propsSchema: { type: 'object' } };
      const inspect = vi.fn(async (_bundle: RunnableBundle) => metadata);
      const { registry } = await setup({ inspector: { inspect } });
      const { manifest } = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
      expect(inspect).toHaveBeenCalledTimes(1);
      const arg = inspect.mock.calls[0]![0];
      expect(arg).toMatchObject({ tenantId: T, node: SLACK, version: '1.0.0', sha256: manifest.sha256 });
      expect(sha256Hex(arg.code)).toBe(manifest.sha256);
      expect(manifest.metadataSource).toBe('inspect');
      expect((await registry.resolve(T, `${SLACK}@1.0.0`).catch(() => null))).toBeNull(); // still a draft
      expect((await registry.get(T, SLACK, '1.0.0')).manifest.metadata).toEqual(metadata);
    });

    it('accepts a map of files with an entry', async () => {
      const { registry } = await setup();
      const files = {
        'index.ts': "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nimport { greet } from './lib/greet.js';\nexport default class Greeter extends ActionNode { protected async executeTick() { greet(); return NodeStatus.SUCCESS; } }\n",
        'lib/greet.ts': "export function greet(): string { return 'hi'; }\n",
      };
      const { manifest } = await registry.publish(T, { name: 'Greeter', version: '0.1.0', files, entry: 'index.ts' });
      expect(manifest.files.map((f) => f.path)).toEqual(['index.ts', 'lib/greet.ts']);
    });

    it('is idempotent for the same content: no second event, same manifest', async () => {
      const { registry } = await setup();
      const first = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE, author: 'ana' });
      const again = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE, author: 'bob' });
      expect(again.created).toBe(false);
      expect(again.manifest).toEqual(first.manifest);
      expect((await registry.audit(T)).filter((e) => e.action === 'publish')).toHaveLength(1);
    });

    it('version-overwrite: refuses a duplicate version with different content', async () => {
      const { registry } = await setup();
      await registry.publish(T, { name: 'Dup', version: '1.0.0', source: nodeSource('Dup', 1) });
      const attempt = registry.publish(T, { name: 'Dup', version: '1.0.0', source: nodeSource('Dup', 2) });
      await expect(attempt).rejects.toThrow(ConflictError);
      await expect(attempt).rejects.toThrow('publish failed [tenant=acme, node=Dup, version=1.0.0]: version already exists with different content. HINT: bump the version');
    });

    it('a second registry (another process) sees the same version as taken', async () => {
      const { registry, another } = await setup();
      await registry.publish(T, { name: 'Dup', version: '1.0.0', source: nodeSource('Dup', 1) });
      const other = another();
      await expect(other.publish(T, { name: 'Dup', version: '1.0.0', source: nodeSource('Dup', 9) })).rejects.toThrow(/different content/);
    });

    it('completes an interrupted publish (manifest written, bundle missing) on republish', async () => {
      const { registry, storage, another } = await setup();
      const { manifest } = await registry.publish(T, { name: 'Crash', version: '1.0.0', source: nodeSource('Crash') });
      const k = versionKeys(T, 'Crash', '1.0.0');
      await storage.delete(k.bundle);
      await storage.delete(k.sourceMap);
      const again = await another().publish(T, { name: 'Crash', version: '1.0.0', source: nodeSource('Crash') });
      expect(again.created).toBe(false);
      expect((await registry.loadBundle(T, 'Crash', '1.0.0')).sha256).toBe(manifest.sha256);
    });

    it('bytes left under a new version\'s keys (metadata and storage out of step): IntegrityError saying so; once removed, publishing again completes the version', async () => {
      const { registry, storage } = await setup();
      const k = versionKeys(T, 'Stale', '1.0.0');
      await storage.put(k.bundle, enc.encode('export default "left behind by an earlier registry";'));
      const error = await registry.publish(T, { name: 'Stale', version: '1.0.0', source: nodeSource('Stale') }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrityError);
      expect(error).toMatchObject({ context: { tenant: T, node: 'Stale', version: '1.0.0', key: k.bundle }, hint: expect.stringContaining('the metadata and the storage disagree') });
      await storage.delete(k.bundle);
      const again = await registry.publish(T, { name: 'Stale', version: '1.0.0', source: nodeSource('Stale') });
      await registry.approve(T, 'Stale', '1.0.0', { by: 'rev' });
      expect((await registry.loadBundle(T, 'Stale', '1.0.0')).sha256).toBe(again.manifest.sha256);
    });

    it('returns TypeScript syntax errors as diagnostics and stores nothing', async () => {
      const { registry, written } = await setup();
      const source = "import { ActionNode } from '@wayfarer-ai/btree';\nexport default class Broken extends ActionNode {\n  run() { const x: number = ; return x; }\n}\n";
      const error = (await registry.publish(T, { name: 'Broken', version: '1.0.0', source }).catch((e) => e)) as CompileError;
      expect(error).toBeInstanceOf(CompileError);
      expect(error.diagnostics[0]).toMatchObject({ kind: 'syntax', file: 'index.ts', line: 3, column: 29, message: 'Unexpected ";"' });
      expect(error.diagnostics[0]!.frame).toContain('> 3 |   run() { const x: number = ; return x; }');
      expect(error.message).toContain('index.ts:3:29: Unexpected ";"');
      expect(await written()).toEqual([]);
    });

    it('rejects a banned import with its location and stores nothing', async () => {
      const { registry, written } = await setup();
      const source = "import { ActionNode } from '@wayfarer-ai/btree';\nimport { execSync } from 'node:child_process';\nexport default class Shell extends ActionNode { protected async executeTick() { execSync('id'); return 'SUCCESS' as never; } }\n";
      const error = (await registry.publish(T, { name: 'Shell', version: '1.0.0', source }).catch((e) => e)) as CompileError;
      expect(error).toBeInstanceOf(CompileError);
      expect(error.diagnostics[0]).toMatchObject({ kind: 'import', importPath: 'node:child_process', file: 'index.ts', line: 2, column: 26 });
      expect(error.message).toContain('proxyActivities');
      expect(await written()).toEqual([]);
    });

    it('rejects an oversized source with the configured limit', async () => {
      const { registry } = await setup({ compile: { limits: { maxSourceBytes: 1000 } } });
      const source = `${nodeSource('Big')}\n// ${'x'.repeat(2000)}\n`;
      const error = (await registry.publish(T, { name: 'Big', version: '1.0.0', source }).catch((e) => e)) as CompileError;
      expect(error).toBeInstanceOf(CompileError);
      expect(error.diagnostics[0]).toMatchObject({ kind: 'limit', rule: 'maxSourceBytes' });
      expect(error.message).toMatch(/the limit is 1000/);
    });

    it('attaches scan findings, and blocks publishing on them when the host says so', async () => {
      const source = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class Evaler extends ActionNode { protected async executeTick() { eval('1'); return NodeStatus.SUCCESS; } }\n";
      const open = await setup();
      const { manifest } = await open.registry.publish(T, { name: 'Evaler', version: '1.0.0', source });
      expect(manifest.findings).toContainEqual(expect.objectContaining({ rule: 'dynamic-code', severity: 'high', line: 2 }));
      const strict = await setup({ blockOn: { severity: 'high' } });
      const error = (await strict.registry.publish(T, { name: 'Evaler', version: '1.0.0', source }).catch((e) => e)) as CompileError;
      expect(error).toBeInstanceOf(CompileError);
      expect(error.diagnostics[0]).toMatchObject({ kind: 'scan', rule: 'dynamic-code', line: 2 });
      expect(await strict.written()).toEqual([]);
    });

    it('refuses invalid names, versions, tenants and reserved names before any write', async () => {
      const { registry, written } = await setup({ reservedNames: ['HostOnly'] });
      const src = nodeSource('X');
      for (const [tenant, name, version] of [
        ['Acme', 'Good', '1.0.0'],
        [T, 'lowercase', '1.0.0'],
        [T, 'Good', '1.0'],
        [T, 'Good', '01.0.0'],
        [T, 'Good', '1.0.0+build.1'],
        [T, 'Good', 'v1.0.0'],
        [T, 'Sequence', '1.0.0'],
        [T, 'PythonInterpreter', '1.0.0'],
        [T, 'JavaScriptInterpreter', '1.0.0'],
        [T, 'HostOnly', '1.0.0'],
      ] as const) {
        await expect(registry.publish(tenant, { name, version, source: src }), `${tenant} ${name} ${version}`).rejects.toThrow(InvalidInputError);
      }
      expect(await written()).toEqual([]);
    });
  });

  describe('life cycle', () => {
    it('draft → approved → active, with who and when recorded', async () => {
      const { registry } = await setup();
      await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE, author: 'ana' });
      const approved = await registry.approve(T, SLACK, '1.0.0', { by: 'rita', note: 'looks fine' });
      expect(approved).toMatchObject({ status: 'approved', review: 'approved', reviewedBy: 'rita', reviewNote: 'looks fine' });
      const active = await registry.activate(T, SLACK, '1.0.0', { by: 'ops' });
      expect(active).toMatchObject({ status: 'active', active: true });
    });

    it('approving twice is a no-op', async () => {
      const { registry } = await setup();
      await ready(registry, 'Twice', '1.0.0');
      await registry.approve(T, 'Twice', '1.0.0', { by: 'someone-else' });
      const events = (await registry.audit(T)).filter((e) => e.action === 'approve');
      expect(events).toHaveLength(1);
      expect((await registry.get(T, 'Twice', '1.0.0')).reviewedBy).toBe('rev');
    });

    it('unreviewed-activation: refuses to activate an unapproved draft when approval is required', async () => {
      const { registry } = await setup();
      await registry.publish(T, { name: 'Draft', version: '1.0.0', source: nodeSource('Draft') });
      const attempt = registry.activate(T, 'Draft', '1.0.0');
      await expect(attempt).rejects.toThrow(ConflictError);
      await expect(attempt).rejects.toThrow(/draft and this registry requires approval.*HINT: approve it first/);
    });

    it('activates a draft directly when approval is not required', async () => {
      const { registry } = await setup({ requireApproval: false });
      await registry.publish(T, { name: 'Draft', version: '1.0.0', source: nodeSource('Draft') });
      expect(await registry.activate(T, 'Draft', '1.0.0')).toMatchObject({ status: 'active', review: 'draft' });
      expect((await registry.resolve(T, 'Draft')).version).toBe('1.0.0');
    });

    it('activating a newer version keeps the old one approved, and rollback returns to it', async () => {
      const { registry } = await setup();
      await ready(registry, 'Roll', '1.0.0', { activate: true });
      await ready(registry, 'Roll', '1.1.0', { activate: true });
      await ready(registry, 'Roll', '1.2.0', { activate: true });
      expect((await registry.versions(T, 'Roll')).map((v) => [v.version, v.status])).toEqual([
        ['1.2.0', 'active'],
        ['1.1.0', 'approved'],
        ['1.0.0', 'approved'],
      ]);
      expect(await registry.rollback(T, 'Roll', { by: 'ops' })).toMatchObject({ version: '1.1.0', status: 'active' });
      expect(await registry.rollback(T, 'Roll')).toMatchObject({ version: '1.0.0', status: 'active' });
      const last = (await registry.audit(T)).at(-1)!;
      expect(last).toMatchObject({ action: 'rollback', from: '1.1.0', to: '1.0.0', by: 'unknown' });
    });

    it('rollback without history is a clear ConflictError', async () => {
      const { registry } = await setup();
      await ready(registry, 'Once', '1.0.0', { activate: true });
      await expect(registry.rollback(T, 'Once')).rejects.toThrow(/rollback failed.*no earlier activation than 1\.0\.0.*HINT/);
      await ready(registry, 'Never', '1.0.0');
      await expect(registry.rollback(T, 'Never')).rejects.toThrow(ConflictError);
      await expect(registry.rollback(T, 'Ghost')).rejects.toThrow(NotFoundError);
    });

    it('rollback skips versions rejected since they were active', async () => {
      const { registry } = await setup();
      await ready(registry, 'Skip', '1.0.0', { activate: true });
      await ready(registry, 'Skip', '1.1.0', { activate: true });
      await ready(registry, 'Skip', '1.2.0', { activate: true });
      await registry.reject(T, 'Skip', '1.1.0', { by: 'sec', note: 'leaks tokens' });
      expect((await registry.rollback(T, 'Skip')).version).toBe('1.0.0');
    });

    it('reject: drafts and approved versions only; rejected versions cannot come back', async () => {
      const { registry } = await setup();
      await ready(registry, 'Rej', '1.0.0', { activate: true });
      await expect(registry.reject(T, 'Rej', '1.0.0', { by: 'sec' })).rejects.toThrow(/is the active version/);
      await registry.publish(T, { name: 'Rej', version: '1.1.0', source: nodeSource('Rej', 11) });
      expect(await registry.reject(T, 'Rej', '1.1.0', { by: 'sec', note: 'no' })).toMatchObject({ status: 'rejected' });
      await expect(registry.approve(T, 'Rej', '1.1.0', { by: 'x' })).rejects.toThrow(ConflictError);
      await expect(registry.activate(T, 'Rej', '1.1.0')).rejects.toThrow(ConflictError);
      await expect(registry.loadBundle(T, 'Rej', '1.1.0')).rejects.toThrow(ConflictError);
      await expect(registry.resolve(T, 'Rej@1.1.0')).rejects.toThrow(ConflictError);
    });

    it('deprecate keeps a version resolvable with a warning, and it cannot be activated again', async () => {
      const { registry } = await setup();
      await ready(registry, 'Dep', '1.0.0', { activate: true });
      await ready(registry, 'Dep', '1.1.0');
      expect(await registry.deprecate(T, 'Dep', '1.1.0', { reason: 'use 2.x', by: 'ana' })).toMatchObject({ status: 'deprecated' });
      expect(await registry.resolve(T, 'Dep@1.1.0')).toMatchObject({ version: '1.1.0', status: 'deprecated', warning: 'Dep@1.1.0 is deprecated: use 2.x' });
      await expect(registry.activate(T, 'Dep', '1.1.0')).rejects.toThrow(/deprecated/);
      await registry.deprecate(T, 'Dep', '1.0.0', { reason: 'old' });
      expect(await registry.resolve(T, 'Dep')).toMatchObject({ version: '1.0.0', warning: expect.stringContaining('old') });
    });

    it('approve, reject, deprecate need their reason fields', async () => {
      const { registry } = await setup();
      await registry.publish(T, { name: 'Who', version: '1.0.0', source: nodeSource('Who') });
      await expect(registry.approve(T, 'Who', '1.0.0', { by: '' })).rejects.toThrow(InvalidInputError);
      await expect(registry.reject(T, 'Who', '1.0.0', {} as never)).rejects.toThrow(InvalidInputError);
      await expect(registry.deprecate(T, 'Who', '1.0.0', { reason: ' ' })).rejects.toThrow(InvalidInputError);
      await expect(registry.approve(T, 'Who', '9.9.9', { by: 'x' })).rejects.toThrow(NotFoundError);
      await expect(registry.approve(T, 'Nobody', '1.0.0', { by: 'x' })).rejects.toThrow(NotFoundError);
    });
  });

  describe('reading', () => {
    it('list, versions and get describe what is stored', async () => {
      const { registry } = await setup();
      await ready(registry, 'Alpha', '1.0.0', { activate: true });
      await ready(registry, 'Alpha', '1.10.0');
      await registry.publish(T, { name: 'Alpha', version: '1.2.0', source: nodeSource('Alpha', 2) });
      await registry.publish(T, { name: 'Beta', version: '0.1.0', source: nodeSource('Beta') });
      expect(await registry.list(T)).toEqual([
        { name: 'Alpha', active: '1.0.0', latest: '1.10.0', versionCount: 3, statuses: { '1.10.0': 'approved', '1.2.0': 'draft', '1.0.0': 'active' } },
        { name: 'Beta', active: null, latest: '0.1.0', versionCount: 1, statuses: { '0.1.0': 'draft' } },
      ]);
      expect((await registry.versions(T, 'Alpha')).map((v) => v.version)).toEqual(['1.10.0', '1.2.0', '1.0.0']);
      const details = await registry.get(T, 'Alpha', '1.2.0');
      expect(details).toMatchObject({ status: 'draft', manifest: { version: '1.2.0' } });
      await expect(registry.get(T, 'Alpha', '3.0.0')).rejects.toThrow(/published versions: 1.10.0, 1.2.0, 1.0.0/);
      await expect(registry.versions(T, 'Gamma')).rejects.toThrow(NotFoundError);
      expect(await registry.list('empty')).toEqual([]);
    });

    it('resolve: bare name, exact, ranges (highest usable, non-deprecated first) and bad specs', async () => {
      const { registry } = await setup();
      await ready(registry, 'Res', '1.0.0', { activate: true });
      await ready(registry, 'Res', '1.2.0');
      await ready(registry, 'Res', '1.3.0');
      await registry.publish(T, { name: 'Res', version: '1.4.0', source: nodeSource('Res', 4) }); // draft: not usable
      await ready(registry, 'Res', '2.0.0');
      await registry.deprecate(T, 'Res', '1.3.0', { reason: 'bug' });
      expect((await registry.resolve(T, 'Res')).version).toBe('1.0.0');
      expect((await registry.resolve(T, 'Res@1.2.0')).version).toBe('1.2.0');
      expect((await registry.resolve(T, 'Res@^1.2')).version).toBe('1.2.0');
      expect(await registry.resolve(T, 'Res@~1.3')).toMatchObject({ version: '1.3.0', warning: 'Res@1.3.0 is deprecated: bug' });
      expect((await registry.resolve(T, 'Res@>=1')).version).toBe('2.0.0');
      const resolved = await registry.resolve(T, 'Res@1.x');
      expect(resolved).toMatchObject({ tenantId: T, name: 'Res', status: 'approved', metadata: { category: 'action', ports: [] }, metadataSource: 'inspect' });
      await expect(registry.resolve(T, 'Res@1.4.0')).rejects.toThrow(/draft.*approve it first/);
      await expect(registry.resolve(T, 'Res@^3')).rejects.toThrow(NotFoundError);
      await expect(registry.resolve(T, 'Res@not a range!')).rejects.toThrow(InvalidInputError);
      await expect(registry.resolve(T, 'Res@')).rejects.toThrow(InvalidInputError);
    });

    it('activeNodes: every node with an active version, resolved as resolve(name) would, in name order', async () => {
      const { registry } = await setup();
      await ready(registry, 'Gamma', '1.0.0', { activate: true });
      await ready(registry, 'Alpha', '1.0.0', { activate: true });
      await ready(registry, 'Alpha', '1.1.0', { activate: true });
      await ready(registry, 'Beta', '1.0.0'); // approved, never activated
      await registry.deprecate(T, 'Gamma', '1.0.0', { reason: 'replaced' });
      const active = await registry.activeNodes(T);
      expect(active.map((n) => `${n.name}@${n.version}`)).toEqual(['Alpha@1.1.0', 'Gamma@1.0.0']);
      expect(active).toEqual([await registry.resolve(T, 'Alpha'), await registry.resolve(T, 'Gamma')]);
      expect(active[1]).toMatchObject({ status: 'deprecated', warning: 'Gamma@1.0.0 is deprecated: replaced' });
      expect(await registry.activeNodes('empty')).toEqual([]);
    });

    it('resolve of an unknown name lists the available names (bounded)', async () => {
      const { registry } = await setup();
      for (let i = 0; i < 25; i++) await registry.publish(T, { name: `Node${String(i).padStart(2, '0')}`, version: '1.0.0', source: nodeSource(`Node${i}`) });
      const error = (await registry.resolve(T, 'Missing').catch((e) => e)) as NotFoundError;
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.message).toContain('available nodes: Node00, Node01');
      expect(error.message).toContain('(and 5 more)');
      expect(error.message).not.toContain('Node24');
    });

    it('resolve of a node without an active version says how to fix it', async () => {
      const { registry } = await setup();
      await ready(registry, 'Idle', '1.0.0');
      await expect(registry.resolve(T, 'Idle')).rejects.toThrow(/Idle has no active version.*HINT: activate one of its versions \(1\.0\.0\)/);
    });
  });

  describe('loadBundle', () => {
    it('returns the bundle and source map after checking their hashes', async () => {
      const { registry } = await setup();
      const { manifest } = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
      const bundle = await registry.loadBundle(T, SLACK, '1.0.0');
      expect(bundle).toMatchObject({ tenantId: T, node: SLACK, version: '1.0.0', sha256: manifest.sha256 });
      expect(bundle.code).toContain('__name(this, "SendSlackMessage")');
      expect(JSON.parse(bundle.sourceMap!).sources).toEqual(['index.ts']);
    });

    it('tampered-bundle: IntegrityError naming tenant, node, version, expected and actual', async () => {
      const { registry, backend } = await setup();
      const { manifest } = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
      const key = versionKeys(T, SLACK, '1.0.0').bundle;
      const evil = enc.encode('export default class SendSlackMessage { constructor() { /* stolen */ } }');
      // Simulates someone with write access to the bucket overwriting the object.
      backend.objects.set(key, { body: evil, etag: 'tampered' });
      const error = (await registry.loadBundle(T, SLACK, '1.0.0').catch((e) => e)) as IntegrityError;
      expect(error).toBeInstanceOf(IntegrityError);
      expect(error.expected).toBe(manifest.sha256);
      expect(error.actual).toBe(sha256Hex(evil));
      expect(error.message).toContain(`tenant=${T}, node=${SLACK}, version=1.0.0`);
      expect(error.message).toContain(manifest.sha256);
      expect(error.message).toContain(sha256Hex(evil));
    });

    it('tampered-source-map: IntegrityError', async () => {
      const { registry, backend } = await setup();
      await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
      backend.objects.set(versionKeys(T, SLACK, '1.0.0').sourceMap, { body: enc.encode('{}'), etag: 'x' });
      await expect(registry.loadBundle(T, SLACK, '1.0.0')).rejects.toThrow(/source map integrity check failed/);
    });

    it('a missing bundle is reported as an integrity failure, an unknown version as not found', async () => {
      const { registry, storage } = await setup();
      await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
      await expect(registry.loadBundle(T, SLACK, '2.0.0')).rejects.toThrow(NotFoundError);
      await storage.delete(versionKeys(T, SLACK, '1.0.0').bundle);
      await expect(registry.loadBundle(T, SLACK, '1.0.0')).rejects.toThrow(/expected [0-9a-f]{64}, got absent/);
    });
  });

  describe('usages and audit', () => {
    it('records which workflows use which versions, idempotently', async () => {
      const { registry } = await setup();
      for (const [name, version] of [[SLACK, '1.0.0'], [SLACK, '1.1.0'], ['Other', '2.0.0']] as const) {
        await registry.publish(T, { name, version, source: nodeSource(name, Number(version.split('.')[1])) });
      }
      const long = `wf-${'x'.repeat(300)}`;
      await registry.recordUsage(T, 'order-42', [{ name: SLACK, version: '1.0.0' }, { name: 'Other', version: '2.0.0' }]);
      await registry.recordUsage(T, 'order-42', [{ name: SLACK, version: '1.0.0' }]);
      await registry.recordUsage(T, 'ünïcode/id with spaces', [{ name: SLACK, version: '1.1.0' }]);
      await registry.recordUsage(T, long, [{ name: SLACK, version: '1.1.0' }]);
      expect(await registry.usages(T, SLACK)).toEqual([
        { workflowId: 'order-42', name: SLACK, version: '1.0.0' },
        { workflowId: long, name: SLACK, version: '1.1.0' },
        { workflowId: 'ünïcode/id with spaces', name: SLACK, version: '1.1.0' },
      ]);
      expect((await registry.usages(T, SLACK, '1.0.0')).map((u) => u.workflowId)).toEqual(['order-42']);
      await expect(registry.recordUsage(T, '', [])).rejects.toThrow(InvalidInputError);
      await expect(registry.recordUsage(T, 'wf', [{ name: '../x', version: '1.0.0' }])).rejects.toThrow(InvalidInputError);
      // A version that was never published is refused, and nothing of that call is recorded.
      await expect(registry.recordUsage(T, 'wf-new', [{ name: SLACK, version: '1.0.0' }, { name: SLACK, version: '9.9.9' }])).rejects.toThrow(NotFoundError);
      expect((await registry.usages(T, SLACK)).map((u) => u.workflowId)).not.toContain('wf-new');
    });

    it('audit: one event per change with who, what, when and from → to; since filters', async () => {
      const { registry } = await setup({ clock: steppingClock(Date.UTC(2026, 0, 1)) });
      await registry.publish(T, { name: 'Aud', version: '1.0.0', source: nodeSource('Aud'), author: 'ana' });
      await registry.approve(T, 'Aud', '1.0.0', { by: 'rita', note: 'ok' });
      await registry.activate(T, 'Aud', '1.0.0', { by: 'ops' });
      await registry.deprecate(T, 'Aud', '1.0.0', { reason: 'superseded', by: 'ana' });
      const events = await registry.audit(T);
      expect(events.map((e) => [e.action, e.by, e.from, e.to, e.revision])).toEqual([
        ['publish', 'ana', null, 'draft', 1],
        ['approve', 'rita', 'draft', 'approved', 2],
        ['activate', 'ops', null, '1.0.0', 3],
        ['deprecate', 'ana', 'active', 'deprecated', 4],
      ]);
      expect(events[1]).toMatchObject({ tenantId: T, node: 'Aud', version: '1.0.0', note: 'ok' });
      expect(Date.parse(events[0]!.at)).toBeLessThan(Date.parse(events[3]!.at));
      expect((await registry.audit(T, { since: events[2]!.at })).map((e) => e.action)).toEqual(['activate', 'deprecate']);
      await expect(registry.audit(T, { since: 'yesterday-ish' })).rejects.toThrow(InvalidInputError);
    });

  });
  });
}
