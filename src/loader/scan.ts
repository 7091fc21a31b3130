/**
 * The static scan: a heuristic, token-level look for patterns a reviewer wants to see before
 * approving a tenant node (dynamic code generation, WebAssembly, obvious infinite loops, access
 * to global internals, prototype pollution, very large literals).
 *
 * It is honest about what it is: a tokenizer and pattern rules, not a type-aware analysis. It
 * misses obfuscated code (`this['ev' + 'al']`) and can flag harmless code. **Findings never
 * replace the sandbox**; they inform review, and the host may let some of them block publishing
 * ({@link BlockOn}).
 *
 * @module
 */
import type { FindingSeverity, ScanFinding } from './types.js';
import { lineStarts, positionAt, stringTokenValue, tokenize, type Token } from './tokenizer.js';

/** Rule ids of the scan. `dynamic-import` and `require` findings make `compileNode` fail. */
export const SCAN_RULES = {
  dynamicCode: 'dynamic-code',
  webAssembly: 'webassembly',
  infiniteLoop: 'infinite-loop',
  globalInternals: 'global-internals',
  prototypePollution: 'prototype-pollution',
  largeLiteral: 'large-literal',
  dynamicImport: 'dynamic-import',
  require: 'require',
  compilerWarning: 'compiler-warning',
  inputSourceMap: 'input-source-map',
  typeOnlyValue: 'type-only-value',
  truncated: 'truncated',
} as const;

/** Which findings block publishing: any of `rules`, or any at or above `severity`. `{}` blocks nothing. */
export interface BlockOn {
  rules?: string[];
  severity?: 'high' | 'warning';
}

/** The default: block nothing; findings are attached for review. */
export const DEFAULT_BLOCK_ON: BlockOn = {};

/** Where a finding is, or `null` when the offset is not tenant code (e.g. an esbuild helper). */
export type Locator = (offset: number) => { file: string; line: number; column: number } | null;

/** Options of {@link scanCode}. */
export interface ScanOptions {
  /** Length of one string, template or regex literal above which `large-literal` is reported (default 64 KiB). */
  maxLiteralBytes?: number;
  /** Maps an offset of `code` to a tenant file position (1-based line and column). Default: `file` positions in `code` itself. */
  locate?: Locator;
  /** File name used by the default locator (default `index.ts`). */
  file?: string;
  /** Most findings returned; a final `truncated` finding says how many were left out (default 100). */
  maxFindings?: number;
  /**
   * Names the tenant imported with `import type` (name → where). A value use of one of them in
   * `code` is reported as `type-only-value`: the import was erased, so the name is undefined at run time.
   */
  typeOnlyNames?: ReadonlyMap<string, { file: string; line: number; column: number }>;
}

const SEVERITY_RANK: Record<FindingSeverity, number> = { info: 0, warning: 1, high: 2 };

/** The findings that `blockOn` says must stop a publish. */
export function blockingFindings(findings: readonly ScanFinding[], blockOn: BlockOn | undefined): ScanFinding[] {
  if (!blockOn) return [];
  const rules = new Set(blockOn.rules ?? []);
  const min = blockOn.severity === undefined ? Infinity : SEVERITY_RANK[blockOn.severity];
  return findings.filter((f) => rules.has(f.rule) || SEVERITY_RANK[f.severity] >= min);
}

/**
 * Globals the sandbox defines for tenant code. `NodeStatus` is one so that the common
 * `import type { NodeStatus }` + `NodeStatus.SUCCESS` (the seed's own example) keeps working.
 */
export const SANDBOX_GLOBALS: ReadonlySet<string> = new Set(['NodeStatus']);

const GLOBAL_NAMES = new Set(['globalThis', 'global', 'self', 'window', 'process', 'Reflect']);
const DECLARATION_WORDS = new Set(['var', 'let', 'const', 'function', 'class']);
const ESCAPES = new Set(['break', 'return', 'throw']);
const ASSIGNMENT_OPS = new Set(['=', '+=', '-=', '||=', '&&=', '??=']);

function isDot(t: Token | undefined): boolean {
  return t?.type === 'punct' && (t.value === '.' || t.value === '?.');
}
function is(t: Token | undefined, value: string): boolean {
  return t !== undefined && (t.type === 'punct' || t.type === 'ident') && t.value === value;
}
function isStringOf(t: Token | undefined, value: string): boolean {
  return t?.type === 'string' && stringTokenValue(t) === value;
}

/** True when the tokens at `i` read `.constructor` or `['constructor']`. */
function isConstructorAccess(tokens: Token[], i: number): boolean {
  return (isDot(tokens[i]) && is(tokens[i + 1], 'constructor')) ||
    (is(tokens[i], '[') && isStringOf(tokens[i + 1], 'constructor') && is(tokens[i + 2], ']'));
}

/** Index of the token closing the bracket opened at `open` (or the last token). */
function matching(tokens: Token[], open: number): number {
  const o = tokens[open]!.value;
  const c = o === '{' ? '}' : o === '(' ? ')' : ']';
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const v = tokens[i]!;
    if (v.type !== 'punct') continue;
    if (v.value === o) depth++;
    else if (v.value === c && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/** Token range [start, end] of the statement that forms a loop body starting at `i`. */
function bodyRange(tokens: Token[], i: number): [number, number] {
  if (is(tokens[i], '{')) return [i, matching(tokens, i)];
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    const v = tokens[j]!.value;
    if (tokens[j]!.type !== 'punct') continue;
    if (v === '(' || v === '[' || v === '{') depth++;
    else if (v === ')' || v === ']' || v === '}') depth--;
    else if (v === ';' && depth === 0) return [i, j];
  }
  return [i, tokens.length - 1];
}

function hasEscape(tokens: Token[], [from, to]: [number, number]): boolean {
  for (let j = from; j <= to; j++) {
    const t = tokens[j]!;
    if (t.type === 'ident' && ESCAPES.has(t.value) && !isDot(tokens[j - 1])) return true;
  }
  return false;
}

/** `(true)`, `(1)`, `(!0)` starting at the `(` at index `i`: returns the index of `)` or -1. */
function alwaysTrueCondition(tokens: Token[], i: number): number {
  if (!is(tokens[i], '(')) return -1;
  const a = tokens[i + 1];
  if ((is(a, 'true') || a?.value === '1') && is(tokens[i + 2], ')')) return i + 2;
  if (is(a, '!') && tokens[i + 2]?.value === '0' && is(tokens[i + 3], ')')) return i + 3;
  return -1;
}

/** `(;;)` or `(;true;)` starting at `(`: returns the index of `)` or -1. */
function foreverFor(tokens: Token[], i: number): number {
  if (!is(tokens[i], '(') || !is(tokens[i + 1], ';')) return -1;
  let j = i + 2;
  if (is(tokens[j], 'true')) j++;
  if (!is(tokens[j], ';') || !is(tokens[j + 1], ')')) return -1;
  return j + 1;
}

/**
 * Scans JavaScript (or TypeScript) text and returns its findings, in source order.
 *
 * @example
 * ```ts
 * scanCode('while (true) { tick(); }'); // → [{ rule: 'infinite-loop', severity: 'warning', … }]
 * ```
 */
export function scanCode(code: string, options: ScanOptions = {}): ScanFinding[] {
  const maxLiteral = options.maxLiteralBytes ?? 64 * 1024;
  const maxFindings = options.maxFindings ?? 100;
  const tokens = tokenize(code);
  let starts: number[] | undefined;
  const file = options.file ?? 'index.ts';
  const locate: Locator =
    options.locate ??
    ((offset) => {
      starts ??= lineStarts(code);
      const p = positionAt(starts, offset);
      return { file, line: p.line, column: p.column + 1 };
    });

  const findings: ScanFinding[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  const report = (token: Token, rule: string, severity: FindingSeverity, message: string): void => {
    const where = locate(token.start);
    if (!where) return; // not tenant code (a bundler helper)
    const key = `${rule}@${where.file}:${where.line}:${where.column}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (findings.length >= maxFindings) { dropped++; return; }
    findings.push({ rule, severity, message, file: where.file, line: where.line, column: where.column });
  };
  // `while (true)` that ends a `do … while (true)`: already judged with its body.
  const doTails = new Set<number>();
  const typeOnly = options.typeOnlyNames ?? new Map<string, { file: string; line: number; column: number }>();
  const declared = typeOnly.size ? declaredNames(tokens) : new Set<string>();

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (t.type === 'string' || t.type === 'template' || t.type === 'regex') {
      if (t.value.length > maxLiteral) {
        report(t, SCAN_RULES.largeLiteral, 'warning', `a ${t.type} literal of ${t.value.length} characters; large data belongs in storage fetched by an activity, not in the bundle`);
      }
      // `x['constructor']['constructor']` / `x['constructor'].constructor`.
      if (isStringOf(t, 'constructor') && is(prev, '[') && is(next, ']') && isConstructorAccess(tokens, i + 2)) {
        report(t, SCAN_RULES.dynamicCode, 'high', '`constructor.constructor` reaches the Function constructor (code generation)');
      }
      if (t.type === 'string' && stringTokenValue(t) === '__proto__') {
        report(t, SCAN_RULES.prototypePollution, 'high', "the string '__proto__' can rewrite an object's prototype (prototype pollution)");
      }
      continue;
    }
    if (t.type !== 'ident') continue;
    const afterDot = isDot(prev);
    switch (t.value) {
      case 'eval':
        if (!afterDot || GLOBAL_NAMES.has(tokens[i - 2]?.value ?? '')) report(t, SCAN_RULES.dynamicCode, 'high', '`eval` generates code at run time');
        break;
      case 'Function':
        if (!afterDot && (is(next, '(') || is(prev, 'new'))) report(t, SCAN_RULES.dynamicCode, 'high', '`Function(…)` / `new Function(…)` generates code at run time');
        break;
      case 'setTimeout':
      case 'setInterval':
        if (!afterDot && is(next, '(') && (tokens[i + 2]?.type === 'string' || tokens[i + 2]?.type === 'template')) {
          report(t, SCAN_RULES.dynamicCode, 'high', `\`${t.value}\` with a string argument evaluates that string as code`);
        }
        break;
      case 'constructor': {
        // `x.constructor.constructor`, `x.constructor['constructor']`, `x.constructor('code')`.
        if (!afterDot) break;
        if (isConstructorAccess(tokens, i + 1)) {
          report(t, SCAN_RULES.dynamicCode, 'high', '`constructor.constructor` reaches the Function constructor (code generation)');
        } else if (is(next, '(') && (tokens[i + 2]?.type === 'string' || tokens[i + 2]?.type === 'template')) {
          report(t, SCAN_RULES.dynamicCode, 'high', '`.constructor(<string>)` may be the Function constructor (code generation)');
        }
        break;
      }
      case 'WebAssembly':
        if (!afterDot) report(t, SCAN_RULES.webAssembly, 'high', '`WebAssembly` compiles and runs native-speed code that the scan cannot inspect');
        break;
      case '__proto__':
        report(t, SCAN_RULES.prototypePollution, 'high', '`__proto__` can rewrite an object\'s prototype (prototype pollution)');
        break;
      case 'prototype':
        if (afterDot && is(tokens[i - 2], 'Object')) {
          report(t, SCAN_RULES.prototypePollution, 'warning', '`Object.prototype` is shared by every object; changing it affects all code in the sandbox');
        } else if (afterDot && (ASSIGNMENT_OPS.has(next?.value ?? '') || (isDot(next) && tokens[i + 2]?.type === 'ident' && ASSIGNMENT_OPS.has(tokens[i + 3]?.value ?? '')))) {
          report(t, SCAN_RULES.prototypePollution, 'warning', 'assigning to a `prototype` changes every instance (prototype pollution)');
        }
        break;
      case 'setPrototypeOf':
        if (afterDot) report(t, SCAN_RULES.prototypePollution, 'warning', '`setPrototypeOf` rewires an object\'s prototype chain');
        break;
      case 'import':
        if (!afterDot && is(next, '(')) report(t, SCAN_RULES.dynamicImport, 'high', 'dynamic `import()` is not allowed: the bundle must be self-contained');
        break;
      case 'require':
      case '__require':
        if (!afterDot && is(next, '(')) report(t, SCAN_RULES.require, 'high', '`require()` is not allowed: tenant nodes are ES modules');
        break;
      case 'while':
        if (!doTails.has(i)) {
          const close = alwaysTrueCondition(tokens, i + 1);
          if (close >= 0 && !hasEscape(tokens, bodyRange(tokens, close + 1))) {
            report(t, SCAN_RULES.infiniteLoop, 'warning', '`while (true)` with no `break`, `return` or `throw` in its body never ends');
          }
        }
        break;
      case 'for': {
        const close = foreverFor(tokens, i + 1);
        if (close >= 0 && !hasEscape(tokens, bodyRange(tokens, close + 1))) {
          report(t, SCAN_RULES.infiniteLoop, 'warning', '`for (;;)` with no `break`, `return` or `throw` in its body never ends');
        }
        break;
      }
      case 'do': {
        if (afterDot) break;
        const body = bodyRange(tokens, i + 1);
        const tail = body[1] + 1;
        if (is(tokens[tail], 'while')) {
          doTails.add(tail);
          if (alwaysTrueCondition(tokens, tail + 1) >= 0 && !hasEscape(tokens, body)) {
            report(t, SCAN_RULES.infiniteLoop, 'warning', '`do … while (true)` with no `break`, `return` or `throw` in its body never ends');
          }
        }
        break;
      }
      default:
        if (typeOnly.has(t.value) && !SANDBOX_GLOBALS.has(t.value) && !declared.has(t.value) && !afterDot && !(is(next, ':') && (is(prev, '{') || is(prev, ',')))) {
          const from = typeOnly.get(t.value)!;
          report(t, SCAN_RULES.typeOnlyValue, 'warning', `\`${t.value}\` is imported with \`import type\` (${from.file}:${from.line}) but used as a value; type imports are erased, so it is undefined at run time. Import it without \`type\``);
        }
        if (GLOBAL_NAMES.has(t.value) && !afterDot && !DECLARATION_WORDS.has(prev?.value ?? '') &&
          !(is(next, ':') && (is(prev, '{') || is(prev, ',')))) {
          report(t, SCAN_RULES.globalInternals, 'warning', globalMessage(t.value));
        }
    }
  }
  if (dropped > 0) {
    findings.push({ rule: SCAN_RULES.truncated, severity: 'info', message: `${dropped} more findings were left out` });
  }
  return findings;
}

/** Names the code declares or imports itself (so a same-named type import does not matter). */
function declaredNames(tokens: Token[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== 'ident') continue;
    if (DECLARATION_WORDS.has(t.value) && tokens[i + 1]?.type === 'ident') out.add(tokens[i + 1]!.value);
    if (t.value === 'import' && is(tokens[i + 1], '{')) {
      for (let k = i + 2; k < tokens.length && !is(tokens[k], '}'); k++) if (tokens[k]!.type === 'ident') out.add(tokens[k]!.value);
    }
    if (t.value === 'import' && tokens[i + 1]?.type === 'ident' && tokens[i + 1]!.value !== 'type') out.add(tokens[i + 1]!.value);
    if (t.value === 'as' && tokens[i + 1]?.type === 'ident') out.add(tokens[i + 1]!.value);
  }
  return out;
}

function globalMessage(name: string): string {
  if (name === 'process') return '`process` does not exist in the sandbox; read configuration from props and reach the host through activities (`proxyActivities`)';
  if (name === 'Reflect') return '`Reflect` gives low-level access to object internals';
  return `\`${name}\` gives access to the sandbox's global object`;
}
