/**
 * Where a shard's code is. The build ships it as `dist/execution/shard-main.js` next to the
 * library's other files. Runs from source (tests, `npm run demo` under tsx) bundle
 * `shard-main.ts` into plain JavaScript once (`../platform/source-bundle.ts`) and start that: a
 * worker thread that loads isolated-vm through tsx's loader hooks can abort the process on Node 22
 * and later.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';
import { bundleSourceEntry } from '../platform/source-bundle.js';

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
  return bundleSourceEntry(fileURLToPath(new URL('./shard-main.ts', here)));
}
