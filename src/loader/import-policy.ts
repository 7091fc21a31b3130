/**
 * Which imports a tenant node may use, and what to tell the author when it uses another one.
 *
 * Only three modules exist at run time, provided by the sandbox. Everything else (Node
 * built-ins, npm packages, URLs) is rejected at compile time with a hint on what to do instead.
 *
 * @module
 */
import { builtinModules } from 'node:module';

/** The modules the sandbox provides to tenant bundles. They stay external in the bundle. */
export const ALLOWED_EXTERNALS: readonly string[] = Object.freeze([
  '@wayfarer-ai/btree',
  '@temporalio/workflow',
  '@wayfarer-ai/btree-plugins/sdk',
]);

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.split('/')[0]!]));

/** True for `./x`, `../x` (resolved inside the upload). */
export function isRelativeSpecifier(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

/** True when `specifier` names a Node built-in (`fs`, `node:fs`, `fs/promises`, `process`, …). */
export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  return BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]!);
}

/** Why `specifier` is refused and what to use instead. */
export function bannedImportAdvice(specifier: string): { message: string; hint: string } {
  const shown = JSON.stringify(specifier.length > 100 ? `${specifier.slice(0, 100)}…` : specifier);
  if (isNodeBuiltin(specifier)) {
    return {
      message: `import of the Node built-in ${shown} is not allowed: tenant nodes run in a sandbox without Node APIs`,
      hint: "reach host capabilities (files, network, processes) through activities: `import { proxyActivities } from '@temporalio/workflow'` and call the activity the host registered",
    };
  }
  if (specifier === 'zod' || specifier.startsWith('zod/')) {
    return {
      message: `import of ${shown} is not allowed: only the sandbox-provided modules can be imported`,
      hint: "use the SDK's copy: `import { z } from '@wayfarer-ai/btree-plugins/sdk'`",
    };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) {
    return {
      message: `import of the URL ${shown} is not allowed: nothing is fetched at compile or run time`,
      hint: 'copy the code you need into your upload as a file and import it relatively',
    };
  }
  return {
    message: `import of the package ${shown} is not allowed: only ${ALLOWED_EXTERNALS.map((m) => `'${m}'`).join(', ')} exist at run time`,
    hint: 'put the code you need into your upload as a file and import it with a relative path, or use a host capability through `proxyActivities` from @temporalio/workflow',
  };
}

/** Advice for `import()` and `require()`, which a sandboxed node cannot use. */
export const DYNAMIC_IMPORT_ADVICE = {
  dynamicImport: {
    message: 'dynamic `import()` is not allowed: the bundle must be self-contained',
    hint: "use a static `import … from './file.js'` at the top of the file",
  },
  require: {
    message: '`require()` is not allowed: tenant nodes are ES modules',
    hint: "use a static `import … from './file.js'`; for host capabilities use `proxyActivities` from '@temporalio/workflow'",
  },
} as const;
