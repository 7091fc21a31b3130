import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/errors.js';
import { compileNode } from '../../src/loader/compile.js';
import { disarmSourceMapComments } from '../../src/loader/input-source-maps.js';

/** Runs a bundle with no imports as an ES module and returns its exports. */
async function evaluate(bundle: string): Promise<Record<string, unknown>> {
  return (await import(`data:text/javascript;base64,${Buffer.from(bundle).toString('base64')}`)) as Record<string, unknown>;
}

describe('disarmSourceMapComments', () => {
  it('escapes the M of every pragma esbuild would read (//#, //@, /*#, /*@), wherever it stands', () => {
    const text = 'a;\n//# sourceMappingURL=/x\n/*@ sourceMappingURL=y */ b;\n"//# sourceMappingURL=z"';
    const out = disarmSourceMapComments({ 'index.ts': text });
    expect(out.files['index.ts']).toBe('a;\n//# source\\u004DappingURL=/x\n/*@ source\\u004DappingURL=y */ b;\n"//# source\\u004DappingURL=z"');
    expect(out.pragmas).toEqual([
      { file: 'index.ts', line: 2, column: 2 },
      { file: 'index.ts', line: 3, column: 2 },
      { file: 'index.ts', line: 4, column: 3 },
    ]);
  });

  it('leaves files without a pragma untouched (same object) and counts \\r\\n, \\r, U+2028 as one line break each', () => {
    const files = { 'a.ts': 'sourceMappingURL = 1; // no # before it' };
    expect(disarmSourceMapComments(files).files).toBe(files);
    const out = disarmSourceMapComments({ 'a.ts': 'x\r\ny\rz\u2028//# sourceMappingURL=q' });
    expect(out.pragmas).toEqual([{ file: 'a.ts', line: 4, column: 2 }]);
  });

  it('maps columns of the disarmed text back to the original text', () => {
    const out = disarmSourceMapComments({ 'a.ts': '/*# sourceMappingURL=a */ /*# sourceMappingURL=b */ oops' });
    const disarmed = out.files['a.ts']!;
    const original = '/*# sourceMappingURL=a */ /*# sourceMappingURL=b */ oops';
    expect(out.toOriginalColumn('a.ts', 1, disarmed.indexOf('oops'))).toBe(original.indexOf('oops'));
    expect(out.toOriginalColumn('a.ts', 1, 2)).toBe(2);
    // Inside an escape: the position of the letter it stands for.
    expect(out.toOriginalColumn('a.ts', 1, disarmed.indexOf('\\u004D') + 3)).toBe(original.indexOf('Mapping'));
    expect(out.toOriginalColumn('a.ts', 2, 40)).toBe(40);
    expect(out.toOriginalColumn('other.ts', 1, 40)).toBe(40);
  });
});

describe('compileNode with source-map pragmas in the upload', () => {
  it('keeps what strings, templates and regexes mean; the source map embeds the original text', async () => {
    const source = [
      "export const s = '//# sourceMappingURL=x.map';",
      'export const t = `/*@ sourceMappingURL=${1 + 1} */`;',
      "export const r = /^\\/\\/# sourceMappingURL=(.*)$/u.exec('//# sourceMappingURL=y.map')?.[1];",
      'export default class N {}',
      '//# sourceMappingURL=index.js.map',
      '',
    ].join('\n');
    const out = await compileNode({ name: 'N', version: '1.0.0', source });
    const mod = await evaluate(out.bundle);
    expect(mod.s).toBe('//# sourceMappingURL=x.map');
    expect(mod.t).toBe('/*@ sourceMappingURL=2 */');
    expect(mod.r).toBe('y.map');
    expect((JSON.parse(out.sourceMap) as { sourcesContent: string[] }).sourcesContent).toEqual([source]);
    expect(out.sources['index.ts']).toBe(source);
    expect(out.findings.filter((f) => f.rule === 'input-source-map').map((f) => f.line)).toEqual([1, 2, 3, 3, 5]);
  });

  it('locates a syntax error after a disarmed pragma on the same line in the original text', async () => {
    const line = '/*# sourceMappingURL=a.map */ let q = ;';
    const error = await compileNode({ name: 'N', version: '1.0.0', source: `export default class N {}\n${line}\n` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompileError);
    const d = (error as CompileError).diagnostics[0]!;
    expect(d).toMatchObject({ kind: 'syntax', file: 'index.ts', line: 2, column: line.indexOf(';') + 1 });
    expect(d.frame).toContain(line);
  });
});
