/**
 * Which btree module the tests run against, decided here and nowhere else.
 *
 * - {@link loadBtree}: the library's own btree-compatible test host (`src/testing/`, published as
 *   `@wayfarer-ai/btree-plugins/testing`) by default, or the real btree build named by
 *   `BTREE_MODULE=/abs/path/to/index.js` (docs/testing.md). The binding, interpreter and example
 *   suites use it, and only the public surface both share.
 * - {@link testHost}: always the test host, for the Temporal suites. Their workflow code
 *   (test/temporal/fixtures/workflows.ts) is bundled by Temporal's webpack, which cannot follow a
 *   module named at run time, so that file imports the test host itself; the worker side must tick
 *   the same classes, so it takes them from here.
 */
import { pathToFileURL } from 'node:url';
import type { BtreeModule } from '../../src/binding-core/host-btree.js';
import * as testHost from '../../src/testing/index.js';

export { testHost };

/** The environment variable that names a real btree build to run the suites against. */
export const BTREE_MODULE_ENV = 'BTREE_MODULE';

/**
 * The shape the suites use: the binding's structural module plus what a test needs to run a tree.
 * `setTestHostLogging` is the suites' logging switch for either host (on a real btree it mutes
 * `console.log`, which is where that module logs).
 */
export type SuiteBtree = BtreeModule &
  Pick<typeof testHost, 'Registry' | 'ScopedBlackboard' | 'BehaviorTree' | 'loadTreeFromYaml' | 'registerStandardNodes' | 'setTestHostLogging'>;

const path = process.env[BTREE_MODULE_ENV];

/** Which host the suite runs against, for test titles. */
export const hostName = path ? `btree module ${path}` : 'test host';

let loaded: Promise<SuiteBtree> | undefined;

/**
 * Loads the module once per test process, with its logging off. The real btree logs every
 * register/create/tick with `console.log` (btree-contract §9), so that is muted; the test host is
 * muted its own way.
 *
 * @example
 * ```ts
 * const btree = await loadBtree();
 * const host = new PluginHost({ btree, storage: new MemoryStorage() });
 * ```
 */
export function loadBtree(): Promise<SuiteBtree> {
  loaded ??= path ? importReal(path) : Promise.resolve(quietTestHost());
  return loaded;
}

function quietTestHost(): SuiteBtree {
  testHost.setTestHostLogging(false);
  return testHost as unknown as SuiteBtree;
}

async function importReal(file: string): Promise<SuiteBtree> {
  const real = (await import(pathToFileURL(file).href)) as Omit<SuiteBtree, 'setTestHostLogging'>;
  const log = console.log;
  let on = true;
  const setTestHostLogging = (enable: boolean): boolean => {
    const was = on;
    on = enable;
    console.log = enable ? log : () => {};
    return was;
  };
  setTestHostLogging(false);
  return { ...real, setTestHostLogging } as SuiteBtree;
}
