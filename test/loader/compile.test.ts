import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/errors.js';
import { compileNode, type CompileOptions } from '../../src/loader/compile.js';
import type { CompileInput } from '../../src/loader/compile.js';
import { sha256Hex } from '../../src/loader/hash.js';

const SLACK = readFileSync(new URL('../fixtures/nodes/send-slack-message.ts', import.meta.url), 'utf8');
const HEAD = "import { ActionNode, NodeStatus } from '@wayfarer-ai/btree';\n";
const TAIL = 'export default class N extends ActionNode { protected async executeTick() { return NodeStatus.SUCCESS; } }\n';

async function fails(input: Partial<CompileInput>, options?: CompileOptions): Promise<CompileError> {
  const error = await compileNode({ name: 'N', version: '1.0.0', ...input } as CompileInput, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'compile should have failed').toBeInstanceOf(CompileError);
  return error as CompileError;
}

describe('compileNode', () => {
  it("compiles the seed's SendSlackMessage unchanged into one ESM bundle with externals and a source map", async () => {
    const out = await compileNode({ name: 'SendSlackMessage', version: '1.0.0', source: SLACK });
    expect(out.imports).toEqual(['@temporalio/workflow', '@wayfarer-ai/btree']);
    expect(out.bundle).toMatch(/^import \{ ActionNode \} from "@wayfarer-ai\/btree";$/m);
    expect(out.bundle).toMatch(/^import \{ proxyActivities \} from "@temporalio\/workflow";$/m);
    // keepNames: btree reads constructor.name.
    expect(out.bundle).toContain('__name(this, "SendSlackMessage")');
    expect(out.bundle).toContain('SendSlackMessage as default');
    expect(out.bundle).not.toContain('sourceMappingURL');
    expect(out.sha256).toBe(sha256Hex(out.bundle));
    const map = JSON.parse(out.sourceMap) as { sources: string[]; sourcesContent: string[] };
    expect(map.sources).toEqual(['index.ts']);
    expect(map.sourcesContent).toEqual([SLACK]);
    expect(out.sources).toEqual({ 'index.ts': SLACK });
    expect(out.findings).toEqual([]);
    expect(out.sizes.bundleBytes).toBe(Buffer.byteLength(out.bundle));
    expect(out.sizes.sourceBytes).toBe(Buffer.byteLength(SLACK));
    expect(out.esbuildVersion).toMatch(/^0\.\d+\.\d+$/);
  });

  it('is deterministic: the same upload gives the same sha256', async () => {
    const a = await compileNode({ name: 'S', version: '1.0.0', source: SLACK });
    const b = await compileNode({ name: 'S', version: '1.0.0', source: SLACK });
    expect(a.sha256).toBe(b.sha256);
  });

  it('resolves relative imports inside the file map (TS .js twins, folders, index files, json)', async () => {
    const out = await compileNode({
      name: 'N',
      version: '1.0.0',
      entry: 'src/index.ts',
      files: {
        'src/index.ts': `${HEAD}import { fmt } from './lib/fmt.js';\nimport { up } from '../shared';\nimport data from './data.json';\nexport default class N extends ActionNode { protected async executeTick() { fmt(up(data.word)); return NodeStatus.SUCCESS; } }\n`,
        'src/lib/fmt.ts': 'export const fmt = (s: string): string => `[${s}]`;\n',
        'shared/index.ts': 'export function up(s: string): string { return s.toUpperCase(); }\n',
        'src/data.json': '{ "word": "hi" }',
      },
    });
    expect(out.bundle).toContain('toUpperCase');
    expect(out.entry).toBe('src/index.ts');
    expect(JSON.parse(out.sourceMap).sources.sort()).toEqual(['shared/index.ts', 'src/data.json', 'src/index.ts', 'src/lib/fmt.ts']);
  });

  it('host-disk-read: an import outside the file map is an error naming it, even when the file exists on the host', async () => {
    for (const spec of ['./missing.js', '../escape.ts', '../../../../../etc/passwd', './package.json']) {
      const e = await fails({ source: `${HEAD}import x from '${spec}';\nconsole.log(x);\n${TAIL}` });
      expect(e.diagnostics[0]).toMatchObject({ kind: 'import', importPath: spec, file: 'index.ts', line: 2 });
    }
    const abs = await fails({ source: `${HEAD}import x from '/etc/hostname';\nconsole.log(x);\n${TAIL}` });
    expect(abs.diagnostics[0]).toMatchObject({ kind: 'import', importPath: '/etc/hostname' });
  });

  it.each([
    ['fs', "import { readFileSync } from 'fs';\nreadFileSync('/etc/passwd');"],
    ['node:fs', "import * as fs from 'node:fs';\nfs.readFileSync('/etc/passwd');"],
    ['fs/promises', "import { readFile } from 'fs/promises';\nvoid readFile('/x');"],
    ['node:child_process', "export { execSync } from 'node:child_process';\nconst z = 1;"],
    ['process', "import process from 'process';\nprocess.exit(1);"],
    ['node:net', "import 'node:net';\nconst z = 1;"],
  ])('banned-builtin: %s is rejected with its location and the proxyActivities hint', async (spec, code) => {
    const e = await fails({ source: `${HEAD}${code}\n${TAIL}` });
    expect(e.diagnostics).toHaveLength(1);
    expect(e.diagnostics[0]).toMatchObject({ kind: 'import', importPath: spec, file: 'index.ts', line: 2 });
    expect(e.diagnostics[0]!.column).toBeGreaterThan(1);
    expect(e.diagnostics[0]!.frame).toContain(`> 2 | ${code.split('\n')[0]}`);
    expect(e.message).toMatch(new RegExp(`compile failed \\[node=N, version=1\\.0\\.0\\]: index\\.ts:2:\\d+: import of the Node built-in "${spec}"`));
    expect(e.hint).toContain('proxyActivities');
  });

  it('erased-banned-import: an unused banned import is still rejected (TypeScript would silently erase it)', async () => {
    const e = await fails({ source: `${HEAD}import fs from 'fs';\n${TAIL}` });
    expect(e.diagnostics[0]).toMatchObject({ kind: 'import', importPath: 'fs', line: 2, column: 16 });
  });

  it('a type-only import is erased and allowed', async () => {
    const out = await compileNode({ name: 'N', version: '1.0.0', source: `import type { Stats } from 'fs';\n${HEAD}let s: Stats | undefined;\n${TAIL}` });
    expect(out.imports).toEqual(['@wayfarer-ai/btree']);
  });

  it('other packages are rejected with a fitting hint (zod → the SDK, URLs, subpaths of allowed modules)', async () => {
    const zod = await fails({ source: `${HEAD}import { z } from 'zod';\nz.string();\n${TAIL}` });
    expect(zod.hint).toContain("import { z } from '@wayfarer-ai/btree-plugins/sdk'");
    const lodash = await fails({ source: `${HEAD}import _ from 'lodash';\n_.noop();\n${TAIL}` });
    expect(lodash.message).toContain('import of the package "lodash" is not allowed');
    const url = await fails({ source: `${HEAD}import x from 'https://evil.example/x.js';\nx();\n${TAIL}` });
    expect(url.message).toContain('URL');
    const deep = await fails({ source: `${HEAD}import { x } from '@temporalio/workflow/lib/internals';\nx();\n${TAIL}` });
    expect(deep.diagnostics[0]!.importPath).toBe('@temporalio/workflow/lib/internals');
  });

  it('the SDK and the other sandbox-provided modules stay external', async () => {
    const out = await compileNode({
      name: 'N',
      version: '1.0.0',
      source: `${HEAD}import { z } from '@wayfarer-ai/btree-plugins/sdk';\nimport { sleep } from '@temporalio/workflow';\nexport const schema = z.object({});\nvoid sleep;\n${TAIL}`,
    });
    expect(out.imports).toEqual(['@temporalio/workflow', '@wayfarer-ai/btree', '@wayfarer-ai/btree-plugins/sdk']);
  });

  it('dynamic-loading: require() and import() are rejected, literal or not, with locations', async () => {
    const literal = await fails({ source: `${HEAD}const cp = require('child_process');\nconst m = import('./other.js');\n${TAIL}` });
    expect(literal.diagnostics.map((d) => [d.line, d.message.slice(0, 20)])).toEqual([
      [2, '`require()` is not a'],
      [3, 'dynamic `import()` i'],
    ]);
    const computed = await fails({ source: `${HEAD}const name = 'f' + 's';\nconst a = require(name);\nconst b = import(name);\n${TAIL}` });
    expect(computed.diagnostics.map((d) => [d.file, d.line, d.column])).toEqual([
      ['index.ts', 3, 11],
      ['index.ts', 4, 11],
    ]);
  });

  it('TypeScript syntax errors come back as structured diagnostics with a code frame', async () => {
    const e = await fails({
      files: {
        'index.ts': `${HEAD}import { helper } from './helper.js';\nhelper(1);\n${TAIL}`,
        'helper.ts': 'export function helper(a: number {\n  return a;\n}\n',
      },
    });
    expect(e.diagnostics[0]).toMatchObject({ kind: 'syntax', file: 'helper.ts', line: 1, column: 34, message: 'Expected ")" but found "{"' });
    expect(e.diagnostics[0]!.frame).toBe(
      ['> 1 | export function helper(a: number {', `    | ${' '.repeat(33)}^`, '  2 |   return a;', '  3 | }'].join('\n'),
    );
    expect(e.stack).toBeDefined();
    expect(e.message).toContain('helper.ts:1:34: Expected ")" but found "{"');
  });

  it('the entry must default-export the node class', async () => {
    const e = await fails({ source: `${HEAD}export class N extends ActionNode {}\n` });
    expect(e.message).toContain('has no default export');
    expect(e.hint).toContain('export default class N extends ActionNode');
  });

  describe('limits and input', () => {
    it('oversized-source: limit diagnostic with the configured limit', async () => {
      const e = await fails({ source: `${HEAD}${TAIL}// ${'x'.repeat(600 * 1024)}\n` });
      expect(e.diagnostics[0]).toMatchObject({ kind: 'limit', rule: 'maxSourceBytes' });
      expect(e.message).toContain(`the limit is ${512 * 1024}`);
      const custom = await fails({ source: `${HEAD}${TAIL}` }, { limits: { maxSourceBytes: 10 } });
      expect(custom.message).toContain('the limit is 10');
    });

    it('too-many-files: limit diagnostic', async () => {
      const files: Record<string, string> = { 'index.ts': `${HEAD}${TAIL}` };
      for (let i = 0; i < 64; i++) files[`f${i}.ts`] = 'export {};';
      const e = await fails({ files, entry: 'index.ts' });
      expect(e.diagnostics[0]).toMatchObject({ kind: 'limit', rule: 'maxFiles' });
    });

    it('oversized-bundle: limit diagnostic', async () => {
      const e = await fails({ source: `${HEAD}${TAIL}export const blob = ${JSON.stringify('y'.repeat(5000))};\n` }, { limits: { maxBundleBytes: 4096 } });
      expect(e.diagnostics[0]).toMatchObject({ kind: 'limit', rule: 'maxBundleBytes' });
    });

    it.each(['../x.ts', '/abs.ts', 'a/../b.ts', './x.ts', '.hidden.ts', 'x.exe', 'ü.ts', 'a//b.ts', 'a\\b.ts', 'x.ts\u0000', `${'a'.repeat(130)}.ts`, '__proto__'])(
      'path-traversal-in-upload: refuses the file path %j',
      async (path) => {
        const e = await fails({ files: { [path]: TAIL, 'index.ts': `${HEAD}${TAIL}` }, entry: 'index.ts' });
        expect(e.diagnostics[0]).toMatchObject({ kind: 'input' });
        expect(e.message).toContain('invalid file path');
      },
    );

    it('needs exactly one of source/files, a known entry and string names', async () => {
      expect((await fails({})).message).toContain('exactly one of');
      expect((await fails({ source: TAIL, files: { 'index.ts': TAIL } })).message).toContain('exactly one of');
      expect((await fails({ files: { 'a.ts': TAIL, 'b.ts': TAIL } })).message).toContain('no `entry`');
      expect((await fails({ files: { 'a.ts': TAIL }, entry: 'b.ts' })).message).toContain('is not one of the uploaded files');
      expect((await fails({ files: {} })).message).toContain('empty');
      expect((await fails({ name: '' })).message).toContain('`name` must be');
    });
  });

  describe('scan findings', () => {
    it('are located in the TypeScript source, not in the bundle', async () => {
      const out = await compileNode({
        name: 'N',
        version: '1.0.0',
        files: {
          'index.ts': `${HEAD}import { run } from './run.js';\n${TAIL}export const go = run;\n`,
          'run.ts': "type T = { a: string };\n\nexport function run(t: T): unknown {\n  return eval(t.a);\n}\n",
        },
      });
      expect(out.findings).toContainEqual(expect.objectContaining({ rule: 'dynamic-code', file: 'run.ts', line: 4, column: 10 }));
    });

    it('block publishing when blockOn says so, by rule or severity', async () => {
      const source = `${HEAD}export function spin() { while (true) { tick(); } }\ndeclare function tick(): void;\n${TAIL}`;
      const passes = await compileNode({ name: 'N', version: '1.0.0', source }, { blockOn: { severity: 'high' } });
      expect(passes.findings.map((f) => f.rule)).toEqual(['infinite-loop']);
      const byRule = await fails({ source }, { blockOn: { rules: ['infinite-loop'] } });
      expect(byRule.diagnostics[0]).toMatchObject({ kind: 'scan', rule: 'infinite-loop', file: 'index.ts', line: 2 });
      const bySeverity = await fails({ source }, { blockOn: { severity: 'warning' } });
      expect(bySeverity.diagnostics[0]!.rule).toBe('infinite-loop');
    });
  });
});

describe('compileNode hazards', () => {
  it('diagnostics-flood: thousands of banned imports give a bounded error', async () => {
    const source = Array.from({ length: 500 }, (_, i) => `import m${i} from 'pkg${i}';\nm${i}();`).join('\n') + `\n${HEAD}${TAIL}`;
    const e = await compileNode({ name: 'N', version: '1.0.0', source }).catch((x: unknown) => x as CompileError);
    expect(e).toBeInstanceOf(CompileError);
    expect((e as CompileError).diagnostics).toHaveLength(50);
    expect((e as CompileError).diagnostics[0]).toMatchObject({ line: 1, importPath: 'pkg0' });
  });
});

describe('compileNode type-only imports', () => {
  it('reports a type-only import used as a value, located in the TypeScript source', async () => {
    const out = await compileNode({
      name: 'N',
      version: '1.0.0',
      files: {
        'index.ts': `${HEAD}import type { Formatter } from './fmt.js';\nexport const f = new Formatter();\n${TAIL}`,
        'fmt.ts': 'export class Formatter {}\n',
      },
    });
    expect(out.findings).toEqual([expect.objectContaining({ rule: 'type-only-value', file: 'index.ts', line: 3, column: 22 })]);
  });
});
