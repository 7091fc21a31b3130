/**
 * Runs a test child script (under tsx, as the tests' own children run) in a process where the
 * given packages cannot be resolved (`hide-packages.mjs`: Node's own ERR_MODULE_NOT_FOUND), and
 * returns the JSON report it printed as its last line. Serves the tests of optional peers that a
 * host may not have installed.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..', '..');

/** Runs `child` (a path from the repository root) with `packages` unresolvable; its last stdout line, parsed. */
export async function runWithoutPackages<T>(packages: readonly string[], child: string): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--no-node-snapshot', '--import', 'tsx', '--import', './test/setup/hide-packages.mjs', child], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, BTREE_PLUGINS_TEST_HIDE_PACKAGES: packages.join(',') },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}
