/**
 * Tarballs from the npm registry, checked against a pinned sha512 and unpacked into the cache
 * outside the checkout (`<cache>/<folder>/<name>-<version>/`), once. Used for Node binaries of other
 * lines (`node-binaries.ts`) and for packages of the lockfile that this Node line does not install
 * (`lockedPackage`), e.g. isolated-vm 7 on Node 20.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot } from './servers/binaries.js';

const run = promisify(execFile);

/** What to fetch: `npm pack <name>@<version>`, whose tarball must have `integrity`. */
export interface PinnedTarball {
  name: string;
  version: string;
  /** `sha512-…`, as npm prints `dist.integrity` and writes it to package-lock.json. */
  integrity: string;
}

async function present(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The unpacked tarball (its `package/` folder's content) in `<cache>/<folder>/<name>-<version>`.
 * @throws Error when the registry cannot be reached or the tarball does not match the pin.
 */
export async function ensureTarball(folder: string, tarball: PinnedTarball, log: (line: string) => void = () => {}): Promise<string> {
  const dir = join(cacheRoot(), folder, `${tarball.name.replace('/', '+')}-${tarball.version}`);
  if (await present(join(dir, 'package.json'))) return dir;
  log(`fetching ${tarball.name}@${tarball.version} from the npm registry (once; cached in ${dir})`);
  await mkdir(join(cacheRoot(), folder), { recursive: true });
  const work = await mkdtemp(join(cacheRoot(), folder, '.fetch-'));
  try {
    const { stdout } = await run('npm', ['pack', `${tarball.name}@${tarball.version}`, '--pack-destination', work, '--silent'], { timeout: 600_000, maxBuffer: 1 << 20 });
    const file = join(work, stdout.trim().split('\n').pop()!);
    const actual = `sha512-${createHash('sha512').update(await readFile(file)).digest('base64')}`;
    if (actual !== tarball.integrity) {
      throw new Error(`${tarball.name}@${tarball.version} does not match its pinned sha512 (got ${actual}, pinned ${tarball.integrity}). HINT: check the registry, or update the pin`);
    }
    const unpacked = join(work, 'package');
    await mkdir(unpacked);
    await run('tar', ['xzf', file, '-C', unpacked, '--strip-components=1'], { timeout: 600_000 });
    // Rename into place: two runs fetching at once never see half a package.
    await rename(unpacked, dir).catch(async (e: NodeJS.ErrnoException) => {
      if (!(await present(join(dir, 'package.json')))) throw e;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return dir;
}

/** The package at `path` of package-lock.json (e.g. `node_modules/isolated-vm-v7`), unpacked from the registry. */
export async function lockedPackage(path: string, log?: (line: string) => void): Promise<string> {
  const lock = JSON.parse(await readFile(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
    packages: Record<string, { name?: string; version?: string; integrity?: string }>;
  };
  const entry = lock.packages[path];
  if (!entry?.version || !entry.integrity) throw new Error(`package-lock.json has no registry package at ${path}`);
  const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return ensureTarball('npm', { name, version: entry.version, integrity: entry.integrity }, log);
}
