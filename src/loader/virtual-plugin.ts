/**
 * The esbuild plugin that serves the tenant's files from memory. Every import goes through it:
 * relative imports resolve inside the map, the sandbox-provided modules stay external, and
 * anything else is an error located at the import. No path ever reaches the host file system.
 *
 * @module
 */
import type { Loader, Plugin } from 'esbuild';
import type { CompileDiagnostic } from '../errors.js';
import { TENANT_NAMESPACE } from './diagnostics.js';
import { ALLOWED_EXTERNALS, bannedImportAdvice, DYNAMIC_IMPORT_ADVICE, isRelativeSpecifier } from './import-policy.js';
import { resolveRelative } from './virtual-files.js';

function loaderFor(path: string): Loader {
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.js') || path.endsWith('.mjs')) return 'js';
  return 'ts';
}

function pluginError(detail: CompileDiagnostic): { errors: Array<{ text: string; detail: CompileDiagnostic }> } {
  return { errors: [{ text: detail.message, detail }] };
}

/** Creates the plugin for one compile. `entry` must be a key of `files`. */
export function virtualFilesPlugin(files: Record<string, string>, entry: string): Plugin {
  return {
    name: 'btree-plugins-virtual-files',
    setup(build) {
      // One catch-all resolver: esbuild must never fall back to its own file-system resolution.
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return { path: entry, namespace: TENANT_NAMESPACE };
        const spec = args.path;
        if (args.kind === 'dynamic-import') {
          return pluginError({ kind: 'import', importPath: spec, ...DYNAMIC_IMPORT_ADVICE.dynamicImport });
        }
        if (args.kind === 'require-call' || args.kind === 'require-resolve') {
          return pluginError({ kind: 'import', importPath: spec, ...DYNAMIC_IMPORT_ADVICE.require });
        }
        if (ALLOWED_EXTERNALS.includes(spec)) return { path: spec, external: true };
        if (isRelativeSpecifier(spec)) {
          const found = resolveRelative(files, args.importer, spec);
          if ('path' in found) return { path: found.path, namespace: TENANT_NAMESPACE };
          return pluginError({
            kind: 'import',
            importPath: spec,
            message: `import ${found.error}`,
            hint: `upload the file too; the uploaded files are: ${Object.keys(files).slice(0, 10).join(', ')}`,
          });
        }
        return pluginError({ kind: 'import', importPath: spec, ...bannedImportAdvice(spec) });
      });
      build.onLoad({ filter: /.*/, namespace: TENANT_NAMESPACE }, (args) => ({
        contents: files[args.path]!,
        loader: loaderFor(args.path),
        // No resolveDir: our onResolve serves every import without one, and esbuild then has no host
        // directory against which to resolve anything a file names.
      }));
    },
  };
}
