/**
 * The checks behind the doc examples can fail: a wrong `// →` value, a type error, a missing
 * import all make an example fail, and the package's own name resolves to the sources.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CodeBlock } from './extract.js';
import { assertArrows, exampleSource, hostPaths, runWithTsx, selfImportMap, typeErrors, workspaceRoot, writeWorkspaceTsconfig } from './example-workspace.js';

const block = (code: string): CodeBlock => ({ file: 'docs/self-test.md', line: 1, lang: 'ts', code });
const dir = join(workspaceRoot, 'self-test');
let tsconfig: string;

beforeAll(() => {
  tsconfig = writeWorkspaceTsconfig();
  mkdirSync(dir, { recursive: true });
});

async function run(name: string, code: string) {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, exampleSource(block(code), {}));
  return runWithTsx(file, dir, tsconfig);
}

describe('doc example workspace', () => {
  it('maps every public subpath and @wayfarer-ai/btree (the test host) to the sources', () => {
    const map = selfImportMap();
    expect(map['@wayfarer-ai/btree-plugins']).toMatch(/src\/index\.ts$/);
    expect(map['@wayfarer-ai/btree-plugins/storage/fs']).toMatch(/src\/storage-adapters\/fs\.ts$/);
    expect(map['@wayfarer-ai/btree']).toMatch(/src\/testing\/index\.ts$/);
  });

  it('turns "// →" comments into checks of the statement they end, and leaves prose comments alone', () => {
    const out = assertArrows('const a = 1 + 1; // → 2\nMath.max(1, 3); // → 3\nconst b = 1; // one\n');
    expect(out).toContain('__docExpect(a, (2), "example line 1")');
    expect(out).toContain('__docExpect((Math.max(1, 3)), (3), "example line 2")');
    expect(out).not.toContain('__docExpect(b');
  });

  it('puts the block where the prelude says $EXAMPLE, and moves host paths under a private root', () => {
    const source = exampleSource(block("new FsStorage({ root: '/var/lib/x' });\n"), { prelude: 'before();\n$EXAMPLE\nafter();' }, '/tmp/h');
    expect(source).toBe("before();\nnew FsStorage({ root: '/tmp/h/var/lib/x' });\n\nafter();");
    expect(hostPaths("a('/srv/wheels'); b('/etc/passwd')")).toEqual(['/srv/wheels']);
  });

  it('a run passes when the stated value holds, and fails naming the line when it does not', async () => {
    const good = await run('arrow-good', "import { assertValidKey } from '@wayfarer-ai/btree-plugins';\nconst ok = (assertValidKey('a/b'), 'valid'); // → 'valid'\n");
    expect(good.code, good.stderr).toBe(0);
    const bad = await run('arrow-bad', 'const n = 6 * 7; // → 41\n');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('example line 1: the value is not what its "// →" comment says');
  });

  it('a run fails when the example imports something the package does not export', async () => {
    const result = await run('bad-import', "import { NoSuchThing } from '@wayfarer-ai/btree-plugins';\nconsole.log(NoSuchThing);\n");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('NoSuchThing');
  });

  it('typecheck reports type errors of the example file only', () => {
    const file = join(dir, 'typed.ts');
    writeFileSync(file, "import { PluginHost } from '@wayfarer-ai/btree-plugins';\nexport const h: PluginHost = 42;\n");
    const errors = typeErrors([file]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\.tmp\/doc-examples\/self-test\/typed\.ts:2: Type 'number' is not assignable to type 'PluginHost'/);
  }, 60_000);
});
