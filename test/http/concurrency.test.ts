/**
 * Twenty clients upload the same version at once, over HTTP, through the real sandbox: exactly one
 * `201`, the rest `200` (same content) or `409`, and the store holds one whole version.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { loadBtree } from '../setup/btree-module.js';
import { startApiServer, token } from './api-server.js';
import { greeterSource } from './nodes.js';

describe('concurrent uploads of one version', () => {
  it('20 at once: exactly one 201, the others 200 or 409, the index whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'api-race-'));
    const host = new PluginHost({ btree: await loadBtree(), storage: new FsStorage({ root: dir }) });
    const api = await startApiServer({ host, uploadRateLimit: false });
    try {
      // Half send the same content, half a different one: 200 for the winner's twins, 409 for the rest.
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          api.call('POST', '/custom-nodes', { token: token('acme', `user${i}`), body: { name: 'Greeter', version: '1.0.0', sourceCode: greeterSource(i % 2) } }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.every((s) => s === 201 || s === 200 || s === 409)).toBe(true);
      const winnerIndex = statuses.indexOf(201);
      const winner = answers[winnerIndex]!.json.customNode;
      for (const [i, a] of answers.entries()) {
        if (i === winnerIndex) continue;
        // Same content as the winner: the stored record (200). Other content: 409.
        expect(a.status, `upload ${i}`).toBe(i % 2 === winnerIndex % 2 ? 200 : 409);
        if (a.status === 200) expect(a.json.customNode).toEqual(winner);
      }
      // One version, one publish event, its bundle loads and its source is the winner's.
      const versions = await host.registry.versions('acme', 'Greeter');
      expect(versions.map((v) => v.version)).toEqual(['1.0.0']);
      expect((await host.registry.audit('acme')).filter((e) => e.action === 'publish')).toHaveLength(1);
      const bundle = await host.registry.loadBundle('acme', 'Greeter', '1.0.0');
      expect(bundle.sha256).toBe(winner.sha256);
      const one = await api.call('GET', '/custom-nodes/Greeter@1.0.0');
      expect(one.json.customNode.source.files['index.ts']).toBe(greeterSource(winnerIndex % 2));
    } finally {
      await api.close();
      await host.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
