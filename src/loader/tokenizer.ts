/**
 * A small JavaScript/TypeScript tokenizer for the static scan and the import pre-check.
 *
 * It is deliberately approximate: it gets strings, template literals (with nested `${}`),
 * comments and numbers right, and tells a regular expression from a division by looking at the
 * previous token, the usual heuristic, which can be fooled by contrived code (a regex right after
 * a block's `}`). Nothing here is a security boundary; the sandbox is.
 *
 * @module
 */

/** Kinds of token. Comments and whitespace are dropped. */
export type TokenType = 'ident' | 'punct' | 'string' | 'template' | 'number' | 'regex' | 'private';

/** One token and where it sits in the text (UTF-16 offsets, `end` exclusive). */
export interface Token {
  type: TokenType;
  value: string;
  start: number;
  end: number;
}

// Longest first, so that `===` wins over `==` and `=`.
const PUNCTUATORS = [
  '>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=',
  '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=',
  '&=', '|=', '^=', '**', '<<', '>>',
];

// After these words an expression starts, so a `/` begins a regular expression.
const EXPRESSION_KEYWORDS = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else',
  'yield', 'await', 'extends',
]);

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95 || c === 92 || c >= 0x80;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff ||
    c === 0x2028 || c === 0x2029 || (c >= 0x2000 && c <= 0x200a) || c === 0x1680 || c === 0x202f || c === 0x205f || c === 0x3000;
}

function regexAllowedAfter(prev: Token | undefined): boolean {
  if (!prev) return true;
  if (prev.type === 'ident') return EXPRESSION_KEYWORDS.has(prev.value);
  if (prev.type === 'punct') return prev.value !== ')' && prev.value !== ']' && prev.value !== '}';
  return false;
}

/**
 * Splits `text` into tokens. Never throws: an unterminated string, template or comment simply
 * runs to the end of the text.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  // One entry per open `{`: true when it opened a template substitution `${`.
  const braces: boolean[] = [];
  let i = 0;

  const readTemplate = (start: number): void => {
    // `i` is just after the opening backtick or the `}` that closes a substitution.
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 92) { i += 2; continue; }
      if (c === 96) { i++; tokens.push({ type: 'template', value: text.slice(start, i), start, end: i }); return; }
      if (c === 36 && text.charCodeAt(i + 1) === 123) {
        i += 2;
        tokens.push({ type: 'template', value: text.slice(start, i), start, end: i });
        braces.push(true);
        return;
      }
      i++;
    }
    tokens.push({ type: 'template', value: text.slice(start, n), start, end: n });
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) { i++; continue; }
    const start = i;
    // Comments.
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    // Strings.
    if (c === 34 || c === 39) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92) { i += 2; continue; }
        i++;
        if (d === c || d === 10) break;
      }
      tokens.push({ type: 'string', value: text.slice(start, i), start, end: i });
      continue;
    }
    if (c === 96) { i++; readTemplate(start); continue; }
    // Identifiers and keywords.
    if (isIdentStart(c) && !isSpace(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i))) i++;
      tokens.push({ type: 'ident', value: text.slice(start, i), start, end: i });
      continue;
    }
    if (c === 35 && i + 1 < n && isIdentStart(text.charCodeAt(i + 1))) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i))) i++;
      tokens.push({ type: 'private', value: text.slice(start, i), start, end: i });
      continue;
    }
    // Numbers (including `.5`, hex, separators, exponents and bigints).
    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isIdentPart(d) || d === 46) { i++; continue; }
        const p = text.charCodeAt(i - 1) | 32;
        if ((d === 43 || d === 45) && p === 101 && !/^0[xX]/.test(text.slice(start, i))) { i++; continue; }
        break;
      }
      tokens.push({ type: 'number', value: text.slice(start, i), start, end: i });
      continue;
    }
    // Regular expressions.
    if (c === 47 && regexAllowedAfter(tokens[tokens.length - 1])) {
      i++;
      let inClass = false;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92) { i += 2; continue; }
        if (d === 10) break;
        i++;
        if (d === 91) inClass = true;
        else if (d === 93) inClass = false;
        else if (d === 47 && !inClass) break;
      }
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ type: 'regex', value: text.slice(start, i), start, end: i });
      continue;
    }
    // Braces track template substitutions.
    if (c === 123) { braces.push(false); i++; tokens.push({ type: 'punct', value: '{', start, end: i }); continue; }
    if (c === 125) {
      i++;
      if (braces.pop() === true) { readTemplate(start); continue; }
      tokens.push({ type: 'punct', value: '}', start, end: i });
      continue;
    }
    let op = '';
    for (const p of PUNCTUATORS) {
      if (text.startsWith(p, i)) { op = p; break; }
    }
    // `a?.5:b` is a conditional, not optional chaining.
    if (op === '?.' && isDigit(text.charCodeAt(i + 2))) op = '?';
    if (!op) op = text[i]!;
    i += op.length;
    tokens.push({ type: 'punct', value: op, start, end: i });
  }
  return tokens;
}

/** The text of a string token without its quotes (escapes are not decoded). */
export function stringTokenValue(token: Token): string {
  return token.value.slice(1, token.value.endsWith(token.value[0]!) && token.value.length > 1 ? -1 : undefined);
}

/** Offsets of line starts, for turning an offset into a line and column. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return starts;
}

/** 1-based line and 0-based column of `offset`, given {@link lineStarts}. */
export function positionAt(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! };
}
