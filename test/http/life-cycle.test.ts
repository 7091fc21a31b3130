import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { FsStorage } from '../../src/storage-adapters/fs.js';
import { apiLifeCycleScenario } from './life-cycle.js';

describe('custom-nodes API over HTTP, filesystem store', () => {
  it('runs the whole life cycle: upload, list, read, approve, reject, activate (CAS), roll back, deprecate, usages, audit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'api-life-cycle-'));
    try {
      await apiLifeCycleScenario(new FsStorage({ root: dir }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
