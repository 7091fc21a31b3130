/**
 * Starting library code from its TypeScript source in a new thread or process without tsx's
 * loader hooks. Source runs (the tests, `npm run demo`) load `.ts` files through tsx; a worker
 * thread that loads isolated-vm that way can abort the process on Node 22 and later, and a
 * process that ran isolates under the hooks has aborted at exit on Node 26 (isolated-vm's
 * `IsolateEnvironment::GetCurrent(): Assertion environment != nullptr`). So an entry that runs
 * isolates is bundled with esbuild once into plain JavaScript, into
 * `node_modules/.cache/btree-plugins/`, named by the bundle's hash (concurrent processes agree
 * on the file and write it atomically), and that file is started instead.
 *
 * Only for runs from source: the package build ships JavaScript (`dist/`), which needs none of this.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The checkout this module is in (`src/platform/` → the root). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles the TypeScript module `entry` (an absolute path) and its imports from `src/` into one
 * ES module file, packages kept external, and returns that file's absolute path.
 *
 * `import.meta.url` in the bundle is `src/guest-source.ts`'s: the library's modules that find files
 * next to themselves (guest sources, migrations, isolated-vm's aliases) look from `src/` as they
 * do under tsx. An entry outside `src/` must not read `import.meta.url` itself.
 */
export function bundleSourceEntry(entry: string): string {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(ROOT, 'src', 'guest-source.ts')).href) },
  });
  const code = result.outputFiles[0]!.text;
  const dir = join(ROOT, 'node_modules', '.cache', 'btree-plugins');
  const name = basename(entry).replace(/\.[cm]?tsx?$/, '');
  const file = join(dir, `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, file);
  }
  return file;
}
