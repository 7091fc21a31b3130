/**
 * Reads a node's files from an author's disk: the entry and every file it imports with a relative
 * path, as the path → text map an upload carries. Paths are relative to the entry's folder.
 *
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as esbuild from 'esbuild';
import { InvalidInputError } from '../errors.js';
import { DEFAULT_COMPILE_LIMITS } from '../loader/virtual-files.js';

/** A node's files, ready to upload. */
export interface NodeFiles {
  /** Path (relative to the entry's folder, `/`-separated) → text. */
  files: Record<string, string>;
  /** The entry's path inside `files`. */
  entry: string;
}

/** Test files and declarations are never part of an upload. */
const NOT_UPLOADED = /\.(test|spec)\.[cm]?[jt]s$|\.d\.[cm]?ts$/;
const SOURCE_FILE = /\.([cm]?ts|[cm]?js|json)$/;

/**
 * The entry and the files it imports (relative imports, followed by esbuild; packages are left to
 * the compiler, which refuses all but the sandbox's own). When the files do not parse, every source
 * file under the entry's folder is taken instead, so that the compiler reports the error with its
 * code frame.
 *
 * @throws InvalidInputError when the entry is missing or imports a file outside its folder.
 */
export async function readNodeFiles(entryFile: string): Promise<NodeFiles> {
  const entryPath = resolve(entryFile);
  const root = dirname(entryPath);
  const info = await stat(entryPath).catch(() => undefined);
  if (!info?.isFile()) {
    throw new InvalidInputError('node file not found', `${entryFile} does not exist or is not a file`, { hint: 'check the path (it is relative to the current directory)' });
  }
  const paths = (await importedFiles(entryPath, root)) ?? (await sourceFilesUnder(root));
  if (!paths.includes(entryPath)) paths.unshift(entryPath);
  const files: Record<string, string> = {};
  for (const path of paths) {
    const rel = relative(root, path);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new InvalidInputError('node imports a file outside its folder', `${entryFile} imports ${path}, which is outside ${root}`, {
        hint: `keep every file the node imports under ${root} (an upload holds one folder)`,
      });
    }
    files[rel.split(sep).join('/')] = await readFile(path, 'utf8');
  }
  return { files, entry: basename(entryPath) };
}

/** The absolute paths esbuild reads when bundling the entry, or `undefined` when it cannot. */
async function importedFiles(entryPath: string, root: string): Promise<string[] | undefined> {
  try {
    const result = await esbuild.build({
      entryPoints: [entryPath],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      packages: 'external',
      absWorkingDir: root,
      logLevel: 'silent',
    });
    return Object.keys(result.metafile.inputs).map((p) => resolve(root, p));
  } catch {
    return undefined;
  }
}

/** Every source file under `root` except tests and declarations, up to the compiler's file limit. */
async function sourceFilesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || !SOURCE_FILE.test(e.name) || NOT_UPLOADED.test(e.name)) continue;
    // `parentPath` arrived in Node 20.12; `path` is its older name.
    const dir = (e as { parentPath?: string; path?: string }).parentPath ?? (e as { path?: string }).path ?? root;
    const path = join(dir, e.name);
    if (relative(root, path).split(sep).includes('node_modules')) continue;
    out.push(path);
    if (out.length >= DEFAULT_COMPILE_LIMITS.maxFiles) break;
  }
  return out.sort();
}
