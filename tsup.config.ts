import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { GUEST_FILES } from './src/guest-source.js';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/** The one declaration of src/guest-source.ts that the build fills in. */
export const GUEST_PLACEHOLDER = 'const INLINED: GuestSources | undefined = undefined;';

/**
 * Inlines the guest files (src/guest-source.ts) into the build: their texts replace the
 * `INLINED` placeholder, so `dist/` needs no guest file at run time. Fails the build when the
 * placeholder is not there exactly once.
 */
export function inlineGuestSources(): EsbuildPlugin {
  return {
    name: 'inline-guest-sources',
    setup(build) {
      build.onLoad({ filter: /[\\/]src[\\/]guest-source\.ts$/ }, async (args) => {
        const code = await readFile(args.path, 'utf8');
        if (code.split(GUEST_PLACEHOLDER).length !== 2) throw new Error(`${args.path}: expected the line "${GUEST_PLACEHOLDER}" exactly once`);
        const texts: Record<string, string> = {};
        for (const file of GUEST_FILES) texts[file] = await readFile(join(dirname(args.path), file), 'utf8');
        // A function, not a string: the texts hold `$'` and `$&`, which a replacement string would expand.
        const inlined = `const INLINED: GuestSources | undefined = ${JSON.stringify(texts)};`;
        return { contents: code.replace(GUEST_PLACEHOLDER, () => inlined), loader: 'ts' };
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
  sdk: 'src/sdk/index.ts',
  temporal: 'src/temporal/activities.ts',
  workflow: 'src/temporal/workflow.ts',
  'interpreters/javascript': 'src/interpreters/javascript.ts',
  'interpreters/python': 'src/interpreters/python.ts',
  fastify: 'src/http/index.ts',
};

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
  esbuildPlugins: [inlineGuestSources()],
});
