/**
 * Runs an adapter where its optional SDK is not installed: the adapter module is bundled (its
 * packages left external) into a temporary folder with no node_modules, and a child Node process
 * calls it there. This is what a host without the SDK sees.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);

/**
 * Bundles `src/storage-adapters/<adapter>.ts`, runs `script` (an ES module body that can use
 * `adapter`, the bundled module's namespace) in a fresh process, and returns its stdout.
 */
export async function runWithoutPeers(adapter: 's3' | 'gcs', script: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'btree-plugins-no-peers-'));
  try {
    const entry = fileURLToPath(new URL(`../../src/storage-adapters/${adapter}.ts`, import.meta.url));
    await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', packages: 'external', outfile: join(dir, 'adapter.mjs'), logLevel: 'silent' });
    await writeFile(join(dir, 'main.mjs'), `import * as adapter from './adapter.mjs';\n${script}\n`);
    const { stdout } = await run(process.execPath, [join(dir, 'main.mjs')], { cwd: dir, timeout: 30_000 });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
