/**
 * The web UI's files, as the Fastify plugin serves them (`<prefix>/ui/assets/:file`).
 *
 * From `dist/` (an installed package) they are `dist/ui/app.js` and `dist/ui/app.css`, written by
 * the package build; this module may sit in a chunk at the root of dist/ or one folder down, so it
 * looks in both places, as src/execution/shard-entry.ts does. From source (this file is `.ts`:
 * the tests, the demo and the example server under tsx) it bundles `src/ui/app/` with esbuild in
 * memory, once per process.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';

/** One file of the UI. */
export interface UiAsset {
  /** Its bytes. */
  body: Buffer;
  /** Its `Content-Type`, with the charset. */
  contentType: string;
  /** sha256 of `body`, hex: the page names the file by it, so browsers may cache it for good. */
  sha256: string;
}

/** The files of the UI and their types. */
export const UI_FILES: Readonly<Record<string, string>> = Object.freeze({
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
});

let loading: Promise<ReadonlyMap<string, UiAsset>> | undefined;

/**
 * The UI's files by name (`app.js`, `app.css`), loaded once per process. A failure is not kept:
 * the next call tries again.
 *
 * @example
 * ```ts
 * const assets = await loadUiAssets();
 * reply.type(assets.get('app.js')!.contentType).send(assets.get('app.js')!.body);
 * ```
 * @throws InternalError when `dist/ui` is missing (a broken install) or the app does not build from source.
 */
export function loadUiAssets(): Promise<ReadonlyMap<string, UiAsset>> {
  loading ??= (import.meta.url.endsWith('.ts') ? fromSource() : fromDist(import.meta.url)).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

function asset(name: string, body: Buffer): UiAsset {
  return { body, contentType: UI_FILES[name]!, sha256: createHash('sha256').update(body).digest('hex') };
}

async function fromSource(): Promise<ReadonlyMap<string, UiAsset>> {
  let bundle;
  try {
    // By URL, so that the package build does not follow it: dist/ never bundles, it reads dist/ui.
    const bundler = new URL('./bundle.ts', import.meta.url).href;
    const { bundleUiApp } = (await import(bundler)) as typeof import('./bundle.js');
    bundle = await bundleUiApp();
  } catch (e) {
    throw new InternalError('building the web UI failed', (e as Error).message, { cause: e, hint: 'fix the error in src/ui/app/ (npx tsc -p tsconfig.ui.json shows type errors)' });
  }
  return new Map([...bundle].map(([name, text]) => [name, asset(name, Buffer.from(text, 'utf8'))]));
}

/** The `ui/` folder of this installation's dist/. */
export function locateUiDir(here: string): string {
  // The bundler puts this module in a chunk at the root of dist/ or in an entry one folder down.
  for (const candidate of ['./ui/', '../ui/']) {
    const dir = fileURLToPath(new URL(candidate, here));
    if (existsSync(join(dir, 'app.js'))) return dir;
  }
  throw new InternalError('the web UI cannot be served', `ui/app.js was not found next to ${fileURLToPath(here)}`, {
    hint: 'keep @wayfarer-ai/btree-plugins external when bundling the host (its dist/ files must stay together), or rebuild the package (npm run build writes dist/ui)',
  });
}

async function fromDist(here: string): Promise<ReadonlyMap<string, UiAsset>> {
  const dir = locateUiDir(here);
  const entries = await Promise.all(
    Object.keys(UI_FILES).map(async (name) => {
      try {
        return [name, asset(name, await readFile(join(dir, name)))] as const;
      } catch (e) {
        throw new InternalError('the web UI cannot be served', `${join(dir, name)} cannot be read: ${(e as Error).message}`, { cause: e, hint: 'rebuild the package (npm run build writes dist/ui)' });
      }
    }),
  );
  return new Map(entries);
}
