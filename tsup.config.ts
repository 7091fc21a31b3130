import { defineConfig } from 'tsup';

/**
 * One entry per public subpath. `test/package/exports.test.ts` checks that this list and
 * package.json `exports` agree, so add new subpaths in both places.
 */
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  'storage/memory': 'src/storage-adapters/memory.ts',
  'storage/fs': 'src/storage-adapters/fs.ts',
  'storage/s3': 'src/storage-adapters/s3.ts',
  'storage/gcs': 'src/storage-adapters/gcs.ts',
  testing: 'src/testing/index.ts',
  sdk: 'src/sdk/index.ts',
  temporal: 'src/temporal/activities.ts',
  workflow: 'src/temporal/workflow.ts',
  'interpreters/javascript': 'src/interpreters/javascript.ts',
  'interpreters/python': 'src/interpreters/python.ts',
};

export default defineConfig({
  entry: entries,
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
});
