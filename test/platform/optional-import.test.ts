import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MissingDependencyError } from '../../src/errors.js';
import { importOptional } from '../../src/platform/optional-import.js';

describe('importOptional', () => {
  it('names the package to install when an optional SDK is missing', async () => {
    const error = await importOptional('@btree-plugins-test/no-such-package', 'S3Storage').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect((error as MissingDependencyError).packageName).toBe('@btree-plugins-test/no-such-package');
    expect((error as Error).message).toContain('S3Storage needs the optional package @btree-plugins-test/no-such-package');
    expect((error as Error).message).toContain('npm install @btree-plugins-test/no-such-package');
  });

  it('does not mistake a broken installed package (its own import fails) for a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optional-import-'));
    try {
      const entry = join(dir, 'broken.mjs');
      await writeFile(entry, "import 'btree-plugins-test-missing-transitive-dep';\n");
      const error = await importOptional(entry, 'S3Storage').catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(MissingDependencyError);
      expect((error as Error).message).toContain('btree-plugins-test-missing-transitive-dep');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
