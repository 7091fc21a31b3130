/**
 * The workflow entry's import graph, type-only imports included: it holds the binding core and the
 * workflow side's own pure modules, and nothing of the worker side — no interpreter engine, no
 * sandbox, no loader, registry or storage file. Read from the sources with the TypeScript parser,
 * so a type import that a bundler would erase still counts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every local module reachable from `entry` (paths relative to the repository), and the packages imported. */
function importGraph(entry: string): { modules: string[]; packages: string[] } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    const rel = relative(root, file);
    if (modules.has(rel)) return;
    modules.add(rel);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    const specifiers: string[] = [];
    source.forEachChild((node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        specifiers.push(node.moduleSpecifier.text);
      }
    });
    for (const spec of specifiers) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(resolve(root, entry));
  return { modules: [...modules].sort(), packages: [...packages].sort() };
}

describe('workflow entry import graph', () => {
  const graph = importGraph('src/temporal/workflow.ts');

  it('holds only the binding core, the workflow side and the error classes (which import nothing)', () => {
    expect(importGraph('src/errors.ts')).toEqual({ modules: ['src/errors.ts'], packages: [] });
    for (const module of graph.modules) {
      expect(module).toMatch(/^src\/(errors|binding-core\/[a-z-]+|temporal\/(workflow|types|props-validator|proxy-node|activity-options|script-activity-engine))\.ts$/);
    }
    expect(graph.modules).toContain('src/binding-core/blackboard.ts');
    expect(graph.modules).toContain('src/binding-core/interpreter-node.ts');
  });

  it('holds no interpreter, sandbox, loader, registry, storage or in-process binding file, not even as a type', () => {
    expect(graph.modules.filter((m) => /^src\/(interpreters|sandbox|loader|registry|storage-adapters|btree|platform)\//.test(m))).toEqual([]);
  });

  it('imports no package but @temporalio/workflow', () => {
    expect(graph.packages).toEqual(['@temporalio/workflow']);
  });

  it('the binding core imports nothing outside itself but the error classes (it is the dependency-free floor)', () => {
    const core = readdirSync(resolve(root, 'src/binding-core')).filter((f) => f.endsWith('.ts'));
    expect(core.length).toBeGreaterThan(5);
    for (const file of core.map((f) => `src/binding-core/${f}`)) {
      const own = importGraph(file);
      expect(own.packages, file).toEqual([]);
      expect(own.modules.filter((m) => !m.startsWith('src/binding-core/') && m !== 'src/errors.ts'), file).toEqual([]);
    }
  });
});
