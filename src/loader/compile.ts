/**
 * `compileNode`: a tenant's TypeScript (one file or a small map of files) → one self-contained
 * ESM bundle, its source map, its sha256 and the findings of the static scan.
 *
 * Guarantees: resolution never touches the host disk (a virtual file map); the bundle imports
 * only the sandbox-provided modules; Node built-ins, other packages, `import()` and `require()`
 * are refused with located diagnostics; class names survive (btree uses `constructor.name`).
 *
 * @module
 */
import * as esbuild from 'esbuild';
import { SourceMapConsumer } from 'source-map-js';
import { CompileError, type CompileDiagnostic } from '../errors.js';
import { fromEsbuildMessage, isTenantLocation, locatedDiagnostic, stripNamespace, type ColumnMapper } from './diagnostics.js';
import { sha256Hex, sourceSha256 } from './hash.js';
import { DYNAMIC_IMPORT_ADVICE } from './import-policy.js';
import { disarmSourceMapComments } from './input-source-maps.js';
import { blockingFindings, DEFAULT_BLOCK_ON, SCAN_RULES, scanCode, type BlockOn, type Locator } from './scan.js';
import { checkSourceImports, typeOnlyImportNames } from './source-imports.js';
import { lineStarts, positionAt } from './tokenizer.js';
import type { CompiledNode, ScanFinding } from './types.js';
import { virtualFilesPlugin } from './virtual-plugin.js';
import { DEFAULT_COMPILE_LIMITS, normalizeFiles, type CompileLimits, type FilesInput, type VirtualFiles } from './virtual-files.js';

/**
 * What to compile. Give `source` (one file, `index.ts` unless `entry` says otherwise), `files` +
 * `entry`, or an `upload` that {@link checkUpload} already checked.
 */
export interface CompileInput extends FilesInput {
  /** Node name (recorded in the output; the registry validates its grammar). */
  name: string;
  /** Node version (recorded in the output; the registry validates it). */
  version: string;
  /** An upload from {@link checkUpload}, compiled without checking its files again (instead of `source`/`files`/`entry`). */
  upload?: CheckedUpload;
}

/**
 * An upload whose paths, entry and source limits were checked once, frozen, with its identity.
 * A publisher needs the identity before it compiles (an identical republish compiles nothing),
 * and `compileNode` takes the checked upload as it is, so the files are normalised once.
 */
export interface CheckedUpload {
  /** path → text, prototype-less and frozen. */
  readonly files: Readonly<Record<string, string>>;
  readonly entry: string;
  /** UTF-8 bytes of all files. */
  readonly sourceBytes: number;
  /** Identity of the upload: a hash of the entry and of the files in sorted order (equal uploads, equal hash). */
  readonly sourceSha256: string;
}

/** Options of {@link compileNode}. */
export interface CompileOptions {
  /** Size limits; each falls back to {@link DEFAULT_COMPILE_LIMITS}. */
  limits?: CompileLimits;
  /** Which scan findings fail the compile (default: none). */
  blockOn?: BlockOn;
}

const OUTFILE = 'bundle.js';
/** @internal esbuild's working directory: absolute, as esbuild requires, and absent from every host. */
export const VIRTUAL_WORKING_DIR = '/btree-plugins-virtual-upload';
const INPUT_SOURCE_MAP_MESSAGE =
  'a source-map reference (`# sourceMappingURL=`) was disarmed: the compiler never reads a source map an upload names, and makes the bundle\'s map from the uploaded files. In a string or regex literal the text means the same (its `M` is written `\\u004D`); only String.raw sees the escape';
/** A broken upload can produce thousands of errors; the first ones are what the author needs. */
const MAX_DIAGNOSTICS = 50;
const encoder = new TextEncoder();

/** The limits each genuine {@link CheckedUpload} was checked with; a look-alike object is checked again. */
const checkedUploads = new WeakMap<CheckedUpload, Required<CompileLimits>>();

/**
 * Checks an upload (exactly one of `source` or `files`, the path grammar, the source limits) and
 * computes its identity, without compiling it.
 *
 * @throws CompileError with `kind: 'input'` or `kind: 'limit'` diagnostics.
 * @example
 * ```ts
 * const upload = checkUpload({ source }, { limits });
 * if (upload.sourceSha256 !== stored.sourceSha256) {
 *   const compiled = await compileNode({ name, version, upload }, { limits });
 * }
 * ```
 */
export function checkUpload(input: FilesInput, options: CompileOptions = {}): CheckedUpload {
  if (typeof input !== 'object' || input === null) {
    throw new CompileError([{ kind: 'input', message: 'checkUpload needs an object `{ source | files, entry? }`' }]);
  }
  const limits = effectiveLimits(options);
  const { files, entry, sourceBytes } = normalizeFiles(input, limits);
  const upload: CheckedUpload = Object.freeze({ files: Object.freeze(files), entry, sourceBytes, sourceSha256: sourceSha256(files, entry) });
  checkedUploads.set(upload, limits);
  return upload;
}

/**
 * Compiles a tenant node.
 *
 * @throws CompileError with structured diagnostics (`syntax`, `import`, `limit`, `input`, `scan`).
 * @example
 * ```ts
 * const compiled = await compileNode({ name: 'SendSlackMessage', version: '1.0.0', source });
 * compiled.sha256; // what loadBundle re-checks
 * ```
 */
export async function compileNode(input: CompileInput, options: CompileOptions = {}): Promise<CompiledNode> {
  if (typeof input !== 'object' || input === null) {
    throw new CompileError([{ kind: 'input', message: 'compileNode needs an object `{ name, version, source | files }`' }]);
  }
  for (const field of ['name', 'version'] as const) {
    if (typeof input[field] !== 'string' || input[field].length === 0 || input[field].length > 128) {
      throw new CompileError([{ kind: 'input', message: `\`${field}\` must be a non-empty string of at most 128 characters`, hint: `pass the node's ${field}` }]);
    }
  }
  const context = { node: input.name, version: input.version };
  const limits = effectiveLimits(options);
  let normalized: VirtualFiles;
  try {
    normalized = input.upload === undefined ? normalizeFiles(input, limits) : uploadFiles(input, limits);
  } catch (e) {
    if (e instanceof CompileError) throw new CompileError(e.diagnostics, { context });
    throw e;
  }
  const { files, entry, sourceBytes } = normalized;

  const importProblems = checkSourceImports(files);
  // esbuild would otherwise open host files named by source-map comments (see input-source-maps.ts).
  const disarmed = disarmSourceMapComments(files);
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      sourcemap: 'external',
      sourcesContent: true,
      keepNames: true,
      minify: false,
      treeShaking: true,
      charset: 'utf8',
      legalComments: 'none',
      outfile: OUTFILE,
      // A fixed working directory that does not exist: output paths never mention the host's
      // folders, and esbuild has no real directory to look into.
      absWorkingDir: VIRTUAL_WORKING_DIR,
      tsconfigRaw: {},
      logLevel: 'silent',
      plugins: [virtualFilesPlugin(disarmed.files, entry)],
    });
  } catch (e) {
    const failure = e as esbuild.BuildFailure;
    if (!Array.isArray(failure?.errors)) throw e;
    const diagnostics = mergeDiagnostics(importProblems, failure.errors.map((m) => fromEsbuildMessage(files, m, disarmed.toOriginalColumn)));
    throw new CompileError(diagnostics, { context, cause: e });
  }
  if (importProblems.length) throw new CompileError(importProblems, { context });

  const jsFile = result.outputFiles.find((f) => f.path.endsWith(`/${OUTFILE}`));
  const mapFile = result.outputFiles.find((f) => f.path.endsWith(`/${OUTFILE}.map`));
  if (!jsFile || !mapFile) throw new CompileError([{ kind: 'build', message: 'esbuild produced no bundle' }], { context });
  const bundle = jsFile.text;
  const bundleBytes = encoder.encode(bundle).byteLength;
  if (bundleBytes > limits.maxBundleBytes) {
    throw new CompileError(
      [{ kind: 'limit', rule: 'maxBundleBytes', message: `the bundle is ${bundleBytes} bytes; the limit is ${limits.maxBundleBytes}`, hint: 'remove embedded data or unused code, or ask the host to raise `limits.maxBundleBytes`' }],
      { context },
    );
  }
  const rawMap = JSON.parse(mapFile.text) as { sources: string[]; sourcesContent?: Array<string | null> };
  rawMap.sources = rawMap.sources.map(stripNamespace);
  // The map embeds what the tenant wrote, not the disarmed text esbuild compiled.
  rawMap.sourcesContent = rawMap.sources.map((s) => files[s] ?? null);
  const sourceMap = JSON.stringify(rawMap);

  const meta = result.metafile.outputs[OUTFILE] ?? Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  if (!meta?.exports.includes('default')) {
    throw new CompileError(
      [{ kind: 'input', file: entry, message: `the entry ${entry} has no default export`, hint: `end it with \`export default class ${input.name} extends ActionNode { … }\`` }],
      { context },
    );
  }
  const imports = [...new Set(meta.imports.filter((i) => i.external).map((i) => i.path))].sort();

  const locate = sourceMapLocator(bundle, rawMap);
  const scanned = scanCode(bundle, { locate, maxLiteralBytes: limits.maxLiteralBytes, typeOnlyNames: typeOnlyImportNames(files) });
  const forbidden = scanned.filter((f) => f.rule === SCAN_RULES.dynamicImport || f.rule === SCAN_RULES.require);
  if (forbidden.length) {
    throw new CompileError(
      forbidden.map((f) => {
        const advice = f.rule === SCAN_RULES.require ? DYNAMIC_IMPORT_ADVICE.require : DYNAMIC_IMPORT_ADVICE.dynamicImport;
        return locatedDiagnostic(files, { kind: 'import', message: advice.message, hint: advice.hint }, f.file, f.line, f.column === undefined ? undefined : f.column - 1);
      }),
      { context },
    );
  }
  const findings: ScanFinding[] = [
    ...scanned,
    ...result.warnings.map((w) => warningFinding(files, w, disarmed.toOriginalColumn)),
    ...disarmed.pragmas.map((p): ScanFinding => ({ rule: SCAN_RULES.inputSourceMap, severity: 'info', message: INPUT_SOURCE_MAP_MESSAGE, file: p.file, line: p.line, column: p.column + 1 })),
  ];
  const blocking = blockingFindings(findings, options.blockOn ?? DEFAULT_BLOCK_ON);
  if (blocking.length) {
    throw new CompileError(
      blocking.map((f) =>
        locatedDiagnostic(
          files,
          { kind: 'scan', rule: f.rule, message: `${f.rule} (${f.severity}): ${f.message}`, hint: 'the host blocks publishing on this finding; remove the pattern or ask the host to review it' },
          f.file,
          f.line,
          f.column === undefined ? undefined : f.column - 1,
        ),
      ),
      { context },
    );
  }

  return {
    name: input.name,
    version: input.version,
    bundle,
    sourceMap,
    sources: { ...files },
    entry,
    sha256: sha256Hex(bundle),
    imports,
    findings,
    sizes: { sourceBytes, bundleBytes, sourceMapBytes: encoder.encode(sourceMap).byteLength },
    esbuildVersion: esbuild.version,
  };
}

function effectiveLimits(options: CompileOptions): Required<CompileLimits> {
  const given = Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined);
  return { ...DEFAULT_COMPILE_LIMITS, ...(Object.fromEntries(given) as CompileLimits) };
}

/**
 * The files of an already checked upload. It is trusted only when `checkUpload` made it and its
 * limits were at least as strict as this compile's; anything else is checked again.
 */
function uploadFiles(input: CompileInput, limits: Required<CompileLimits>): VirtualFiles {
  if (input.source !== undefined || input.files !== undefined || input.entry !== undefined) {
    throw new CompileError([{ kind: 'input', message: 'give either `upload` or `source` / `files` / `entry`, not both', hint: 'pass `{ name, version, upload }` with the result of checkUpload' }]);
  }
  const upload = input.upload!;
  const checkedWith = checkedUploads.get(upload);
  if (checkedWith && checkedWith.maxFiles <= limits.maxFiles && checkedWith.maxSourceBytes <= limits.maxSourceBytes) {
    return { files: upload.files as Record<string, string>, entry: upload.entry, sourceBytes: upload.sourceBytes };
  }
  return normalizeFiles({ files: upload?.files as Record<string, string>, entry: upload?.entry }, limits);
}

/** The pre-check and esbuild may report the same import; keep one per location and specifier. */
function mergeDiagnostics(a: CompileDiagnostic[], b: CompileDiagnostic[]): CompileDiagnostic[] {
  const seen = new Set<string>();
  const out: CompileDiagnostic[] = [];
  for (const d of [...b, ...a]) {
    const key = `${d.kind}|${d.file}|${d.line}|${d.importPath ?? d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out
    .sort((x, y) => (x.file ?? '').localeCompare(y.file ?? '') || (x.line ?? 0) - (y.line ?? 0) || (x.column ?? 0) - (y.column ?? 0))
    .slice(0, MAX_DIAGNOSTICS);
}

/** A compiler warning as a finding; like errors, it names only the tenant's own files. */
function warningFinding(files: Record<string, string>, w: esbuild.Message, toOriginalColumn: ColumnMapper): ScanFinding {
  if (w.location && !isTenantLocation(files, w.location)) {
    return { rule: SCAN_RULES.compilerWarning, severity: 'info', message: 'the compiler reported a warning outside the uploaded files' };
  }
  const f: ScanFinding = { rule: SCAN_RULES.compilerWarning, severity: 'info', message: w.text };
  if (w.location) {
    f.file = stripNamespace(w.location.file);
    f.line = w.location.line;
    f.column = toOriginalColumn(f.file, f.line, w.location.column) + 1;
  }
  return f;
}

/** Maps bundle offsets to tenant source positions through the source map; `null` for bundler helpers. */
function sourceMapLocator(bundle: string, rawMap: object): Locator {
  const consumer = new SourceMapConsumer(rawMap as never);
  let starts: number[] | undefined;
  return (offset) => {
    starts ??= lineStarts(bundle);
    const at = positionAt(starts, offset);
    const pos = consumer.originalPositionFor({ line: at.line, column: at.column, bias: SourceMapConsumer.GREATEST_LOWER_BOUND });
    if (!pos.source || pos.line == null) return null;
    return { file: pos.source, line: pos.line, column: (pos.column ?? 0) + 1 };
  };
}
