/**
 * Builds the browser app: `src/ui/app/main.ts` bundled by esbuild for the browser (ES2022 modules)
 * and `src/ui/app/styles.css`, in memory. The package build (tsup.config.ts) writes the result to
 * `dist/ui/`; a run from source (tests, the demo, the example server under tsx) calls it through
 * `loadUiAssets()` instead. One function for both, so what the tests drive is what ships.
 *
 * @module
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';

/** The files of the built app, by the name they are served under. */
export type UiBundle = ReadonlyMap<'app.js' | 'app.css', string>;

/** Options of {@link bundleUiApp}. */
export interface BundleUiAppOptions {
  /** Minify (the package build); default false. */
  minify?: boolean;
}

/** Where the app's sources are. */
export const UI_APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));

/**
 * Bundles the app's script and stylesheet.
 *
 * @throws Error with esbuild's messages when the app does not build.
 */
export async function bundleUiApp(options: BundleUiAppOptions = {}): Promise<UiBundle> {
  const common = { bundle: true, write: false, minify: options.minify === true, sourcemap: false, logLevel: 'silent', legalComments: 'none' } as const;
  const [script, style] = await Promise.all([
    build({
      ...common,
      entryPoints: [`${UI_APP_DIR}main.ts`],
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
    }),
    build({ ...common, entryPoints: [`${UI_APP_DIR}styles.css`], loader: { '.css': 'css' }, target: ['chrome110', 'firefox115', 'safari16'] }),
  ]);
  const js = script.outputFiles[0]?.text;
  const css = style.outputFiles[0]?.text;
  if (js === undefined || css === undefined) throw new InternalError('building the web UI failed', 'esbuild produced no output for src/ui/app/main.ts or styles.css');
  return new Map([
    ['app.js', js],
    ['app.css', css],
  ]);
}
