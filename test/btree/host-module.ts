/**
 * The btree module the binding suite runs against: the test host by default, or the real btree build
 * named by `BTREE_MODULE=/abs/path/to/index.js`. Tests use only the public surface both share.
 */
import { pathToFileURL } from 'node:url';
import type { BtreeModule } from '../../src/binding-core/host-btree.js';
import * as testHost from '../../src/testing/index.js';

/** The shape the suite uses: the binding's structural module plus what a test needs to run a tree. */
export type SuiteBtree = BtreeModule & Pick<typeof testHost, 'Registry' | 'ScopedBlackboard' | 'BehaviorTree' | 'loadTreeFromYaml' | 'registerStandardNodes'>;

const path = process.env.BTREE_MODULE;

/** Which host the suite runs against, for test titles. */
export const hostName = path ? `btree module ${path}` : 'test host';

let loaded: SuiteBtree | undefined;

/**
 * Loads the module once. The real btree logs every register/create/tick with `console.log`
 * (btree-contract §9), so its console output is silenced; the test host is silenced its own way.
 */
export async function loadBtree(): Promise<SuiteBtree> {
  if (loaded) return loaded;
  if (path) {
    console.log = () => {};
    loaded = (await import(pathToFileURL(path).href)) as SuiteBtree;
  } else {
    testHost.setTestHostLogging(false);
    loaded = testHost as unknown as SuiteBtree;
  }
  return loaded;
}
