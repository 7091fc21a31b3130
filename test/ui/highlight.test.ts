/**
 * The source views' highlighter (src/ui/app/highlight.ts), in Node: it only classifies, so every
 * character of the source comes back, in order, whatever the source holds.
 */
import { describe, expect, it } from 'vitest';
import { highlightLines, languageOf, tokenize, type Language, type Token } from '../../src/ui/app/highlight.js';

const kinds = (tokens: Token[]) => tokens.filter((t) => t.kind !== 'plain').map((t) => [t.kind, t.text]);

describe('highlight', () => {
  it('classifies TypeScript: keywords, strings, templates, comments, numbers, types, calls, property keywords', () => {
    const source = "import { z } from 'zod';\n/* block\ncomment */ export default class Greeter extends Base {\n  n = 1.5e-3; t = `a${`b${x}`}c`; // done\n  go() { return obj.default; }\n}";
    expect(kinds(tokenize(source, 'typescript'))).toEqual([
      ['keyword', 'import'],
      ['keyword', 'from'],
      ['string', "'zod'"],
      ['comment', '/* block\ncomment */'],
      ['keyword', 'export'],
      ['keyword', 'default'],
      ['keyword', 'class'],
      ['type', 'Greeter'],
      ['keyword', 'extends'],
      ['type', 'Base'],
      ['number', '1.5e-3'],
      ['string', '`a${`b${x}`}c`'],
      ['comment', '// done'],
      ['function', 'go'],
      ['keyword', 'return'],
      ['property', 'default'],
    ]);
  });

  it('classifies Python (triple-quoted and prefixed strings, decorators, # comments) and JSON keys', () => {
    expect(kinds(tokenize('@cache\ndef f(x):\n    """doc\n    more"""\n    return f"{x}" # end\nNone', 'python'))).toEqual([
      ['decorator', '@cache'],
      ['keyword', 'def'],
      ['function', 'f'],
      ['string', '"""doc\n    more"""'],
      ['keyword', 'return'],
      ['string', 'f"{x}"'],
      ['comment', '# end'],
      ['literal', 'None'],
    ]);
    expect(kinds(tokenize('{"a": -1, "b": [true, null, "s"]}', 'json'))).toEqual([
      ['property', '"a"'],
      ['number', '-1'],
      ['property', '"b"'],
      ['literal', 'true'],
      ['literal', 'null'],
      ['string', '"s"'],
    ]);
  });

  it('loses no character, also on unterminated strings, comments and templates and on markup', () => {
    const sources = [
      'const a = "unterminated\nnext line',
      '/* never closed',
      'const t = `${ {a: "}"} }` + `open',
      '// <img src=x onerror=alert(1)><script>alert(2)</script>',
      "s = '''open\n\n",
      'x = r"\\d+" if y else b\'\\x00\'',
      '\\ \u0000 \u2028 é 👋',
    ];
    for (const language of ['typescript', 'javascript', 'python', 'json'] as Language[]) {
      for (const source of sources) {
        expect(tokenize(source, language).map((t) => t.text).join(''), `${language}: ${source}`).toBe(source);
        const lines = highlightLines(source, language);
        expect(lines.map((line) => line.map((t) => t.text).join('')).join('\n')).toBe(source);
        expect(lines.every((line) => line.every((t) => !t.text.includes('\n')))).toBe(true);
      }
    }
  });

  it('picks the language by file extension', () => {
    expect(['index.ts', 'a.mts', 'b.js', 'c.mjs', 'script.py', 'data.json', 'README'].map(languageOf)).toEqual(['typescript', 'typescript', 'javascript', 'javascript', 'python', 'json', 'typescript']);
  });
});
