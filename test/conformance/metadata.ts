/**
 * The metadata-store conformance suite: the contract every `MetadataStore` must keep
 * (src/registry/metadata-store.ts), against a real backend. A store's test file calls
 * {@link describeMetadataConformance} with a target that makes fresh, empty stores.
 *
 * It checks the store alone — create-only claims, atomic index changes (revision, lastEvent,
 * audit), listing, audit queries and usage markers — with the registry's own pure life-cycle
 * changes, so that a registry on any conforming store keeps the registry's guarantees.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as lifeCycle from '../../src/registry/life-cycle.js';
import type { IndexChangeNotice, MetadataStore } from '../../src/registry/metadata-store.js';
import type { NodeManifest } from '../../src/registry/types.js';
import { until } from '../registry/helpers.js';

/** How the suite gets stores of one backend. */
export interface MetadataTarget {
  /** e.g. 'object-store on memory'. */
  name: string;
  /** A fresh, empty store. Calls with the same `space` share one backend (what two processes would share). */
  create(space: string): Promise<MetadataStore>;
  /** Releases what `create` made. */
  cleanup?(): Promise<void>;
  /** True when the store has a change feed (`watchIndexes`); the suite checks that it does and that it keeps the feed's contract. */
  changeFeed?: boolean;
}

function manifest(tenantId: string, name: string, version: string, sha = 'a'.repeat(64)): NodeManifest {
  return {
    schema: 1,
    tenantId,
    name,
    version,
    sha256: sha,
    sourceMapSha256: 'b'.repeat(64),
    sourceSha256: 'c'.repeat(64),
    entry: 'index.ts',
    files: [{ path: 'index.ts', bytes: 10, sha256: 'd'.repeat(64) }],
    sizes: { sourceBytes: 10, bundleBytes: 20, sourceMapBytes: 30 },
    imports: [],
    findings: [],
    esbuildVersion: '0.25.0',
    author: 'ana',
    publishedAt: '2026-01-01T00:00:00.000Z',
    metadata: { category: 'action', ports: [], propsSchema: { type: 'object' } },
    metadataSource: 'inspect',
  };
}

/** A clock one second apart per call. */
function clock(start = Date.UTC(2026, 0, 1)): () => number {
  let t = start;
  return () => (t += 1000);
}

const publishEntry = (version: string, sha = 'a'.repeat(64)) => ({ version, sha256: sha, publishedAt: '2026-01-01T00:00:00.000Z', publishedBy: 'ana' });

/** What the registry does to publish: claim the version with its manifest, then list it in the index. */
async function publish(store: MetadataStore, tenant: string, name: string, version: string, tick: () => number) {
  await store.claimVersion(manifest(tenant, name, version), { files: { 'index.ts': `// ${name}@${version}` }, bundleUrl: `memory:///${tenant}/${name}/${version}/bundle.js` });
  return store.updateIndex(tenant, name, lifeCycle.addVersion(tenant, name, publishEntry(version)), tick);
}

const FILES = { files: { 'index.ts': 'export default 1;' }, bundleUrl: 'memory:///bundle.js' };

let spaces = 0;

export function describeMetadataConformance(target: MetadataTarget): void {
  const fresh = () => target.create(`meta-${process.pid}-${spaces++}-${Math.random().toString(36).slice(2, 8)}`);
  afterAll(async () => target.cleanup?.());

  describe(`metadata store conformance: ${target.name}`, () => {
    it('claims a version create-only and hands back the manifest already there', async () => {
      const store = await fresh();
      expect(await store.readManifest('acme', 'Greeter', '1.0.0')).toBeUndefined();
      expect(await store.claimVersion(manifest('acme', 'Greeter', '1.0.0'), FILES)).toBeUndefined();
      const again = await store.claimVersion(manifest('acme', 'Greeter', '1.0.0', 'e'.repeat(64)), FILES);
      expect(again).toEqual(manifest('acme', 'Greeter', '1.0.0'));
      expect(await store.readManifest('acme', 'Greeter', '1.0.0')).toEqual(manifest('acme', 'Greeter', '1.0.0'));
      // Another tenant's version of the same name is its own.
      expect(await store.readManifest('other', 'Greeter', '1.0.0')).toBeUndefined();
      expect(await store.claimVersion(manifest('other', 'Greeter', '1.0.0'), FILES)).toBeUndefined();
    });

    it('lets exactly one of 20 concurrent claims of a version win', async () => {
      const store = await fresh();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claimVersion(manifest('acme', 'Greeter', '1.0.0', String(i).padStart(64, '0')), FILES)));
      const winners = results.filter((r) => r === undefined);
      expect(winners).toHaveLength(1);
      const stored = await store.readManifest('acme', 'Greeter', '1.0.0');
      for (const r of results) if (r !== undefined) expect(r).toEqual(stored);
    });

    it('creates an index with the first change, numbers revisions, records lastEvent and the audit event', async () => {
      const store = await fresh();
      const tick = clock();
      expect(await store.readIndex('acme', 'Greeter')).toBeUndefined();
      const first = await publish(store, 'acme', 'Greeter', '1.0.0', tick);
      expect(first.doc).toMatchObject({ schema: 1, tenantId: 'acme', name: 'Greeter', revision: 1, active: null, versions: { '1.0.0': { review: 'draft' } } });
      expect(first.event).toMatchObject({ tenantId: 'acme', node: 'Greeter', version: '1.0.0', action: 'publish', revision: 1, by: 'ana' });
      expect(first.doc!.lastEvent).toEqual(first.event);
      const second = await store.updateIndex('acme', 'Greeter', lifeCycle.approve('acme', 'Greeter', '1.0.0', 'rita'), tick);
      expect(second.doc!.revision).toBe(2);
      expect(await store.readIndex('acme', 'Greeter')).toEqual(second.doc);
      // A no-op changes nothing and records nothing.
      const noop = await store.updateIndex('acme', 'Greeter', lifeCycle.approve('acme', 'Greeter', '1.0.0', 'rita'), tick);
      expect(noop).toEqual({ doc: second.doc, event: undefined });
      expect((await store.readAudit('acme', {})).map((e) => `${e.action}#${e.revision}`)).toEqual(['publish#1', 'approve#2']);
    });

    it('lets an error thrown by a change through, changing nothing', async () => {
      const store = await fresh();
      const tick = clock();
      await publish(store, 'acme', 'Greeter', '1.0.0', tick);
      await expect(store.updateIndex('acme', 'Greeter', lifeCycle.activate('acme', 'Greeter', '1.0.0', 'ana', true), tick)).rejects.toThrow(/requires approval/);
      expect((await store.readIndex('acme', 'Greeter'))!.revision).toBe(1);
      expect(await store.readAudit('acme', {})).toHaveLength(1);
    });

    it('serialises 20 concurrent changes of one node: none lost, revisions 1..20, one event each', async () => {
      const store = await fresh();
      const tick = clock();
      await Promise.all(Array.from({ length: 20 }, (_, i) => publish(store, 'acme', 'Greeter', `1.0.${i}`, tick)));
      const doc = (await store.readIndex('acme', 'Greeter'))!;
      expect(doc.revision).toBe(20);
      expect(Object.keys(doc.versions)).toHaveLength(20);
      const events = await store.readAudit('acme', { node: 'Greeter' });
      expect(events.map((e) => e.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('lists node names sorted, per tenant', async () => {
      const store = await fresh();
      const tick = clock();
      for (const name of ['Charlie', 'Alpha', 'Bravo']) await publish(store, 'acme', name, '1.0.0', tick);
      await publish(store, 'other', 'Zulu', '1.0.0', tick);
      expect(await store.listNames('acme')).toEqual(['Alpha', 'Bravo', 'Charlie']);
      expect(await store.listNames('other')).toEqual(['Zulu']);
      expect(await store.listNames('nobody')).toEqual([]);
    });

    it('answers audit queries: oldest first, by node, after an id, since a time, up to a limit, per tenant', async () => {
      const store = await fresh();
      const tick = clock();
      for (const [name, version] of [['Alpha', '1.0.0'], ['Bravo', '1.0.0'], ['Alpha', '1.0.1']] as const) {
        await publish(store, 'acme', name, version, tick);
      }
      await publish(store, 'other', 'Alpha', '9.0.0', tick);
      const all = await store.readAudit('acme', {});
      expect(all.map((e) => `${e.node}@${e.version}`)).toEqual(['Alpha@1.0.0', 'Bravo@1.0.0', 'Alpha@1.0.1']);
      expect(all.every((e) => e.tenantId === 'acme')).toBe(true);
      expect((await store.readAudit('acme', { node: 'Alpha' })).map((e) => e.version)).toEqual(['1.0.0', '1.0.1']);
      expect(await store.readAudit('acme', { after: all[0]!.id })).toEqual(all.slice(1));
      expect(await store.readAudit('acme', { limit: 2 })).toEqual(all.slice(0, 2));
      expect(await store.readAudit('acme', { since: all[2]!.at })).toEqual([all[2]]);
    });

    it(target.changeFeed ? 'has a change feed (watchIndexes)' : 'has no change feed (watchIndexes), as declared', async () => {
      const store = await fresh();
      expect(typeof store.watchIndexes).toBe(target.changeFeed ? 'function' : 'undefined');
    });

    if (target.changeFeed) {
      it('change feed: a watcher hears reset when live, then each committed change made through another store, with its revision; no-op and failed changes send nothing; close stops it', async () => {
        const space = `feed-${process.pid}-${spaces++}-${Math.random().toString(36).slice(2, 8)}`;
        const writer = await target.create(space);
        const reader = await target.create(space);
        const notices: IndexChangeNotice[] = [];
        const watch = reader.watchIndexes!((n) => notices.push(n));
        await watch.ready;
        expect(watch.live).toBe(true);
        expect(notices).toEqual([{ reset: true }]);

        const tick = clock();
        await publish(writer, 'acme', 'Greeter', '1.0.0', tick);
        await until(() => notices.length >= 2, 'the notice of the publish');
        expect(notices[1]).toEqual({ tenant: 'acme', name: 'Greeter', revision: 1 });
        expect((await reader.readIndex('acme', 'Greeter'))?.revision).toBe(1);

        await writer.updateIndex('acme', 'Greeter', () => null, tick);
        await expect(writer.updateIndex('acme', 'Greeter', () => { throw new Error('refused by the change'); }, tick)).rejects.toThrow('refused by the change');
        await writer.updateIndex('acme', 'Greeter', lifeCycle.approve('acme', 'Greeter', '1.0.0', 'rev', undefined), tick);
        await until(() => notices.some((n) => 'revision' in n && n.revision === 2), 'the notice of the approval');
        // Notices arrive in commit order: the no-op and the failed change sent none in between.
        expect(notices.slice(2)).toEqual([{ tenant: 'acme', name: 'Greeter', revision: 2 }]);

        await watch.close();
        expect(watch.live).toBe(false);
        const heard = notices.length;
        await writer.updateIndex('acme', 'Greeter', lifeCycle.activate('acme', 'Greeter', '1.0.0', 'ops', true, undefined), tick);
        // A second, live watcher hears the activation; the closed one must not have.
        const later: IndexChangeNotice[] = [];
        const second = reader.watchIndexes!((n) => later.push(n));
        await second.ready;
        await writer.updateIndex('acme', 'Greeter', lifeCycle.deprecate('acme', 'Greeter', '1.0.0', 'old', 'ops'), tick);
        await until(() => later.some((n) => 'revision' in n && n.revision === 4), 'the notice of the deprecation');
        await second.close();
        expect(notices.length).toBe(heard);
      });
    }

    it('records usages idempotently and lists them by version, then workflow id', async () => {
      const store = await fresh();
      const tick = clock();
      for (const version of ['0.9.0', '1.0.0']) await publish(store, 'acme', 'Greeter', version, tick);
      for (const [wf, v] of [['wf-b', '1.0.0'], ['wf-a', '1.0.0'], ['wf-a', '0.9.0'], ['wf-a', '1.0.0']] as const) {
        await store.recordUsage('acme', wf, 'Greeter', v, '2026-01-01T00:00:00.000Z');
      }
      const long = 'w'.repeat(900);
      await store.recordUsage('acme', long, 'Greeter', '1.0.0', '2026-01-01T00:00:00.000Z');
      expect(await store.readUsages('acme', 'Greeter')).toEqual([
        { workflowId: 'wf-a', name: 'Greeter', version: '0.9.0' },
        { workflowId: 'wf-a', name: 'Greeter', version: '1.0.0' },
        { workflowId: 'wf-b', name: 'Greeter', version: '1.0.0' },
        { workflowId: long, name: 'Greeter', version: '1.0.0' },
      ]);
      expect((await store.readUsages('acme', 'Greeter', '0.9.0')).map((u) => u.workflowId)).toEqual(['wf-a']);
      expect(await store.readUsages('other', 'Greeter')).toEqual([]);
    });
  });
}
