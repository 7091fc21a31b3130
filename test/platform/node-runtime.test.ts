import { describe, expect, it } from 'vitest';
import { hasNoNodeSnapshotFlag, nodeRuntimeProblem, type NodeRuntime } from '../../src/platform/node-runtime.js';

const runtime = (over: Partial<NodeRuntime>): NodeRuntime => ({
  version: 'v24.22.3',
  abi: 137,
  platform: 'linux',
  arch: 'x64',
  execArgv: ['--no-node-snapshot'],
  nodeOptions: undefined,
  ...over,
});

describe('nodeRuntimeProblem', () => {
  it('accepts every supported line started with --no-node-snapshot', () => {
    for (const version of ['v20.3.0', 'v20.20.2', 'v22.23.5', 'v24.22.3', 'v26.12.1']) expect(nodeRuntimeProblem(runtime({ version }))).toBeUndefined();
  });

  it('refuses a Node older than 20.3.0, naming the lines to use', () => {
    for (const version of ['v18.20.4', 'v20.2.9', 'garbage']) {
      expect(nodeRuntimeProblem(runtime({ version }))).toMatchObject({ detail: expect.stringContaining('older than 20.3.0'), hint: expect.stringContaining('22, 24 or 26') });
    }
  });

  it('refuses a process started without --no-node-snapshot, on every line, and says how to pass it', () => {
    for (const version of ['v20.20.2', 'v22.23.5', 'v24.22.3', 'v26.12.1']) {
      const problem = nodeRuntimeProblem(runtime({ version, execArgv: ['--import', 'tsx'] }));
      expect(problem?.detail).toContain('started without --no-node-snapshot');
      expect(problem?.hint).toContain('node --no-node-snapshot');
      expect(problem?.hint).toContain("poolOptions.forks.execArgv: ['--no-node-snapshot']");
    }
  });

  it('takes the flag from NODE_OPTIONS too, as a whole word only', () => {
    expect(hasNoNodeSnapshotFlag({ execArgv: [], nodeOptions: '--max-old-space-size=4096 --no-node-snapshot' })).toBe(true);
    expect(hasNoNodeSnapshotFlag({ execArgv: [], nodeOptions: '--no-node-snapshots' })).toBe(false);
    expect(hasNoNodeSnapshotFlag({ execArgv: [], nodeOptions: undefined })).toBe(false);
  });
});
