import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSnapshotFile, writeSnapshotFile } from '../../../src/interpreters/python/snapshot.js';

describe('snapshot cache file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'btp-snap-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips a payload', async () => {
    const file = join(dir, 'sub', 'x.snapshot');
    await writeSnapshotFile(file, new Uint8Array([1, 2, 3]));
    expect(Array.from((await readSnapshotFile(file)) ?? [])).toEqual([1, 2, 3]);
  });

  it('tampered snapshot file: a changed byte or a foreign file is not loaded', async () => {
    const file = join(dir, 'x.snapshot');
    await writeSnapshotFile(file, new Uint8Array(1000).fill(7));
    const bytes = await readFile(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    await writeFile(file, bytes);
    expect(await readSnapshotFile(file)).toBeUndefined();
    await writeFile(file, Buffer.from('not a snapshot at all, but long enough to have a header'));
    expect(await readSnapshotFile(file)).toBeUndefined();
    expect(await readSnapshotFile(join(dir, 'absent'))).toBeUndefined();
  });
});
