/**
 * The tenant's upload as a virtual file map: checked path grammar, size limits, and relative
 * import resolution that never leaves the map (and never touches the host disk).
 *
 * @module
 */
import { CompileError, type CompileDiagnostic } from '../errors.js';

/** Size limits of a compile. Every limit is checked before esbuild runs (source) or after (bundle). */
export interface CompileLimits {
  /** Total UTF-8 bytes of all source files (default 512 KiB). */
  maxSourceBytes?: number;
  /** Number of source files (default 64). */
  maxFiles?: number;
  /** UTF-8 bytes of the bundle (default 1 MiB). */
  maxBundleBytes?: number;
  /** Bytes of one string or template literal before the scan reports `large-literal` (default 64 KiB). */
  maxLiteralBytes?: number;
}

/** The defaults of {@link CompileLimits}. */
export const DEFAULT_COMPILE_LIMITS: Required<CompileLimits> = {
  maxSourceBytes: 512 * 1024,
  maxFiles: 64,
  maxBundleBytes: 1024 * 1024,
  maxLiteralBytes: 64 * 1024,
};

/** Name of the single file when the upload is one `source` string. */
export const DEFAULT_ENTRY = 'index.ts';

/**
 * File path grammar: up to 8 `/`-separated segments of `[A-Za-z0-9_][A-Za-z0-9_.-]*`, at most
 * 128 characters, ending in `.ts`, `.mts`, `.js`, `.mjs` or `.json`. A segment cannot start with
 * a dot, so `.`, `..` and hidden files are impossible by construction.
 */
export const FILE_PATH_PATTERN = /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\/){0,7}[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\.(?:ts|mts|js|mjs|json)$/;
const MAX_PATH_LENGTH = 128;

/** Extensions tried, in order, when an import omits one or names the `.js` twin of a `.ts` file. */
const RESOLVE_SUFFIXES = ['', '.ts', '.mts', '.js', '.mjs', '.json', '/index.ts', '/index.js'];

const encoder = new TextEncoder();

/** A validated upload. */
export interface VirtualFiles {
  files: Record<string, string>;
  entry: string;
  sourceBytes: number;
}

/** Input accepted by {@link normalizeFiles}. */
export interface FilesInput {
  source?: string;
  files?: Record<string, string>;
  entry?: string;
}

function limitError(diagnostic: Omit<CompileDiagnostic, 'kind'>): CompileError {
  return new CompileError([{ kind: 'limit', ...diagnostic }]);
}

function inputError(message: string, hint: string, file?: string): CompileError {
  return new CompileError([{ kind: 'input', message, hint, ...(file === undefined ? {} : { file }) }]);
}

/**
 * Checks the upload (exactly one of `source` or `files`), the path grammar and the source limits.
 * @throws CompileError with `kind: 'input'` or `kind: 'limit'` diagnostics.
 */
export function normalizeFiles(input: FilesInput, limits: Required<CompileLimits>): VirtualFiles {
  const hasSource = input.source !== undefined;
  const hasFiles = input.files !== undefined;
  if (hasSource === hasFiles) {
    throw inputError('give exactly one of `source` (one TypeScript file) or `files` (a map of files)', 'pass `{ source }` for a single file or `{ files, entry }` for several');
  }
  let files: Record<string, string>;
  if (hasSource) {
    if (typeof input.source !== 'string') throw inputError('`source` must be a string', 'pass the TypeScript text of the node');
    files = Object.create(null) as Record<string, string>;
    files[input.entry ?? DEFAULT_ENTRY] = input.source;
  } else {
    if (typeof input.files !== 'object' || input.files === null || Array.isArray(input.files)) {
      throw inputError('`files` must be an object mapping file paths to their text', "pass e.g. `{ 'index.ts': '…', 'lib/util.ts': '…' }`");
    }
    // Copy own enumerable string keys only, into a prototype-less object: `__proto__` is just a (rejected) name.
    files = Object.create(null) as Record<string, string>;
    for (const [path, text] of Object.entries(input.files)) files[path] = text;
  }
  const paths = Object.keys(files);
  if (paths.length === 0) throw inputError('`files` is empty', 'upload at least the entry file');
  if (paths.length > limits.maxFiles) {
    throw limitError({
      rule: 'maxFiles',
      message: `the upload has ${paths.length} files; the limit is ${limits.maxFiles}`,
      hint: 'merge small modules or ask the host to raise `limits.maxFiles`',
    });
  }
  let sourceBytes = 0;
  for (const path of paths) {
    if (path.length > MAX_PATH_LENGTH || !FILE_PATH_PATTERN.test(path)) {
      throw inputError(
        `invalid file path ${JSON.stringify(path.slice(0, 140))}`,
        'use relative ASCII paths like `index.ts` or `lib/format-message.ts` (letters, digits, `_`, `-`, `.`; no `..`; ending in .ts, .mts, .js, .mjs or .json)',
        undefined,
      );
    }
    const text = files[path];
    if (typeof text !== 'string') throw inputError(`the content of ${path} is not a string`, 'pass each file as UTF-8 text', path);
    sourceBytes += encoder.encode(text).byteLength;
  }
  if (sourceBytes > limits.maxSourceBytes) {
    throw limitError({
      rule: 'maxSourceBytes',
      message: `the source is ${sourceBytes} bytes; the limit is ${limits.maxSourceBytes}`,
      hint: 'remove embedded data (fetch it through an activity instead) or ask the host to raise `limits.maxSourceBytes`',
    });
  }
  let entry = input.entry;
  if (entry === undefined) {
    if (paths.length === 1) entry = paths[0]!;
    else if (Object.hasOwn(files, DEFAULT_ENTRY)) entry = DEFAULT_ENTRY;
    else throw inputError('several files and no `entry`', 'name the entry file, e.g. `entry: "index.ts"`');
  }
  if (typeof entry !== 'string' || !Object.hasOwn(files, entry)) {
    throw inputError(`the entry ${JSON.stringify(String(entry))} is not one of the uploaded files (${paths.slice(0, 10).join(', ')})`, 'set `entry` to the path of the file that default-exports the node class');
  }
  return { files, entry, sourceBytes };
}

/**
 * Resolves a relative import against the importing file, inside the map only.
 * @returns the file's path in the map, or an explanation of why it failed.
 */
export function resolveRelative(files: Record<string, string>, importer: string, specifier: string): { path: string } | { error: string } {
  const dir = importer.includes('/') ? importer.slice(0, importer.lastIndexOf('/')).split('/') : [];
  const parts = [...dir];
  for (const seg of specifier.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0) return { error: `'${specifier}' points outside the uploaded files` };
      parts.pop();
    } else parts.push(seg);
  }
  const base = parts.join('/');
  const candidates = RESOLVE_SUFFIXES.map((s) => base + s);
  // TypeScript's ESM style: `./util.js` names `util.ts`.
  const twin = /\.(m?)js$/.exec(base);
  if (twin) candidates.push(base.slice(0, -twin[0].length) + (twin[1] ? '.mts' : '.ts'));
  for (const c of candidates) {
    if (Object.hasOwn(files, c)) return { path: c };
  }
  return { error: `'${specifier}' is not one of the uploaded files` };
}
