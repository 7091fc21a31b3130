import { afterEach, describe, expect, it, vi } from 'vitest';
import { CompileError, ConflictError, IntegrityError, InvalidInputError, NotFoundError } from '../../src/errors.js';
import { sha256Hex } from '../../src/loader/hash.js';
import type { NodeMetadata } from '../../src/binding-core/types.js';
import { indexKey, versionKeys } from '../../src/registry/layout.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import type { RunnableBundle } from '../../src/sandbox/types.js';
import { MemoryStorage } from '../../src/storage-adapters/memory.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import { fixedInspector, makeRegistry, nodeSource, SEND_SLACK_SOURCE, steppingClock } from './helpers.js';

const T = 'acme';
const SLACK = 'SendSlackMessage';
const storages: StorageAdapter[] = [];
const enc = new TextEncoder();

function setup(options: Parameters<typeof makeRegistry>[0] = {}) {
  const made = makeRegistry(options);
  storages.push(made.storage);
  return made;
}

afterEach(async () => {
  await Promise.all(storages.splice(0).map((s) => s.dispose()));
});

async function keys(storage: StorageAdapter, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const e of storage.list(prefix)) out.push(e.key);
  return out.sort();
}

/** Publish + approve (+ activate) in one go. */
async function ready(registry: TenantRegistry, name: string, version: string, opts: { activate?: boolean; variant?: number } = {}) {
  await registry.publish(T, { name, version, source: nodeSource(name, opts.variant ?? Number(version.split('.')[1])) });
  await registry.approve(T, name, version, { by: 'rev' });
  if (opts.activate) await registry.activate(T, name, version, { by: 'ops' });
}

describe('publish', () => {
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

  it('stores the metadata the inspector reads, with metadataSource inspect', async () => {
    const metadata: NodeMetadata = { category: 'action', ports: [{ name: 'channel', type: 'input', required: true }], propsSchema: { type: 'object' } };
    const inspect = vi.fn(async (_bundle: RunnableBundle) => metadata);
    const { registry } = setup({ inspector: { inspect } });
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
    const { registry } = setup();
    const files = {
      'index.ts': "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nimport { greet } from './lib/greet.js';\nexport default class Greeter extends ActionNode { protected async executeTick() { greet(); return NodeStatus.SUCCESS; } }\n",
      'lib/greet.ts': "export function greet(): string { return 'hi'; }\n",
    };
    const { manifest } = await registry.publish(T, { name: 'Greeter', version: '0.1.0', files, entry: 'index.ts' });
    expect(manifest.files.map((f) => f.path)).toEqual(['index.ts', 'lib/greet.ts']);
  });

  it('is idempotent for the same content: no second event, same manifest', async () => {
    const { registry } = setup();
    const first = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE, author: 'ana' });
    const again = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE, author: 'bob' });
    expect(again.created).toBe(false);
    expect(again.manifest).toEqual(first.manifest);
    expect((await registry.audit(T)).filter((e) => e.action === 'publish')).toHaveLength(1);
  });

  it('version-overwrite: refuses a duplicate version with different content', async () => {
    const { registry } = setup();
    await registry.publish(T, { name: 'Dup', version: '1.0.0', source: nodeSource('Dup', 1) });
    const attempt = registry.publish(T, { name: 'Dup', version: '1.0.0', source: nodeSource('Dup', 2) });
    await expect(attempt).rejects.toThrow(ConflictError);
    await expect(attempt).rejects.toThrow('publish failed [tenant=acme, node=Dup, version=1.0.0]: version already exists with different content. HINT: bump the version');
  });

  it('a second registry (another process) sees the same version as taken', async () => {
    const { registry, backend } = setup();
    await registry.publish(T, { name: 'Dup', version: '1.0.0', source: nodeSource('Dup', 1) });
    const second = new MemoryStorage({ backend });
    storages.push(second);
    const other = new TenantRegistry({ storage: second, inspector: fixedInspector() });
    await expect(other.publish(T, { name: 'Dup', version: '1.0.0', source: nodeSource('Dup', 9) })).rejects.toThrow(/different content/);
  });

  it('completes an interrupted publish (manifest written, bundle missing) on republish', async () => {
    const { registry, storage } = setup();
    const { manifest } = await registry.publish(T, { name: 'Crash', version: '1.0.0', source: nodeSource('Crash') });
    const k = versionKeys(T, 'Crash', '1.0.0');
    await storage.delete(k.bundle);
    await storage.delete(k.sourceMap);
    const again = await new TenantRegistry({ storage, inspector: fixedInspector() }).publish(T, { name: 'Crash', version: '1.0.0', source: nodeSource('Crash') });
    expect(again.created).toBe(false);
    expect((await registry.loadBundle(T, 'Crash', '1.0.0')).sha256).toBe(manifest.sha256);
  });

  it('returns TypeScript syntax errors as diagnostics and stores nothing', async () => {
    const { registry, storage } = setup();
    const source = "import { ActionNode } from '@wayfarer-ai/btree';\nexport default class Broken extends ActionNode {\n  run() { const x: number = ; return x; }\n}\n";
    const error = (await registry.publish(T, { name: 'Broken', version: '1.0.0', source }).catch((e) => e)) as CompileError;
    expect(error).toBeInstanceOf(CompileError);
    expect(error.diagnostics[0]).toMatchObject({ kind: 'syntax', file: 'index.ts', line: 3, column: 29, message: 'Unexpected ";"' });
    expect(error.diagnostics[0]!.frame).toContain('> 3 |   run() { const x: number = ; return x; }');
    expect(error.message).toContain('index.ts:3:29: Unexpected ";"');
    expect(await keys(storage)).toEqual([]);
  });

  it('rejects a banned import with its location and stores nothing', async () => {
    const { registry, storage } = setup();
    const source = "import { ActionNode } from '@wayfarer-ai/btree';\nimport { execSync } from 'node:child_process';\nexport default class Shell extends ActionNode { protected async executeTick() { execSync('id'); return 'SUCCESS' as never; } }\n";
    const error = (await registry.publish(T, { name: 'Shell', version: '1.0.0', source }).catch((e) => e)) as CompileError;
    expect(error).toBeInstanceOf(CompileError);
    expect(error.diagnostics[0]).toMatchObject({ kind: 'import', importPath: 'node:child_process', file: 'index.ts', line: 2, column: 26 });
    expect(error.message).toContain('proxyActivities');
    expect(await keys(storage)).toEqual([]);
  });

  it('rejects an oversized source with the configured limit', async () => {
    const { registry } = setup({ compile: { limits: { maxSourceBytes: 1000 } } });
    const source = `${nodeSource('Big')}\n// ${'x'.repeat(2000)}\n`;
    const error = (await registry.publish(T, { name: 'Big', version: '1.0.0', source }).catch((e) => e)) as CompileError;
    expect(error).toBeInstanceOf(CompileError);
    expect(error.diagnostics[0]).toMatchObject({ kind: 'limit', rule: 'maxSourceBytes' });
    expect(error.message).toMatch(/the limit is 1000/);
  });

  it('attaches scan findings, and blocks publishing on them when the host says so', async () => {
    const source = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\nexport default class Evaler extends ActionNode { protected async executeTick() { eval('1'); return NodeStatus.SUCCESS; } }\n";
    const open = setup();
    const { manifest } = await open.registry.publish(T, { name: 'Evaler', version: '1.0.0', source });
    expect(manifest.findings).toContainEqual(expect.objectContaining({ rule: 'dynamic-code', severity: 'high', line: 2 }));
    const strict = setup({ blockOn: { severity: 'high' } });
    const error = (await strict.registry.publish(T, { name: 'Evaler', version: '1.0.0', source }).catch((e) => e)) as CompileError;
    expect(error).toBeInstanceOf(CompileError);
    expect(error.diagnostics[0]).toMatchObject({ kind: 'scan', rule: 'dynamic-code', line: 2 });
    expect(await keys(strict.storage)).toEqual([]);
  });

  it('refuses invalid names, versions, tenants and reserved names before any write', async () => {
    const { registry, storage } = setup({ reservedNames: ['HostOnly'] });
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
    expect(await keys(storage)).toEqual([]);
  });
});

describe('life cycle', () => {
  it('draft → approved → active, with who and when recorded', async () => {
    const { registry } = setup();
    await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE, author: 'ana' });
    const approved = await registry.approve(T, SLACK, '1.0.0', { by: 'rita', note: 'looks fine' });
    expect(approved).toMatchObject({ status: 'approved', review: 'approved', reviewedBy: 'rita', reviewNote: 'looks fine' });
    const active = await registry.activate(T, SLACK, '1.0.0', { by: 'ops' });
    expect(active).toMatchObject({ status: 'active', active: true });
  });

  it('approving twice is a no-op', async () => {
    const { registry } = setup();
    await ready(registry, 'Twice', '1.0.0');
    await registry.approve(T, 'Twice', '1.0.0', { by: 'someone-else' });
    const events = (await registry.audit(T)).filter((e) => e.action === 'approve');
    expect(events).toHaveLength(1);
    expect((await registry.get(T, 'Twice', '1.0.0')).reviewedBy).toBe('rev');
  });

  it('unreviewed-activation: refuses to activate an unapproved draft when approval is required', async () => {
    const { registry } = setup();
    await registry.publish(T, { name: 'Draft', version: '1.0.0', source: nodeSource('Draft') });
    const attempt = registry.activate(T, 'Draft', '1.0.0');
    await expect(attempt).rejects.toThrow(ConflictError);
    await expect(attempt).rejects.toThrow(/draft and this registry requires approval.*HINT: approve it first/);
  });

  it('activates a draft directly when approval is not required', async () => {
    const { registry } = setup({ requireApproval: false });
    await registry.publish(T, { name: 'Draft', version: '1.0.0', source: nodeSource('Draft') });
    expect(await registry.activate(T, 'Draft', '1.0.0')).toMatchObject({ status: 'active', review: 'draft' });
    expect((await registry.resolve(T, 'Draft')).version).toBe('1.0.0');
  });

  it('activating a newer version keeps the old one approved, and rollback returns to it', async () => {
    const { registry } = setup();
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
    const { registry } = setup();
    await ready(registry, 'Once', '1.0.0', { activate: true });
    await expect(registry.rollback(T, 'Once')).rejects.toThrow(/rollback failed.*no earlier activation than 1\.0\.0.*HINT/);
    await ready(registry, 'Never', '1.0.0');
    await expect(registry.rollback(T, 'Never')).rejects.toThrow(ConflictError);
    await expect(registry.rollback(T, 'Ghost')).rejects.toThrow(NotFoundError);
  });

  it('rollback skips versions rejected since they were active', async () => {
    const { registry } = setup();
    await ready(registry, 'Skip', '1.0.0', { activate: true });
    await ready(registry, 'Skip', '1.1.0', { activate: true });
    await ready(registry, 'Skip', '1.2.0', { activate: true });
    await registry.reject(T, 'Skip', '1.1.0', { by: 'sec', note: 'leaks tokens' });
    expect((await registry.rollback(T, 'Skip')).version).toBe('1.0.0');
  });

  it('reject: drafts and approved versions only; rejected versions cannot come back', async () => {
    const { registry } = setup();
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
    const { registry } = setup();
    await ready(registry, 'Dep', '1.0.0', { activate: true });
    await ready(registry, 'Dep', '1.1.0');
    expect(await registry.deprecate(T, 'Dep', '1.1.0', { reason: 'use 2.x', by: 'ana' })).toMatchObject({ status: 'deprecated' });
    expect(await registry.resolve(T, 'Dep@1.1.0')).toMatchObject({ version: '1.1.0', status: 'deprecated', warning: 'Dep@1.1.0 is deprecated: use 2.x' });
    await expect(registry.activate(T, 'Dep', '1.1.0')).rejects.toThrow(/deprecated/);
    await registry.deprecate(T, 'Dep', '1.0.0', { reason: 'old' });
    expect(await registry.resolve(T, 'Dep')).toMatchObject({ version: '1.0.0', warning: expect.stringContaining('old') });
  });

  it('approve, reject, deprecate need their reason fields', async () => {
    const { registry } = setup();
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
    const { registry } = setup();
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
    const { registry } = setup();
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

  it('resolve of an unknown name lists the available names (bounded)', async () => {
    const { registry } = setup();
    for (let i = 0; i < 25; i++) await registry.publish(T, { name: `Node${String(i).padStart(2, '0')}`, version: '1.0.0', source: nodeSource(`Node${i}`) });
    const error = (await registry.resolve(T, 'Missing').catch((e) => e)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('available nodes: Node00, Node01');
    expect(error.message).toContain('(and 5 more)');
    expect(error.message).not.toContain('Node24');
  });

  it('resolve of a node without an active version says how to fix it', async () => {
    const { registry } = setup();
    await ready(registry, 'Idle', '1.0.0');
    await expect(registry.resolve(T, 'Idle')).rejects.toThrow(/Idle has no active version.*HINT: activate one of its versions \(1\.0\.0\)/);
  });
});

describe('loadBundle', () => {
  it('returns the bundle and source map after checking their hashes', async () => {
    const { registry } = setup();
    const { manifest } = await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
    const bundle = await registry.loadBundle(T, SLACK, '1.0.0');
    expect(bundle).toMatchObject({ tenantId: T, node: SLACK, version: '1.0.0', sha256: manifest.sha256 });
    expect(bundle.code).toContain('__name(this, "SendSlackMessage")');
    expect(JSON.parse(bundle.sourceMap!).sources).toEqual(['index.ts']);
  });

  it('tampered-bundle: IntegrityError naming tenant, node, version, expected and actual', async () => {
    const { registry, backend } = setup();
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
    const { registry, backend } = setup();
    await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
    backend.objects.set(versionKeys(T, SLACK, '1.0.0').sourceMap, { body: enc.encode('{}'), etag: 'x' });
    await expect(registry.loadBundle(T, SLACK, '1.0.0')).rejects.toThrow(/source map integrity check failed/);
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

  it('a missing bundle is reported as an integrity failure, an unknown version as not found', async () => {
    const { registry, storage } = setup();
    await registry.publish(T, { name: SLACK, version: '1.0.0', source: SEND_SLACK_SOURCE });
    await expect(registry.loadBundle(T, SLACK, '2.0.0')).rejects.toThrow(NotFoundError);
    await storage.delete(versionKeys(T, SLACK, '1.0.0').bundle);
    await expect(registry.loadBundle(T, SLACK, '1.0.0')).rejects.toThrow(/expected [0-9a-f]{64}, got absent/);
  });
});

describe('usages and audit', () => {
  it('records which workflows use which versions, idempotently', async () => {
    const { registry } = setup();
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
  });

  it('audit: one event per change with who, what, when and from → to; since filters', async () => {
    const { registry } = setup({ clock: steppingClock(Date.UTC(2026, 0, 1)) });
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
