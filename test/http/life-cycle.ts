/**
 * The whole life cycle of a node over HTTP, on any storage: upload (201, 200 again, 409 for other
 * content), list with paging and a status filter, read with source, audit and usages, approve,
 * reject, activate with and without `expectedActive`, deprecate, roll back, usages, audit paging.
 * Run on the filesystem store (life-cycle.test.ts) and on S3 (life-cycle-s3.test.ts).
 */
import { expect } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import type { StorageAdapter } from '../../src/storage-adapters/types.js';
import { loadBtree } from '../setup/btree-module.js';
import { ANA, RITA, startApiServer } from './api-server.js';
import { greeterSource, plainSource } from './nodes.js';

export async function apiLifeCycleScenario(storage: StorageAdapter): Promise<void> {
  const host = new PluginHost({ btree: await loadBtree(), storage });
  const api = await startApiServer({ host, prefix: '/api/v1' });
  try {
    // Upload: 201 with the draft record, read in the sandbox (props schema) and signed by the uploader.
    const up = await api.call('POST', '/custom-nodes', { body: { name: 'Greeter', version: '1.0.0', description: 'greets', sourceCode: greeterSource() } });
    expect(up.status).toBe(201);
    const record = up.json.customNode;
    expect(record).toMatchObject({ id: 'Greeter@1.0.0', name: 'Greeter', version: '1.0.0', status: 'draft', active: false, description: 'greets', category: 'action', createdBy: 'ana', warnings: [] });
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.propsSchema).toMatchObject({ type: 'object', properties: { who: { type: 'string' } } });
    expect(Date.parse(record.createdAt)).not.toBeNaN();

    // The same content again: 200 and the same record. Other content under the version: 409.
    const again = await api.call('POST', '/custom-nodes', { body: { name: 'Greeter', version: '1.0.0', description: 'greets', sourceCode: greeterSource() } });
    expect(again.status).toBe(200);
    expect(again.json.customNode).toEqual(record);
    const other = await api.call('POST', '/custom-nodes', { body: { name: 'Greeter', version: '1.0.0', sourceCode: greeterSource(1) } });
    expect(other.status).toBe(409);
    expect(other.json.error).toMatchObject({ code: 'CONFLICT', hint: 'bump the version' });

    // Several files with an entry.
    const multi = await api.call('POST', '/custom-nodes', {
      body: { name: 'Greeter', version: '1.1.0', entry: 'main.ts', files: { 'main.ts': "export { default } from './lib/node';\n", 'lib/node.ts': greeterSource(1) } },
    });
    expect(multi.status).toBe(201);
    await api.call('POST', '/custom-nodes', { body: { name: 'Pinger', version: '0.1.0', sourceCode: plainSource('Pinger') } });

    // List: every node with its versions, newest first; a status filter; paging with a cursor.
    const list = await api.call('GET', '/custom-nodes');
    expect(list.json).toEqual({
      nodes: [
        {
          name: 'Greeter',
          active: null,
          latest: '1.1.0',
          versions: [
            { id: 'Greeter@1.1.0', version: '1.1.0', status: 'draft' },
            { id: 'Greeter@1.0.0', version: '1.0.0', status: 'draft' },
          ],
        },
        { name: 'Pinger', active: null, latest: '0.1.0', versions: [{ id: 'Pinger@0.1.0', version: '0.1.0', status: 'draft' }] },
      ],
      nextCursor: null,
    });
    const first = await api.call('GET', '/custom-nodes?limit=1');
    expect(first.json.nodes.map((n: { name: string }) => n.name)).toEqual(['Greeter']);
    const second = await api.call('GET', `/custom-nodes?limit=1&cursor=${first.json.nextCursor}`);
    expect(second.json).toMatchObject({ nodes: [{ name: 'Pinger' }], nextCursor: null });

    // Review: an author may not approve; an approver may; the record says who and when.
    const byAuthor = await api.call('POST', '/custom-nodes/Greeter@1.0.0/approve', { token: ANA });
    expect(byAuthor.status).toBe(403);
    expect(byAuthor.json.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('"approver"') });
    const approved = await api.call('POST', '/custom-nodes/Greeter@1.0.0/approve', { token: RITA, body: { note: 'looks good' } });
    expect(approved.status).toBe(200);
    expect(approved.json.customNode).toMatchObject({ status: 'approved', reviewedBy: 'rita', reviewNote: 'looks good' });
    const rejected = await api.call('POST', '/custom-nodes/Pinger@0.1.0/reject', { token: RITA, body: { reason: 'does nothing' } });
    expect(rejected.json.customNode).toMatchObject({ status: 'rejected', reviewNote: 'does nothing' });
    const drafts = await api.call('GET', '/custom-nodes?status=draft');
    expect(drafts.json.nodes).toEqual([{ name: 'Greeter', active: null, latest: '1.1.0', versions: [{ id: 'Greeter@1.1.0', version: '1.1.0', status: 'draft' }] }]);
    // One node by name (what the UI reads for a node's page); an unknown name is an empty list, a bad one 400.
    const byName = await api.call('GET', '/custom-nodes?name=Pinger');
    expect(byName.json).toEqual({ nodes: [{ name: 'Pinger', active: null, latest: '0.1.0', versions: [{ id: 'Pinger@0.1.0', version: '0.1.0', status: 'rejected' }] }], nextCursor: null });
    expect((await api.call('GET', '/custom-nodes?name=Greeter&status=approved')).json.nodes.map((n: { name: string }) => n.name)).toEqual(['Greeter']);
    expect((await api.call('GET', '/custom-nodes?name=Nobody')).json).toEqual({ nodes: [], nextCursor: null });
    expect((await api.call('GET', '/custom-nodes?name=not%20a%20name')).status).toBe(400);

    // Activate: a compare-and-swap with expectedActive; a mismatch changes nothing.
    expect((await api.call('POST', '/custom-nodes/Greeter@1.1.0/activate')).status).toBe(409); // a draft, approval required
    const wrongExpectation = await api.call('POST', '/custom-nodes/Greeter@1.0.0/activate', { body: { expectedActive: '0.9.0' } });
    expect(wrongExpectation.status).toBe(409);
    expect(wrongExpectation.json.error.message).toContain('no version is active');
    const active = await api.call('POST', '/custom-nodes/Greeter@1.0.0/activate', { body: { expectedActive: null } });
    expect(active.json.customNode).toMatchObject({ status: 'active', active: true });
    await api.call('POST', '/custom-nodes/Greeter@1.1.0/approve', { token: RITA });
    const stale = await api.call('POST', '/custom-nodes/Greeter@1.1.0/activate', { body: { expectedActive: null } });
    expect(stale.status).toBe(409);
    expect(stale.json.error.message).toContain('the active version is 1.0.0');
    const swapped = await api.call('POST', '/custom-nodes/Greeter@1.1.0/activate', { body: { expectedActive: '1.0.0' } });
    expect(swapped.json.customNode).toMatchObject({ version: '1.1.0', status: 'active' });

    // Roll back to 1.0.0, then deprecate 1.1.0.
    const back = await api.call('POST', '/custom-nodes/Greeter/rollback');
    expect(back.status).toBe(200);
    expect(back.json.customNode).toMatchObject({ id: 'Greeter@1.0.0', status: 'active' });
    const deprecated = await api.call('POST', '/custom-nodes/Greeter@1.1.0/deprecate', { body: { message: 'use 1.0.0' } });
    expect(deprecated.json.customNode).toMatchObject({ status: 'deprecated', deprecated: { message: 'use 1.0.0', by: 'ana' } });

    // Usages: the seed's workflow → node dependencies, paged.
    await host.registry.recordUsage('acme', 'wf-orders', [{ name: 'Greeter', version: '1.0.0' }]);
    await host.registry.recordUsage('acme', 'wf-billing', [{ name: 'Greeter', version: '1.0.0' }]);
    const usages = await api.call('GET', '/custom-nodes/Greeter/usages?limit=1');
    expect(usages.json.usages).toEqual([{ workflowId: 'wf-billing', name: 'Greeter', version: '1.0.0' }]);
    const usages2 = await api.call('GET', `/custom-nodes/Greeter/usages?limit=1&cursor=${usages.json.nextCursor}`);
    expect(usages2.json).toEqual({ usages: [{ workflowId: 'wf-orders', name: 'Greeter', version: '1.0.0' }], nextCursor: null });

    // One version, whole: source, its audit trail, its usages.
    const one = await api.call('GET', '/custom-nodes/Greeter@1.0.0');
    expect(one.json.customNode).toMatchObject({ id: 'Greeter@1.0.0', status: 'active', source: { entry: 'index.ts', files: { 'index.ts': greeterSource() } }, usageCount: 2 });
    expect(one.json.customNode.audit.map((e: { action: string }) => e.action)).toEqual(['publish', 'approve', 'activate', 'rollback']);
    expect(one.json.customNode.usages.map((u: { workflowId: string }) => u.workflowId)).toEqual(['wf-billing', 'wf-orders']);
    const multiOne = await api.call('GET', '/custom-nodes/Greeter@1.1.0');
    expect(multiOne.json.customNode.source).toEqual({ entry: 'main.ts', files: { 'main.ts': "export { default } from './lib/node';\n", 'lib/node.ts': greeterSource(1) } });

    // The audit log, oldest first, paged; filtered by node.
    const all = await api.call('GET', '/audit');
    const actions: string[] = all.json.events.map((e: { node: string; version: string; action: string; by: string }) => `${e.action} ${e.node}@${e.version} by ${e.by}`);
    // Events of one node are in the order they happened; across nodes, by time (which may tie).
    expect(actions.filter((a) => a.includes('Greeter@'))).toEqual([
      'publish Greeter@1.0.0 by ana',
      'publish Greeter@1.1.0 by ana',
      'approve Greeter@1.0.0 by rita',
      'activate Greeter@1.0.0 by ana',
      'approve Greeter@1.1.0 by rita',
      'activate Greeter@1.1.0 by ana',
      'rollback Greeter@1.0.0 by ana',
      'deprecate Greeter@1.1.0 by ana',
    ]);
    expect(actions.filter((a) => a.includes('Pinger@'))).toEqual(['publish Pinger@0.1.0 by ana', 'reject Pinger@0.1.0 by rita']);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api.call('GET', `/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.json.events.length).toBeLessThanOrEqual(3);
      paged.push(...page.json.events.map((e: { id: string }) => e.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.json.events.map((e: { id: string }) => e.id));
    const pinger = await api.call('GET', '/audit?node=Pinger');
    expect(pinger.json.events.map((e: { action: string }) => e.action)).toEqual(['publish', 'reject']);
  } finally {
    await api.close();
    await host.dispose();
  }
}
