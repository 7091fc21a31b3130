/**
 * Where the Pyodide memory snapshot is cached on disk by default: a per-user cache directory, so
 * that a restarted worker finds the snapshot of its previous run without any configuration.
 *
 * Resolution (first that applies), then `/pyodide` appended:
 * 1. `BTREE_PLUGINS_CACHE_DIR` — this library's own variable (operators, containers, tests);
 * 2. Windows: `%LOCALAPPDATA%\btree-plugins\Cache`;
 * 3. macOS: `~/Library/Caches/btree-plugins`;
 * 4. elsewhere: `$XDG_CACHE_HOME/btree-plugins` when `XDG_CACHE_HOME` is an absolute path (the XDG
 *    base-directory rule: a relative value is ignored), else `~/.cache/btree-plugins`.
 *
 * Without a home directory (some service accounts) there is no default: memory only.
 *
 * @module
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { InvalidInputError } from '../../errors.js';

/** The environment variable that overrides the default cache base directory. */
export const CACHE_DIR_ENV = 'BTREE_PLUGINS_CACHE_DIR';

/** Where the inputs of {@link defaultSnapshotCacheDir} come from (the process's, by default). */
export interface CacheDirEnvironment {
  env?: Record<string, string | undefined>;
  platform?: NodeJS.Platform;
  home?: string;
}

/**
 * The default directory of snapshot files for this user, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * defaultSnapshotCacheDir({ env: { XDG_CACHE_HOME: '/var/cache/u' }, platform: 'linux' });
 * // → '/var/cache/u/btree-plugins/pyodide'
 * ```
 */
export function defaultSnapshotCacheDir(from: CacheDirEnvironment = {}): string | undefined {
  const env = from.env ?? process.env;
  const platform = from.platform ?? process.platform;
  const base = cacheBase(env, platform, from.home ?? safeHome());
  return base === undefined ? undefined : join(base, 'pyodide');
}

function cacheBase(env: Record<string, string | undefined>, platform: NodeJS.Platform, home: string | undefined): string | undefined {
  const own = env[CACHE_DIR_ENV];
  if (own) return own;
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA;
    if (local) return join(local, 'btree-plugins', 'Cache');
    return home ? join(home, 'AppData', 'Local', 'btree-plugins', 'Cache') : undefined;
  }
  if (platform === 'darwin') return home ? join(home, 'Library', 'Caches', 'btree-plugins') : undefined;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'btree-plugins');
  return home ? join(home, '.cache', 'btree-plugins') : undefined;
}

function safeHome(): string | undefined {
  try {
    return homedir() || undefined;
  } catch {
    return undefined; // no passwd entry and no HOME
  }
}

/**
 * The directory a `cacheDir` option means: a string is used as given, `false` turns the disk cache
 * off, `undefined` means {@link defaultSnapshotCacheDir}. Anything else is refused.
 */
export function resolveSnapshotCacheDir(option: unknown): string | undefined {
  if (option === undefined) return defaultSnapshotCacheDir();
  if (option === false) return undefined;
  if (typeof option === 'string' && option.trim() !== '') return option;
  throw new InvalidInputError('Python engine options rejected', `cacheDir must be a non-empty directory path or false, got ${JSON.stringify(option) ?? String(option)}`, {
    hint: `leave cacheDir out for the per-user default (${CACHE_DIR_ENV} overrides it), set a directory, or false to keep the snapshot in memory only`,
  });
}
