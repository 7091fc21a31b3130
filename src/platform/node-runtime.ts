/**
 * What the Node process must offer before isolated-vm may create an isolate: a supported version
 * and `--no-node-snapshot`. Pure: the caller passes the facts (see `currentNodeRuntime`).
 *
 * Why the flag on every line: Node starts from its built-in V8 snapshot with V8's shared read-only
 * heap enabled, which requires every isolate in the process to start from the same snapshot.
 * isolated-vm's isolates never do, and that mismatch can crash the process while an isolate is
 * created (reported on Node 20 and later; V8 has not changed the rule since). isolated-vm's README
 * requires the flag on Node 20 or later, and so does this library. See docs/compatibility.md.
 *
 * @module
 */

/** The facts about a Node process the checks need. */
export interface NodeRuntime {
  /** `process.version`, e.g. `v24.22.3`. */
  version: string;
  /** `process.versions.modules` as a number, e.g. 137. */
  abi: number;
  platform: string;
  arch: string;
  execArgv: readonly string[];
  /** `NODE_OPTIONS`, where Node also accepts the flag. */
  nodeOptions: string | undefined;
}

/** Node major version of each `NODE_MODULE_VERSION`, for messages. */
export const NODE_MAJOR_OF_ABI: Readonly<Record<number, number>> = Object.freeze({
  108: 18,
  115: 20,
  120: 21,
  127: 22,
  131: 23,
  137: 24,
  141: 25,
  147: 26,
});

/** The oldest Node this library runs on (package.json `engines`). */
export const MIN_NODE_VERSION = '20.3.0';
const SNAPSHOT_FLAG = '--no-node-snapshot';

/** A problem with the runtime, and what to do about it. */
export interface RuntimeProblem {
  detail: string;
  hint: string;
}

function parseVersion(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function olderThan(a: [number, number, number], b: [number, number, number]): boolean {
  return a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
}

/** True when the process was started with `--no-node-snapshot` (command line or `NODE_OPTIONS`). */
export function hasNoNodeSnapshotFlag(runtime: Pick<NodeRuntime, 'execArgv' | 'nodeOptions'>): boolean {
  return runtime.execArgv.includes(SNAPSHOT_FLAG) || (runtime.nodeOptions ?? '').split(/\s+/).includes(SNAPSHOT_FLAG);
}

/** Why isolated-vm must not be used in this runtime, or `undefined` when it may. */
export function nodeRuntimeProblem(runtime: NodeRuntime): RuntimeProblem | undefined {
  const version = parseVersion(runtime.version);
  const min = parseVersion(MIN_NODE_VERSION)!;
  if (!version || olderThan(version, min)) {
    return {
      detail: `Node ${runtime.version} is older than ${MIN_NODE_VERSION}, the oldest this library supports`,
      hint: 'run a current Node LTS line (22, 24 or 26; 20.3 or later still works); see docs/compatibility.md',
    };
  }
  if (!hasNoNodeSnapshotFlag(runtime)) {
    return {
      detail: `this process was started without ${SNAPSHOT_FLAG}, which isolated-vm needs on Node 20 and later: V8's shared read-only heap can crash a process whose isolates start from different snapshots`,
      hint: `start Node with it (\`node ${SNAPSHOT_FLAG} worker.js\`, or NODE_OPTIONS=${SNAPSHOT_FLAG}); under vitest use pool 'forks' with poolOptions.forks.execArgv: ['${SNAPSHOT_FLAG}']`,
    };
  }
  return undefined;
}
