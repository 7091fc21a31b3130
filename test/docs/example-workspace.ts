/**
 * Turns a TypeScript doc example into files a real Node, vitest or `tsc` can take, and runs them.
 *
 * Examples import the package by its published name (`@wayfarer-ai/btree-plugins/storage/fs`),
 * and host examples import `@wayfarer-ai/btree`, which is not on the registry. Both resolve to the
 * sources through one path map, derived from `tsup.config.ts` (the list that also defines the
 * package's exports), with `@wayfarer-ai/btree` mapped to the bundled test host, as the docs say
 * hosts without btree do. The same map serves tsx (a `tsconfig.json` in `.tmp/doc-examples/`),
 * vitest (`resolve.alias`) and the compiler API (typecheck).
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { entries } from '../../tsup.config.js';
import type { CodeBlock } from './extract.js';

export const repoRoot = join(import.meta.dirname, '..', '..');
/** Inside the worktree (and gitignored), so that `node_modules` and `src/` are found from it. */
export const workspaceRoot = join(repoRoot, '.tmp', 'doc-examples');
const PACKAGE = '@wayfarer-ai/btree-plugins';

/** Bare specifier → absolute source file. */
export function selfImportMap(): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [entry, file] of Object.entries(entries)) {
    map[entry === 'index' ? PACKAGE : `${PACKAGE}/${entry}`] = join(repoRoot, file);
  }
  map['@wayfarer-ai/btree'] = join(repoRoot, 'src', 'testing', 'index.ts');
  return map;
}

/** The compiler options of the repository's tsconfig.json, with the self-import paths added. */
export function compilerOptions(): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot);
  const paths: Record<string, string[]> = { ...(parsed.options.paths ?? {}) };
  for (const [specifier, file] of Object.entries(selfImportMap())) paths[specifier] = [file];
  return { ...parsed.options, paths, noEmit: true };
}

/** Writes `.tmp/doc-examples/tsconfig.json` (for tsx) and returns its path. */
export function writeWorkspaceTsconfig(): string {
  mkdirSync(workspaceRoot, { recursive: true });
  const paths: Record<string, string[]> = {};
  for (const [specifier, file] of Object.entries(selfImportMap())) paths[specifier] = [`./${relative(workspaceRoot, file)}`];
  const base = ts.readConfigFile(join(repoRoot, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions: { paths?: Record<string, string[]> } };
  for (const [specifier, targets] of Object.entries(base.compilerOptions.paths ?? {})) {
    paths[specifier] = targets.map((t) => `./${relative(workspaceRoot, join(repoRoot, t))}`);
  }
  const file = join(workspaceRoot, 'tsconfig.json');
  writeFileSync(file, `${JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { paths }, include: ['.'] }, null, 2)}\n`);
  return file;
}

/** `docs/storage.md` line 101 → `storage-101`. */
export function exampleName(block: CodeBlock): string {
  return `${block.file.replace(/^docs\//, '').replace(/\.md$/, '').toLowerCase()}-${block.line}`;
}

/** A fresh directory for one example (removed first, so stale files from an earlier run never count). */
export function exampleDir(block: CodeBlock): string {
  const dir = join(workspaceRoot, exampleName(block));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Options a marker may give a `run`, `typecheck` or `vitest` example. */
export interface SourceOptions {
  /** Hidden code put before the block, or around it where it says `$EXAMPLE`. */
  prelude?: string;
  /** Where the block goes in its directory (default `example.ts`). */
  path?: string;
  /** More files for the example's directory: path → contents. */
  files?: Record<string, string>;
  /** `vitest` only: put the block's statements into one `it()` (for snippets that assert at top level). */
  wrap?: boolean;
}

/**
 * The example's source as it is run: the prelude applied, `// → value` comments turned into
 * assertions, and absolute host paths (`/var/lib/…`, `/var/cache/…`, `/srv/…`) moved under `hostRoot`.
 */
export function exampleSource(block: CodeBlock, options: SourceOptions, hostRoot?: string): string {
  let code = assertArrows(block.code);
  if (hostRoot) code = redirectHostPaths(code, hostRoot);
  if (options.wrap) code = wrapInTest(code, `${block.file}:${block.line}`);
  const prelude = options.prelude ?? '';
  return prelude.includes('$EXAMPLE') ? prelude.replace('$EXAMPLE', () => code) : `${prelude}${prelude && !prelude.endsWith('\n') ? '\n' : ''}${code}`;
}

const HOST_PATH = /(['"`])(\/(?:var\/lib|var\/cache|srv)\/[^'"`]*)\1/g;

/** The absolute host paths the example names (`'/var/lib/btree-plugins'`), without quotes. */
export function hostPaths(code: string): string[] {
  return [...code.matchAll(HOST_PATH)].map((m) => m[2]!);
}

function redirectHostPaths(code: string, hostRoot: string): string {
  return code.replace(HOST_PATH, (_, quote: string, path: string) => `${quote}${join(hostRoot, path)}${quote}`);
}

/**
 * `const out = await f(); // → { ok: true }` becomes that statement followed by a deep-equality
 * check of `out`; `expr; // → 42` checks the expression's value. Comments that do not start with
 * `→` are prose and left alone.
 */
export function assertArrows(code: string): string {
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: { at: number; end: number; text: string }[] = [];
  let needsAssert = false;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableStatement(node) || ts.isExpressionStatement(node)) {
      const expected = arrowComment(code, node.end);
      if (expected !== undefined) {
        needsAssert = true;
        const where = JSON.stringify(`example line ${source.getLineAndCharacterOfPosition(node.end).line + 1}`);
        if (ts.isVariableStatement(node)) {
          const decl = node.declarationList.declarations[0]!;
          if (node.declarationList.declarations.length !== 1 || !ts.isIdentifier(decl.name)) {
            throw new Error(`a "// →" comment needs one plain variable: ${node.getText()}`);
          }
          edits.push({ at: node.end, end: node.end, text: ` __docExpect(${decl.name.text}, (${expected}), ${where});` });
        } else {
          edits.push({ at: node.getStart(), end: node.end, text: `__docExpect((${node.expression.getText()}), (${expected}), ${where});` });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!needsAssert) return code;
  let out = code;
  for (const edit of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, edit.at) + edit.text + out.slice(edit.end);
  // Appended (function declarations hoist), so the example's own imports stay first and its line numbers hold.
  return `${out}\nimport { deepStrictEqual as __docDeepEqual } from 'node:assert';\nfunction __docExpect(actual: unknown, expected: unknown, where: string): void { __docDeepEqual(actual, expected, \`\${where}: the value is not what its "// →" comment says\`); }\n`;
}

/** The text after `// →` in the comment that follows position `end` on the same line, if any. */
function arrowComment(code: string, end: number): string | undefined {
  const lineEnd = code.indexOf('\n', end);
  const rest = code.slice(end, lineEnd === -1 ? undefined : lineEnd);
  return /^\s*\/\/\s*→\s*(.+?)\s*$/.exec(rest)?.[1];
}

/** Hoists the import declarations and puts every other statement into one vitest `it()`. */
function wrapInTest(code: string, title: string): string {
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports = source.statements.filter(ts.isImportDeclaration).map((s) => s.getFullText().trim());
  const body = source.statements.filter((s) => !ts.isImportDeclaration(s)).map((s) => s.getFullText()).join('');
  return `import { it as __docIt } from 'vitest';\n${imports.join('\n')}\n__docIt(${JSON.stringify(title)}, async () => {${body}\n});\n`;
}

/** Writes `files` (path → contents) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or `timeoutMs`), never rejecting: the caller asserts on the result. */
export function runChild(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr: error && code === null ? `${stderr}\n${error.message}` : stderr });
      },
    );
  });
}

/** Runs a TypeScript file as the npm scripts run the demo: `node --no-node-snapshot --import tsx`. */
export function runWithTsx(file: string, cwd: string, tsconfig: string): Promise<ChildResult> {
  return runChild(process.execPath, ['--no-node-snapshot', '--import', 'tsx', file], {
    cwd,
    env: { TSX_TSCONFIG_PATH: tsconfig },
    timeoutMs: 120_000,
  });
}

/** Runs one test file with vitest, configured by `test/docs/vitest.examples.config.ts` (no test servers). */
export function runWithVitest(file: string, cwd: string): Promise<ChildResult> {
  return runChild(
    process.execPath,
    [join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', join(repoRoot, 'test', 'docs', 'vitest.examples.config.ts'), '--root', cwd, file],
    { cwd, env: { NO_COLOR: '1', FORCE_COLOR: '0' }, timeoutMs: 180_000 },
  );
}

/**
 * Type errors of `files` (absolute paths) compiled together against the real sources, one
 * message per error with its file and line. One program for all of them: creating a program is
 * the slow part.
 */
export function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, compilerOptions());
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()].filter(
    (d) => d.file && files.includes(d.file.fileName),
  );
  return diagnostics.map((d) => {
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${relative(repoRoot, d.file!.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
