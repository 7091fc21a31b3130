/**
 * The ```ts blocks of TSDoc comments in `src/` compile against the sources. They are fragments:
 * a name the example uses but never defines is imported from the module the comment documents
 * when that module exports it, and otherwise declared `any` (the reader's `slack`, `yaml`,
 * `registry`; found by a first compile); a bare `…` is elided code. Every other error — a wrong
 * import, a renamed option, a wrong argument — fails the example.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractBlocks, type CodeBlock } from './extract.js';
import { compilerOptions, exampleDir, repoRoot } from './example-workspace.js';

/** The fenced blocks inside the `/** … *\/` comments of one source file. */
export function tsdocBlocks(file: string, source: string): CodeBlock[] {
  const found: CodeBlock[] = [];
  for (const m of source.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const startLine = source.slice(0, m.index).split('\n').length;
    const text = m[0].split('\n').map((l) => l.replace(/^\s*\/?\*\*?\/?\s?/, '').replace(/\s*\*\/$/, '')).join('\n');
    for (const block of extractBlocks(file, text)) found.push({ ...block, line: startLine + block.line - 1 });
  }
  return found.filter((b) => ['ts', 'typescript'].includes(b.lang));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const blocks = sourceFiles(join(repoRoot, 'src')).flatMap((f) => tsdocBlocks(relative(repoRoot, f), readFileSync(f, 'utf8')));
// Cannot find name 'x' (and its "did you mean" forms); no value in scope for the shorthand property 'x'.
const CANNOT_FIND_NAME = new Set([2304, 2552, 2581, 2582, 18004]);

/** How the example gets `name`: from the documented module when it exports it, else as `any`. */
function declareFree(name: string, documented: string, exampleFile: string): string {
  const exported = new RegExp(`export\\s+(?:declare\\s+)?(?:async\\s+)?(?:abstract\\s+)?(?:class|function|const|let|interface|type|enum)\\s+${name}\\b`);
  if (exported.test(readFileSync(join(repoRoot, documented), 'utf8'))) {
    const from = relative(dirname(exampleFile), join(repoRoot, documented)).replace(/\.ts$/, '.js');
    return `import { ${name} } from '${from.startsWith('.') ? from : `./${from}`}';`;
  }
  return `declare const ${name}: any;`;
}

function diagnose(files: string[]): ts.Diagnostic[] {
  const program = ts.createProgram(files, compilerOptions());
  return [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()].filter((d) => d.file && files.includes(d.file.fileName));
}

describe('TSDoc examples in src/ (typecheck)', () => {
  const fileOf = new Map<CodeBlock, string>();
  let errors: ts.Diagnostic[] = [];
  beforeAll(() => {
    for (const block of blocks) {
      const dir = exampleDir({ ...block, file: `tsdoc/${block.file.replace(/\//g, '_')}` });
      // A module of its own, so that names do not clash between examples.
      const file = join(dir, 'example.ts');
      writeFileSync(file, `${block.code.replace(/(?<!\/\* )…/g, '/* … */')}\nexport {};\n`);
      fileOf.set(block, file);
    }
    const files = [...fileOf.values()];
    const free = new Map<string, Set<string>>();
    for (const d of diagnose(files)) {
      const name = CANNOT_FIND_NAME.has(d.code) ? /'([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, '\n'))?.[1] : undefined;
      if (name) free.set(d.file!.fileName, (free.get(d.file!.fileName) ?? new Set()).add(name));
    }
    const documentedBy = new Map([...fileOf].map(([block, file]) => [file, block.file]));
    for (const [file, names] of free) {
      const declarations = [...names].map((n) => declareFree(n, documentedBy.get(file)!, file));
      writeFileSync(file, `${readFileSync(file, 'utf8')}${declarations.join('\n')}\n`);
    }
    errors = diagnose(files);
  }, 180_000);

  it('finds the examples', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  for (const block of blocks) {
    it(`${block.file}:${block.line}`, () => {
      const mine = errors.filter((d) => d.file!.fileName === fileOf.get(block));
      const messages = mine.map((d) => `line ${d.file!.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      expect(messages, block.code).toEqual([]);
    });
  }
});
