import { defineConfig } from 'vitest/config';

/**
 * One run, three projects: every suite (tenant code inline, where a bare SandboxPool runs it),
 * then the sandbox suites again with tenant code in worker threads and in child processes
 * (test/sandbox/helpers.ts reads BTREE_PLUGINS_TEST_ISOLATION), so that every hazard and red-team
 * test holds in every isolation mode. The servers are started once, by the global setup.
 */
export default defineConfig({
  test: {
    // isolated-vm needs --no-node-snapshot on every Node line (docs/compatibility.md); forks let us pass it.
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--no-node-snapshot'] } },
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'] } },
      ...(['thread', 'process'] as const).map((isolation) => ({
        extends: true as const,
        test: { name: `sandbox (${isolation})`, include: ['test/sandbox/{hazards,red-team,pool}.test.ts'], env: { BTREE_PLUGINS_TEST_ISOLATION: isolation } },
      })),
    ],
  },
});
