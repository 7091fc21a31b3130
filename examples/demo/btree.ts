/**
 * Which btree the demo runs on: the host's real `@wayfarer-ai/btree` when it can be imported, else
 * the library's btree-compatible test host (`src/testing`, published as
 * `@wayfarer-ai/btree-plugins/testing`).
 *
 * @module
 */
import * as testHost from '../../src/testing/index.js';

/** The part of the btree module the demo uses (the real module and the test host both have it). */
export type DemoBtree = Pick<
  typeof testHost,
  'NodeStatus' | 'ActionNode' | 'ConditionNode' | 'ConfigurationError' | 'Registry' | 'registerStandardNodes' | 'loadTreeFromYaml' | 'BehaviorTree'
>;

/** The loaded module and where it came from. */
export interface LoadedBtree {
  btree: DemoBtree;
  source: string;
}

/**
 * Imports `@wayfarer-ai/btree`, or falls back to the test host. The real btree writes a
 * `console.log` line for every registration and tick (btree-contract §9) and has no switch, so the
 * demo silences `console.log` when it runs on it (the demo itself prints to stdout directly).
 */
export async function loadDemoBtree(): Promise<LoadedBtree> {
  const specifier = '@wayfarer-ai/btree';
  try {
    const real = (await import(/* @vite-ignore */ specifier)) as DemoBtree;
    console.log = () => {};
    return { btree: real, source: '@wayfarer-ai/btree (the host package)' };
  } catch (e) {
    // Only "the package itself is absent" falls back; a broken install (a missing dependency of
    // btree) must surface.
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ERR_MODULE_NOT_FOUND' || !err.message.includes(`'${specifier}'`)) throw e;
    testHost.setTestHostLogging(false);
    return { btree: testHost, source: '@wayfarer-ai/btree-plugins/testing (test host; @wayfarer-ai/btree is not installed)' };
  }
}
