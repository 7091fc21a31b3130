import { describe, expect, it } from 'vitest';
import { blockingFindings, scanCode } from '../../src/loader/scan.js';
import type { ScanFinding } from '../../src/loader/types.js';
import { tokenize } from '../../src/loader/tokenizer.js';

const rules = (code: string) => scanCode(code).map((f) => f.rule);

describe('static scan', () => {
  it.each([
    ['eval', "eval('1+1')"],
    ['indirect global eval', "globalThis.eval('x')"],
    ['new Function', "const f = new Function('return 1')"],
    ['Function call', "Function('return this')()"],
    ['constructor.constructor', "({}).constructor.constructor('return process')()"],
    ["['constructor']['constructor']", "x['constructor']['constructor']('code')"],
    ['setTimeout with a string', "setTimeout('doEvil()', 10)"],
  ])('dynamic code generation: %s', (_, code) => {
    const found = scanCode(code).filter((f) => f.rule === 'dynamic-code');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]!.severity).toBe('high');
  });

  it('WebAssembly is reported as high', () => {
    expect(scanCode('WebAssembly.instantiate(bytes)')).toEqual([
      expect.objectContaining({ rule: 'webassembly', severity: 'high', file: 'index.ts', line: 1, column: 1 }),
    ]);
  });

  it.each([
    ['while (true)', 'while (true) { x++; }'],
    ['while (1)', 'while (1) x++;'],
    ['for (;;)', 'for (;;) { step(); }'],
    ['do … while (true)', 'do { step(); } while (true);'],
    ['nested without escape', 'while (true) { for (const a of b) { c(a); } }'],
  ])('obvious infinite loop: %s', (_, code) => {
    expect(rules(code)).toEqual(['infinite-loop']);
  });

  it.each([
    ['break', 'while (true) { if (done()) break; }'],
    ['return', 'for (;;) { if (x) { return 1; } }'],
    ['throw', 'while (true) { throw new Error(); }'],
    ['a real condition', 'while (i < 10) { i++; }'],
    ['do-while with a condition', 'do { i++; } while (i < 3);'],
  ])('loops that can end are not reported: %s', (_, code) => {
    expect(rules(code)).toEqual([]);
  });

  it('global internals: globalThis, global, process, Reflect', () => {
    const found = scanCode('globalThis.x = 1;\nglobal.y;\nprocess.env.SECRET;\nReflect.ownKeys(o);');
    expect(found.map((f) => [f.rule, f.line])).toEqual([
      ['global-internals', 1],
      ['global-internals', 2],
      ['global-internals', 3],
      ['global-internals', 4],
    ]);
    expect(found[2]!.message).toContain('proxyActivities');
  });

  it('property names and declarations that only look like globals are not reported', () => {
    expect(rules('const o = { process: 1, global: 2 };\nthis.process = 3;\nconst data = x.eval;\nlet self2 = 1;')).toEqual([]);
  });

  it('prototype pollution: __proto__, assigning to a prototype, Object.prototype, setPrototypeOf', () => {
    const found = scanCode("o.__proto__.polluted = 1;\nx['__proto__'] = y;\nFoo.prototype.bar = 1;\nObject.prototype.toString;\nObject.setPrototypeOf(a, b);");
    expect(found.map((f) => [f.rule, f.severity, f.line])).toEqual([
      ['prototype-pollution', 'high', 1],
      ['prototype-pollution', 'high', 2],
      ['prototype-pollution', 'warning', 3],
      ['prototype-pollution', 'warning', 4],
      ['prototype-pollution', 'warning', 5],
    ]);
  });

  it('very large literals (configurable)', () => {
    const code = `const blob = "${'a'.repeat(200)}";\nconst t = \`${'b'.repeat(50)}\`;`;
    expect(scanCode(code, { maxLiteralBytes: 100 }).map((f) => [f.rule, f.line])).toEqual([['large-literal', 1]]);
    expect(scanCode(code, { maxLiteralBytes: 10 }).map((f) => f.line)).toEqual([1, 2]);
  });

  it('text in strings, comments, templates and regexes is not code', () => {
    const code = [
      "const a = 'eval(1) while (true) {}';",
      '// new Function("x"); WebAssembly',
      '/* process.env; for (;;) {} */',
      'const t = `globalThis ${name} eval`;',
      'const r = /eval\\(|while \\(true\\)/g;',
    ].join('\n');
    expect(rules(code)).toEqual([]);
  });

  it('code inside template substitutions is code', () => {
    expect(rules('const t = `${eval(x)} done`;')).toEqual(['dynamic-code']);
  });

  it('dynamic import and require are reported for the compiler to refuse', () => {
    expect(rules("const a = require('x'); const b = import(y); obj.require('z'); obj.import(1);")).toEqual(['require', 'dynamic-import']);
  });

  it('findings are bounded and say how many were left out', () => {
    const code = Array.from({ length: 30 }, (_, i) => `eval(${i});`).join('\n');
    const found = scanCode(code, { maxFindings: 5 });
    expect(found).toHaveLength(6);
    expect(found.at(-1)).toMatchObject({ rule: 'truncated', message: '25 more findings were left out' });
  });

  it('a locator maps positions and drops code that is not the tenant’s', () => {
    const found = scanCode('eval(1);\neval(2);', { locate: (offset) => (offset < 9 ? null : { file: 'a.ts', line: 7, column: 3 }) });
    expect(found).toEqual([expect.objectContaining({ file: 'a.ts', line: 7, column: 3 })]);
  });
});

describe('blockingFindings', () => {
  const findings: ScanFinding[] = [
    { rule: 'dynamic-code', severity: 'high', message: '' },
    { rule: 'infinite-loop', severity: 'warning', message: '' },
    { rule: 'compiler-warning', severity: 'info', message: '' },
  ];
  it('blocks nothing by default, by severity threshold, or by rule', () => {
    expect(blockingFindings(findings, undefined)).toEqual([]);
    expect(blockingFindings(findings, {})).toEqual([]);
    expect(blockingFindings(findings, { severity: 'high' }).map((f) => f.rule)).toEqual(['dynamic-code']);
    expect(blockingFindings(findings, { severity: 'warning' }).map((f) => f.rule)).toEqual(['dynamic-code', 'infinite-loop']);
    expect(blockingFindings(findings, { rules: ['compiler-warning'] }).map((f) => f.rule)).toEqual(['compiler-warning']);
  });
});

describe('tokenizer', () => {
  it('tells regexes from divisions, and handles nested templates', () => {
    const toks = tokenize('a = b / c / d; r = /x\\/y[/]/g; t = `a${ `b${c}` }d`; n = 1e-5 + .5 + 0x1F + 10n;');
    expect(toks.filter((t) => t.type === 'regex').map((t) => t.value)).toEqual(['/x\\/y[/]/g']);
    expect(toks.filter((t) => t.type === 'template').map((t) => t.value)).toEqual(['`a${', '`b${', '}`', '}d`']);
    expect(toks.filter((t) => t.type === 'number').map((t) => t.value)).toEqual(['1e-5', '.5', '0x1F', '10n']);
  });

  it('never throws on unterminated input', () => {
    for (const bad of ['"abc', '`abc${', '/* abc', '/abc', "'\\"]) expect(() => tokenize(bad)).not.toThrow();
  });
});

describe('type-only imports used as values', () => {
  const where = new Map([['Helper', { file: 'index.ts', line: 2, column: 15 }], ['NodeStatus', { file: 'index.ts', line: 1, column: 15 }]]);
  it('a value use of a type-only import is reported (it is erased, so undefined at run time)', () => {
    const found = scanCode('const h = new Helper();\nreturn NodeStatus.SUCCESS;', { typeOnlyNames: where });
    expect(found).toEqual([expect.objectContaining({ rule: 'type-only-value', severity: 'warning', line: 1, column: 15 })]);
    expect(found[0]!.message).toContain('`Helper` is imported with `import type` (index.ts:2)');
  });

  it('NodeStatus is a sandbox global; declared names and property names are not reported', () => {
    expect(scanCode('NodeStatus.SUCCESS; class Helper {}; new Helper(); x.Helper; ({ Helper: 1 });', { typeOnlyNames: where })).toEqual([]);
  });
});
