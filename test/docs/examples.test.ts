/**
 * Every fenced block of README.md, docs/*.md and each examples/<folder>/README.md is checked as
 * its marker says (docs/testing.md, "Examples in the docs are tests"): TypeScript runs in a real
 * Node or vitest, fragments are typechecked against the sources, trees and tenant nodes run on the
 * test host and the real sandboxes, JSON is parsed (and compared with the file it quotes), shell
 * commands are parsed and the scripts and paths they name must exist. A block without a marker
 * fails the first test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginHost } from '../../src/plugin-host.js';
import * as testHost from '../../src/testing/index.js';
import type { Capability } from '../../src/sandbox/index.js';
import { EXAMPLE_KINDS, extractFile, markerProblems, type CodeBlock } from './extract.js';
import {
  exampleDir,
  exampleSource,
  hostPaths,
  repoRoot,
  runWithTsx,
  runWithVitest,
  typeErrors,
  workspaceRoot,
  writeFiles,
  writeWorkspaceTsconfig,
  type ChildResult,
  type SourceOptions,
} from './example-workspace.js';

const exampleReadmes = readdirSync(join(repoRoot, 'examples'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(repoRoot, 'examples', e.name, 'README.md')))
  .map((e) => `examples/${e.name}/README.md`)
  .sort();
const docFiles = ['README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`), ...exampleReadmes];
const blocks = docFiles.flatMap((f) => extractFile(join(repoRoot, f), f));
const byKind = (kind: string): CodeBlock[] => blocks.filter((b) => b.marker?.kind === kind);
const title = (b: CodeBlock): string => `${b.file}:${b.line}${b.marker?.note ? ` (${b.marker.note})` : ''}`;
const blockById = (id: string): CodeBlock => {
  const found = blocks.find((b) => b.marker?.id === id);
  if (!found) throw new Error(`no doc block has id=${id}`);
  return found;
};

testHost.setTestHostLogging(false);

/** A marker's `files`: contents inline, or `@<id>` for another doc block's code. */
function filesOf(options: SourceOptions): Record<string, string> {
  return Object.fromEntries(Object.entries(options.files ?? {}).map(([path, text]) => [path, text.startsWith('@') ? blockById(text.slice(1)).code : text]));
}

function report(result: ChildResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

describe('doc examples: markers', () => {
  it('finds the blocks of README.md, every docs/*.md and every examples/*/README.md', () => {
    expect(docFiles).toContain('README.md');
    expect(docFiles).toContain('docs/writing-nodes.md');
    expect(docFiles).toContain('examples/api-server/README.md');
    expect(blocks.length).toBeGreaterThan(30);
  });

  it('every fenced block says how it is checked (a known kind; none is skipped)', () => {
    expect(markerProblems(blocks).map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([]);
  });

  it('each kind is used on the languages it can check', () => {
    const langs: Record<string, string[]> = {
      run: ['ts'],
      typecheck: ['ts'],
      vitest: ['ts'],
      'tenant-node': ['ts'],
      tree: ['yaml'],
      json: ['json'],
      shell: ['sh'],
      output: [''],
      text: ['', 'markdown'],
      'temporal-workflow': ['ts'],
    };
    const wrong = blocks
      .filter((b) => b.marker && langs[b.marker.kind] && !langs[b.marker.kind]!.includes(b.lang))
      .map((b) => `${title(b)}: ${b.marker!.kind} on \`\`\`${b.lang}`);
    expect(wrong).toEqual([]);
  });

  it('leaves only the Temporal snippets of docs/temporal.md to the Temporal suite', () => {
    const temporal = blocks.filter((b) => b.marker?.kind.startsWith('temporal-'));
    expect(temporal.every((b) => b.file === 'docs/temporal.md')).toBe(true);
    expect(EXAMPLE_KINDS).toContain('temporal-workflow');
  });
});

describe('doc examples: run (a real Node, as `node --no-node-snapshot --import tsx`)', () => {
  let tsconfig: string;
  beforeAll(() => {
    tsconfig = writeWorkspaceTsconfig();
  });

  for (const block of byKind('run')) {
    it(title(block), async () => {
      const options = block.marker!.options as SourceOptions;
      const dir = exampleDir(block);
      const hostRoot = join(dir, 'host-root');
      for (const path of hostPaths(block.code)) mkdirSync(join(hostRoot, path), { recursive: true });
      writeFiles(dir, filesOf(options));
      const file = join(dir, options.path ?? 'example.ts');
      writeFiles(dir, { [options.path ?? 'example.ts']: exampleSource(block, options, hostRoot) });
      const result = await runWithTsx(file, dir, tsconfig);
      expect(result.code, report(result)).toBe(0);
    });
  }
});

describe('doc examples: vitest (a child vitest with the pool settings the docs give)', () => {
  for (const block of byKind('vitest')) {
    it(title(block), async () => {
      const options = block.marker!.options as SourceOptions;
      const dir = exampleDir(block);
      writeFiles(dir, filesOf(options));
      const path = options.path ?? 'example.test.ts';
      writeFiles(dir, { [path]: exampleSource(block, options) });
      const result = await runWithVitest(path, dir);
      expect(result.code, report(result)).toBe(0);
      expect(result.stdout, report(result)).toMatch(/Tests\s+\d+ passed/);
      expect(result.stdout).not.toMatch(/failed|skipped|todo/i);
    });
  }
});

describe('doc examples: typecheck (fragments compiled against the sources, no emit)', () => {
  const typechecked = byKind('typecheck');
  const fileOf = new Map<CodeBlock, string>();
  let errors: string[] = [];
  beforeAll(() => {
    for (const block of typechecked) {
      const options = block.marker!.options as SourceOptions;
      const dir = exampleDir(block);
      writeFiles(dir, filesOf(options));
      const path = options.path ?? 'example.ts';
      writeFiles(dir, { [path]: exampleSource(block, options) });
      fileOf.set(block, join(dir, path));
    }
    errors = typeErrors([...fileOf.values()]);
  }, 120_000);

  for (const block of typechecked) {
    it(title(block), () => {
      const file = fileOf.get(block)!.slice(repoRoot.length + 1);
      expect(errors.filter((e) => e.startsWith(`${file}:`))).toEqual([]);
    });
  }
});

/** Options of a `tree` or `tenant-node` marker. */
interface TreeOptions {
  /** `tenant-node`: the tree (YAML text or an object) that uses the node. */
  tree?: unknown;
  /** The workflow input (the blackboard's initial keys). */
  input?: Record<string, unknown>;
  /** `tenant-node`: capability name → the value it returns; every call is recorded. */
  capabilities?: Record<string, unknown>;
  expect?: { status?: string; output?: Record<string, unknown>; calls?: unknown[] };
}

/** Every `type:` in a parsed tree. */
function nodeTypes(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(nodeTypes);
  if (node === null || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  return [...(typeof record.type === 'string' ? [record.type] : []), ...nodeTypes(record.children), ...nodeTypes(record.child)];
}

/** A YAML list of nodes is a `children:` excerpt: it runs as the children of a Sequence. */
function treeYaml(code: string): { yaml: string; parsed: unknown } {
  const parsed = loadYaml(code);
  if (!Array.isArray(parsed)) return { yaml: code, parsed };
  const wrapped = { type: 'Sequence', id: 'doc-example', children: parsed };
  return { yaml: JSON.stringify(wrapped), parsed: wrapped };
}

async function runTree(host: PluginHost, tenant: string, yaml: string, parsed: unknown, input: Record<string, unknown>) {
  const registry = new testHost.Registry();
  testHost.registerStandardNodes(registry);
  await host.registerNodes(registry, tenant, { yaml });
  const missing = nodeTypes(parsed).filter((t) => !registry.has(t));
  expect(missing, 'node types the tree names but nothing registered').toEqual([]);
  const root = testHost.loadTreeFromYaml(yaml, registry);
  return new testHost.BehaviorTree(root).toWorkflow()({ input, treeRegistry: registry });
}

function expectOutcome(result: { status: string; output: Record<string, unknown> }, options: TreeOptions): void {
  expect(result.status).toBe(options.expect?.status ?? 'SUCCESS');
  if (options.expect?.output) expect(result.output).toMatchObject(options.expect.output);
}

describe('doc examples: tree (YAML trees on the test host, interpreters enabled)', () => {
  const host = new PluginHost({
    btree: testHost,
    storage: new testHost.MemoryStorage(),
    interpreters: { javascript: true, python: true },
  });
  afterAll(() => host.dispose());

  for (const block of byKind('tree')) {
    it(title(block), async () => {
      const options = block.marker!.options as TreeOptions;
      const { yaml, parsed } = treeYaml(block.code);
      expectOutcome(await runTree(host, 'docs', yaml, parsed, options.input ?? {}), options);
    });
  }
});

describe('doc examples: tenant-node (published, activated and ticked in the sandbox)', () => {
  for (const block of byKind('tenant-node')) {
    it(title(block), async () => {
      const options = block.marker!.options as TreeOptions;
      if (options.tree === undefined) throw new Error(`${title(block)}: a tenant-node marker needs a "tree:" that uses the node`);
      const yaml = typeof options.tree === 'string' ? options.tree : JSON.stringify(options.tree);
      const parsed = loadYaml(yaml) as { type: string };
      const calls: unknown[] = [];
      const capabilities: Record<string, Capability> = {};
      for (const [name, value] of Object.entries(options.capabilities ?? {})) {
        capabilities[name] = async (_ctx, ...args) => {
          calls.push([name, ...args]);
          return value as never;
        };
      }
      await using host = new PluginHost({
        btree: testHost,
        storage: new testHost.MemoryStorage(),
        registry: { requireApproval: false },
        capabilities,
      });
      await host.registry.publish('docs', { name: parsed.type, version: '1.0.0', source: block.code });
      await host.registry.activate('docs', parsed.type, '1.0.0');
      expectOutcome(await runTree(host, 'docs', yaml, parsed, options.input ?? {}), options);
      if (options.expect?.calls) expect(calls).toEqual(options.expect.calls);
    });
  }
});

/** JSON strings may abbreviate with `…` (`"024ca478…948f"`): they match on the text around it. */
function matchesQuoted(doc: unknown, actual: unknown, path: string, problems: string[]): void {
  if (typeof doc === 'string' && doc.includes('…') && typeof actual === 'string') {
    const [head, tail] = doc.split('…') as [string, string];
    if (!actual.startsWith(head) || !actual.endsWith(tail)) problems.push(`${path}: "${doc}" does not abbreviate "${actual}"`);
  } else if (doc !== null && typeof doc === 'object') {
    if (actual === null || typeof actual !== 'object') return void problems.push(`${path}: the file has ${JSON.stringify(actual)}`);
    if (Array.isArray(doc)) {
      if (!Array.isArray(actual) || actual.length !== doc.length) return void problems.push(`${path}: the file has ${JSON.stringify(actual)}`);
    }
    for (const [k, v] of Object.entries(doc)) matchesQuoted(v, (actual as Record<string, unknown>)[k], `${path}.${k}`, problems);
  } else if (doc !== actual) {
    problems.push(`${path}: the doc says ${JSON.stringify(doc)}, the file has ${JSON.stringify(actual)}`);
  }
}

describe('doc examples: json (parsed; compared with the file it quotes)', () => {
  for (const block of byKind('json')) {
    it(title(block), () => {
      const options = block.marker!.options as { fragment?: boolean; matches?: string };
      const parsed: unknown = JSON.parse(options.fragment ? `{${block.code}}` : block.code);
      if (options.matches) {
        const actual: unknown = JSON.parse(readFileSync(join(repoRoot, options.matches), 'utf8'));
        const problems: string[] = [];
        matchesQuoted(parsed, actual, options.matches, problems);
        expect(problems).toEqual([]);
      }
    });
  }
});

describe('doc examples: shell (parsed by bash; the npm scripts and repository paths it names exist)', () => {
  const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

  for (const block of byKind('shell')) {
    it(title(block), () => {
      execFileSync('bash', ['-n'], { input: block.code });
      // Comments are prose (`# pinned from the npm registry`), not commands.
      const commands = block.code.replace(/(^|\s)#.*$/gm, '$1');
      for (const m of commands.matchAll(/\bnpm (?:run )?(\S+)/g)) {
        const script = m[1]!;
        if (['install', 'ci', 'rebuild'].includes(script)) continue;
        expect(Object.keys(scripts), `npm ${script}`).toContain(script);
      }
      for (const m of commands.matchAll(/(?<![\w/.$-])((?:src|test|scripts|examples|bench|docs)\/[\w./-]*)/g)) {
        expect(existsSync(join(repoRoot, m[1]!)), `${m[1]} is named by the command but does not exist`).toBe(true);
      }
    });
  }
});

describe('doc examples: output (the text a tree really fails with)', () => {
  const host = new PluginHost({ btree: testHost, storage: new testHost.MemoryStorage(), interpreters: { javascript: true, python: true } });
  afterAll(() => host.dispose());

  for (const block of byKind('output')) {
    it(title(block), async () => {
      const options = block.marker!.options as { thrownBy?: unknown };
      if (options.thrownBy === undefined) throw new Error(`${title(block)}: an output marker needs "thrownBy:", the tree that fails with it`);
      const yaml = typeof options.thrownBy === 'string' ? options.thrownBy : JSON.stringify(options.thrownBy);
      const error = await runTree(host, 'docs', yaml, loadYaml(yaml), {}).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(testHost.ConfigurationError);
      expect((error as Error).message).toBe(block.code.trimEnd());
    });
  }
});

describe('doc examples: text with a folder list (every folder named, every name a folder)', () => {
  for (const block of byKind('text').filter((b) => b.marker!.options.lists !== undefined)) {
    it(title(block), () => {
      const dir = String(block.marker!.options.lists).replace(/\/$/, '');
      const folders = readdirSync(join(repoRoot, dir), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      // The block lists `<dir>/` and, indented below it, one `<name>/` per folder.
      const section = block.code.split(`${dir}/\n`)[1]?.split(/\n(?=\S)/)[0] ?? '';
      const named = [...section.matchAll(/^\s+([\w.-]+)\/(?=\s)/gm)].map((m) => m[1]!);
      expect(named.filter((n) => !folders.includes(n)), `named in the block but not in ${dir}/`).toEqual([]);
      expect(folders.filter((f) => !named.includes(f)), `in ${dir}/ but not named in the block`).toEqual([]);
      for (const m of block.code.matchAll(/^([\w.-]+)\/(?=\s)/gm)) expect(existsSync(join(repoRoot, m[1]!)), `${m[1]}/`).toBe(true);
    });
  }
});

describe('doc examples: run elsewhere', () => {
  it('temporal-workflow blocks are run verbatim on the dev server by test/temporal/docs-snippets.test.ts', () => {
    const suite = readFileSync(join(repoRoot, 'test/temporal/docs-snippets.test.ts'), 'utf8');
    expect(suite).toContain("const MARKER = '<!-- example: temporal-workflow -->';");
    expect(suite).toContain("markedBlocks('docs/temporal.md')");
    expect(byKind('temporal-workflow').map((b) => b.file)).toEqual(['docs/temporal.md', 'docs/temporal.md']);
  });
});

// Keep the workspace's own .gitignore-d folder discoverable for people reading a failure.
afterAll(() => {
  if (existsSync(workspaceRoot)) writeFileSync(join(workspaceRoot, 'README'), 'Doc examples as run by test/docs/examples.test.ts; safe to delete.\n');
});
