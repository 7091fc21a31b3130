import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { GUEST_FILES } from './src/guest-source.js';
import { MIGRATION_FILES } from './src/metadata-stores/postgres/migration-files.js';
import { bundleUiApp } from './src/ui/bundle.js';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/** Files whose texts a module reads at run time from source, and the build inlines instead. */
export interface InlinedTexts {
  /** The plugin's name. */
  name: string;
  /** The module that reads the files (its path matches). */
  module: RegExp;
  /** The one declaration in that module the build replaces: `const INLINED: <Type> | undefined = undefined;`. */
  placeholder: string;
  /** The files, relative to the module's folder. */
  files: readonly string[];
}

/** Guest code (src/guest-source.ts). */
export const GUEST_TEXTS: InlinedTexts = {
  name: 'inline-guest-sources',
  module: /[\\/]src[\\/]guest-source\.ts$/,
  placeholder: 'const INLINED: GuestSources | undefined = undefined;',
  files: GUEST_FILES,
};

/** The Postgres metadata store's SQL migrations (src/metadata-stores/postgres/migration-files.ts). */
export const MIGRATION_TEXTS: InlinedTexts = {
  name: 'inline-postgres-migrations',
  module: /[\\/]postgres[\\/]migration-files\.ts$/,
  placeholder: 'const INLINED: MigrationTexts | undefined = undefined;',
  files: MIGRATION_FILES.map((file) => `migrations/${file}`),
};

/**
 * Inlines files into the build: their texts replace the module's placeholder, so `dist/` reads no
 * such file at run time. Fails the build when the placeholder is not there exactly once.
 */
export function inlineTexts(spec: InlinedTexts): EsbuildPlugin {
  return {
    name: spec.name,
    setup(build) {
      build.onLoad({ filter: spec.module }, async (args) => {
        const code = await readFile(args.path, 'utf8');
        if (code.split(spec.placeholder).length !== 2) throw new Error(`${args.path}: expected the line "${spec.placeholder}" exactly once`);
        const texts: Record<string, string> = {};
        for (const file of spec.files) texts[file] = await readFile(join(dirname(args.path), file), 'utf8');
        // A function, not a string: the texts hold `$'` and `$&`, which a replacement string would expand.
        const inlined = `${spec.placeholder.slice(0, -' = undefined;'.length)} = ${JSON.stringify(texts)};`;
        return { contents: code.replace(spec.placeholder, () => inlined), loader: 'ts' };
      });
    },
  };
}

/**
 * One entry per public subpath. `test/package/exports.test.ts` checks that this list and
 * package.json `exports` agree, so add new subpaths in both places.
 */
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  'storage/memory': 'src/storage-adapters/memory.ts',
  'storage/fs': 'src/storage-adapters/fs.ts',
  'storage/s3': 'src/storage-adapters/s3.ts',
  'storage/gcs': 'src/storage-adapters/gcs.ts',
  testing: 'src/testing/index.ts',
  'testing/harness': 'src/authoring/index.ts',
  sdk: 'src/sdk/index.ts',
  temporal: 'src/temporal/activities.ts',
  workflow: 'src/temporal/workflow.ts',
  'interpreters/javascript': 'src/interpreters/javascript.ts',
  'interpreters/python': 'src/interpreters/python.ts',
  fastify: 'src/http/index.ts',
  'metadata/postgres': 'src/metadata-stores/postgres/index.ts',
  'rate-limits/redis': 'src/rate-limits/redis.ts',
  // The `btree-plugins` executable: package.json `bin`, not an export.
  'cli/main': 'src/cli/main.ts',
  // What a worker thread or child process of the execution tiers runs: neither an export nor a bin.
  'execution/shard-main': 'src/execution/shard-main.ts',
};

/** Entries that are executables (package.json `bin`) rather than importable subpaths. */
export const binEntries: readonly string[] = ['cli/main'];

/** Entries the library starts itself (in a worker thread or child process): files in dist/, not exports. */
export const internalEntries: readonly string[] = ['execution/shard-main'];

/** Where the package build writes the web UI's files (src/ui/assets.ts reads them from there). */
export const UI_DIST_DIR = 'dist/ui';

/**
 * Builds the browser app (src/ui/app/) into {@link UI_DIST_DIR}, minified and without source maps:
 * the files `customNodesApi({ ui: true })` serves, so a host needs no build step and no CDN.
 */
export async function buildUi(outDir: string = UI_DIST_DIR): Promise<void> {
  const bundle = await bundleUiApp({ minify: true });
  await mkdir(outDir, { recursive: true });
  for (const [name, text] of bundle) await writeFile(join(outDir, name), text);
}

export default defineConfig({
  entry: entries,
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  esbuildPlugins: [inlineTexts(GUEST_TEXTS), inlineTexts(MIGRATION_TEXTS)],
  // After the library (and its `clean`): the browser bundle is a separate build for another platform.
  onSuccess: async () => {
    await buildUi();
  },
});
