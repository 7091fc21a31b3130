/**
 * Where a shard's code is. The build ships it as `dist/execution/shard-main.js` next to the
 * library's other files. Runs from source (tests, `npm run demo` under tsx) bundle
 * `shard-main.ts` with esbuild once, into `node_modules/.cache/btree-plugins/` (named by the
 * bundle's hash, so concurrent processes agree), and start that: a worker thread that loads
 * isolated-vm through tsx's loader hooks can abort the process on Node 22 and later.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InternalError } from '../errors.js';

let found: string | undefined;

/** The shard entry of this installation (an absolute path; looked up, or built, once). */
export function shardEntry(): string {
  return (found ??= import.meta.url.endsWith('.ts') ? bundleFromSource(import.meta.url) : locate(import.meta.url));
}

function locate(here: string): string {
  // The bundler puts this module in a chunk at the root of dist/ or in an entry one folder down.
  for (const candidate of ['./execution/shard-main.js', '../execution/shard-main.js', './shard-main.js']) {
    const file = fileURLToPath(new URL(candidate, here));
    if (existsSync(file)) return file;
  }
  throw new InternalError('starting a sandbox shard failed', `execution/shard-main.js was not found next to ${fileURLToPath(here)}`, {
    hint: "keep @wayfarer-ai/btree-plugins external when bundling the host (its dist/ files must stay together), or set execution: { isolation: 'inline' }",
  });
}

function bundleFromSource(here: string): string {
  const root = fileURLToPath(new URL('../../', here));
  const esbuild = createRequire(here)('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({
    entryPoints: [fileURLToPath(new URL('./shard-main.ts', here))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    // Modules that find files next to themselves (guest sources, isolated-vm's aliases) look from src/.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(root, 'src', 'guest-source.ts')).href) },
  });
  const code = result.outputFiles[0]!.text;
  const dir = join(root, 'node_modules', '.cache', 'btree-plugins');
  const file = join(dir, `shard-main-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, file);
  }
  return file;
}
