/**
 * A node uploaded over HTTP, approved and activated over HTTP, then registered for the tenant and
 * run in a behaviour tree by the host's btree (the test host, or BTREE_MODULE): the whole path from
 * a tenant's upload to a tick.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { loadBtree } from '../setup/btree-module.js';
import { runTenantTree } from '../setup/run-tree.js';
import { RITA, startApiServer } from './api-server.js';
import { greeterSource } from './nodes.js';

describe('a node uploaded over HTTP', () => {
  it('runs in a tree once approved and activated, with its props checked by the schema read at upload', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'api-tree-'));
    const btree = await loadBtree();
    const host = new PluginHost({ btree, storage: new FsStorage({ root: dir }) });
    const api = await startApiServer({ host });
    try {
      expect((await api.call('POST', '/custom-nodes', { body: { name: 'Greeter', version: '1.0.0', sourceCode: greeterSource() } })).status).toBe(201);
      expect((await api.call('POST', '/custom-nodes/Greeter@1.0.0/approve', { token: RITA })).status).toBe(200);
      expect((await api.call('POST', '/custom-nodes/Greeter@1.0.0/activate')).status).toBe(200);

      const yaml = 'type: Sequence\nid: root\nchildren:\n  - type: Greeter\n    id: greet\n    props:\n      who: Ada\n';
      const { summary, result } = await runTenantTree(host, btree, 'acme', yaml);
      expect(summary.registered).toEqual([expect.objectContaining({ type: 'Greeter', version: '1.0.0' })]);
      expect(result).toEqual({ status: 'SUCCESS', output: { greeting: 'Hello, Ada' } });

      // Props the schema read at upload refuses are refused when the tree is built.
      const bad = 'type: Greeter\nid: greet\nprops:\n  who: ""\n';
      const badRegistry = new btree.Registry();
      await host.registerNodes(badRegistry, 'acme', { yaml: bad });
      expect(() => btree.loadTreeFromYaml(bad, badRegistry)).toThrow(/who: must NOT have fewer than 1 characters/);
    } finally {
      await api.close();
      await host.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
