/**
 * Lazy imports of optional peer dependencies (cloud SDKs, the HTTP plugin's Fastify plugins). The package root never loads them;
 * an adapter or subpath imports its package on first use, and a missing SDK fails with a
 * {@link MissingDependencyError} that names the package to install.
 *
 * @module
 */
import { MissingDependencyError } from '../errors.js';

/**
 * Imports `packageName`, or throws {@link MissingDependencyError} naming it when it is not
 * installed. Other load failures (a broken install, a syntax error) are rethrown unchanged, so
 * they are not mistaken for a missing package.
 *
 * @param feature what needs the package, for the message (e.g. `S3Storage`).
 * @example
 * ```ts
 * const sdk = await importOptional<typeof import('@aws-sdk/client-s3')>('@aws-sdk/client-s3', 'S3Storage');
 * ```
 */
export async function importOptional<T>(packageName: string, feature: string): Promise<T> {
  try {
    // A variable specifier keeps bundlers from inlining or resolving the optional package.
    return (await import(packageName)) as T;
  } catch (error) {
    if (isModuleNotFound(error, packageName)) throw new MissingDependencyError(packageName, feature, { cause: error });
    throw error;
  }
}

function isModuleNotFound(error: unknown, packageName: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e || (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'MODULE_NOT_FOUND')) return false;
  // Only when the package itself is missing, not one of its own dependencies: the message names
  // the missing specifier first ("Cannot find package 'x' imported from …").
  const missing = typeof e.message === 'string' ? /^Cannot find (?:package|module) '([^']+)'/.exec(e.message)?.[1] : undefined;
  return missing === packageName || missing?.startsWith(`${packageName}/`) === true;
}
