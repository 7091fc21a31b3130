/**
 * Concurrent publishers and activators never lose an update: memory (one backend, many
 * registries) and fs (two OS processes on one directory).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBackend, MemoryStorage } from '../../src/storage-adapters/memory.js';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { TenantRegistry } from '../../src/registry/tenant-registry.js';
import type { WriteCondition } from '../../src/storage-adapters/types.js';
import { registryConcurrencyScenario, runConcurrencyActors, verifyConcurrencyOutcome } from './concurrency.js';

const CHILD = fileURLToPath(new URL('./fixtures/registry-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('registry concurrency', () => {
  it('20 concurrent publishers+activators on one memory backend lose no update', async () => {
    const backend = new MemoryBackend();
    let conflicts = 0;
    // Widens the read-modify-write window of the index so that the CAS loop really has to retry.
    class ContendedStorage extends MemoryStorage {
      override async get(key: string) {
        const found = await super.get(key);
        if (key.includes('/index/')) await new Promise((r) => setTimeout(r, Math.random() * 3));
        return found;
      }
      override async put(key: string, body: Uint8Array, condition?: WriteCondition) {
        try {
          return await super.put(key, body, condition);
        } catch (e) {
          if (key.includes('/index/')) conflicts++;
          throw e;
        }
      }
    }
    await registryConcurrencyScenario(() => new ContendedStorage({ backend }));
    expect(conflicts).toBeGreaterThan(0);
  });

  it('the verifier catches a lost update (it can fail)', async () => {
    const backend = new MemoryBackend();
    await runConcurrencyActors(() => new MemoryStorage({ backend }), { actorIds: [0, 1, 2] });
    const storage = new MemoryStorage({ backend });
    // Claims a fourth actor that never ran: its version and events are "lost".
    await expect(verifyConcurrencyOutcome(storage, { actorIds: [0, 1, 2, 3] })).rejects.toThrow(/index lists 3 of 4 versions/);
    await storage.dispose();
  });

  it('20 concurrent actors in two OS processes on one fs directory lose no update', async () => {
    const root = await mkdtemp(join(tmpdir(), 'registry-race-'));
    dirs.push(root);
    const tenant = 'race';
    const node = 'RaceNode';
    const halves = [Array.from({ length: 10 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i + 10)];
    const children = halves.map((actorIds) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ root, tenant, node, actorIds })], {
        cwd: REPO,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const lines: string[] = [];
      let stderr = '';
      proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const ready = new Promise<void>((resolve) => {
        createInterface({ input: proc.stdout! }).on('line', (line) => {
          lines.push(line);
          if (line === 'ready') resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => proc.on('exit', resolve));
      return { proc, lines, ready, exited, stderr: () => stderr };
    });
    try {
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.proc.stdin!.write('go\n');
      const codes = await Promise.all(children.map((c) => c.exited));
      for (const [i, c] of children.entries()) {
        expect(codes[i], `${c.lines.join('\n')}\n${c.stderr()}`).toBe(0);
        expect(c.lines).toContain('done');
      }
    } finally {
      for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    }
    const storage = new FsStorage({ root });
    try {
      await verifyConcurrencyOutcome(storage, { tenant, node, actorIds: [...halves[0]!, ...halves[1]!] });
      const registry = new TenantRegistry({ storage });
      expect((await registry.list(tenant)).map((n) => n.versionCount)).toEqual([20]);
    } finally {
      await storage.dispose();
    }
  });
});
