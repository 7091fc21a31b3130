/**
 * Config for doc examples that are vitest test files (`<!-- example: vitest -->`), run one at a
 * time in a child vitest by `test/docs/examples.test.ts`. The package's own name resolves to the
 * sources (see `example-workspace.ts`); no global setup, as these examples need no test servers.
 * The pool settings are the ones docs/writing-nodes.md tells node authors to use.
 */
import { defineConfig } from 'vitest/config';
import { selfImportMap } from './example-workspace.js';

export default defineConfig({
  resolve: {
    // Longest first, so `…/btree-plugins/testing` is not taken for `…/btree-plugins` + `/testing`.
    alias: Object.entries(selfImportMap())
      .sort(([a], [b]) => b.length - a.length)
      .map(([find, replacement]) => ({ find: new RegExp(`^${find.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`), replacement })),
  },
  test: {
    include: ['**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--no-node-snapshot'] } },
    testTimeout: 60_000,
  },
});
