/**
 * Builds the zod 4 code that the guest SDK imports, from the host's `node_modules/zod`, once per
 * process (at first use; about 60 ms of esbuild).
 *
 * zod keeps its global config and registry on `globalThis`, which is frozen inside the sandbox;
 * `define` points those references at a module-local object instead, which the SDK module
 * freezes after zod's first use (see `public-modules-source.ts`). Locales other than English are
 * stubbed out: they are two thirds of the bundle and no node needs them.
 * @module
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { InternalError } from '../../errors.js';

let pending: Promise<string> | undefined;

/**
 * Returns the source of the guest's zod factory, `(function (module, exports) { … })`, whose
 * exports are `z` and `__zodGlobals`. A classic script rather than a module because V8 consumes
 * a script's code cache about ten times faster (≈0.7 ms instead of ≈8 ms per isolate).
 */
export function zodGuestSource(): Promise<string> {
  pending ??= build().catch((e: unknown) => {
    pending = undefined;
    throw e;
  });
  return pending;
}

async function build(): Promise<string> {
  const esbuild = await import('esbuild');
  const require = createRequire(import.meta.url);
  const zodDir = path.dirname(require.resolve('zod/package.json'));
  const result = await esbuild.build({
    stdin: {
      contents: "import * as z from 'zod'; export { z }; export const __zodGlobals = __wfZodGlobal;",
      resolveDir: zodDir,
      loader: 'js',
    },
    banner: { js: 'const __wfZodGlobal = {};' },
    define: { globalThis: '__wfZodGlobal' },
    bundle: true,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'wf-stub-zod-locales',
        setup(b) {
          b.onResolve({ filter: /locales\/index\.js$/ }, () => ({ path: 'locales', namespace: 'wf-stub' }));
          b.onLoad({ filter: /.*/, namespace: 'wf-stub' }, () => ({ contents: 'export {}', loader: 'js' }));
        },
      },
    ],
  });
  const file = result.outputFiles[0];
  if (!file) throw new InternalError('building the sandbox zod failed', 'esbuild produced no output for the guest zod bundle');
  return `(function (module, exports) {\n${file.text}\n})`;
}
