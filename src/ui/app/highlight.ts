/**
 * A small syntax highlighter for the source views: TypeScript/JavaScript, Python and JSON cut into
 * classed tokens. It only classifies characters — the code view puts every token in as text — and
 * it is deliberately approximate (no regex literals, no JSX): a wrong colour is harmless, and a
 * parser would be most of the bundle. No DOM here, so Node tests can run it.
 *
 * @module
 */

/** What a token is, for its colour. */
export type TokenKind = 'plain' | 'keyword' | 'literal' | 'string' | 'comment' | 'number' | 'type' | 'function' | 'decorator' | 'property';

/** A piece of source and its kind. `text` never contains a newline when it comes from {@link highlightLines}. */
export interface Token {
  kind: TokenKind;
  text: string;
}

/** The languages the views show. */
export type Language = 'typescript' | 'javascript' | 'python' | 'json';

const JS_KEYWORDS = new Set(
  (
    'abstract as async await break case catch class const continue debugger declare default delete do else enum export extends finally for from function get if ' +
    'implements import in instanceof interface keyof let new of override private protected public readonly return satisfies set static super switch throw try type typeof var void while with yield'
  ).split(' '),
);
const JS_LITERALS = new Set(['true', 'false', 'null', 'undefined', 'this', 'NaN', 'Infinity']);
const PY_KEYWORDS = new Set(
  'and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case'.split(' '),
);
const PY_LITERALS = new Set(['True', 'False', 'None', 'self']);

const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER = /[\w$]/;
const DIGIT = /[0-9]/;

/** Cuts `source` into tokens (newlines stay inside plain, string or comment tokens). */
export function tokenize(source: string, language: Language): Token[] {
  const tokens: Token[] = [];
  const push = (kind: TokenKind, text: string): void => {
    const last = tokens[tokens.length - 1];
    if (last && last.kind === kind && kind === 'plain') last.text += text;
    else if (text) tokens.push({ kind, text });
  };
  const python = language === 'python';
  const json = language === 'json';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    // Comments.
    if (!json && !python && c === '/' && next === '/') {
      const end = lineEnd(source, i);
      push('comment', source.slice(i, end));
      i = end;
    } else if (!json && !python && c === '/' && next === '*') {
      const close = source.indexOf('*/', i + 2);
      const end = close < 0 ? source.length : close + 2;
      push('comment', source.slice(i, end));
      i = end;
    } else if (python && c === '#') {
      const end = lineEnd(source, i);
      push('comment', source.slice(i, end));
      i = end;
    } else if (python && c === '@' && IDENTIFIER_START.test(next ?? '')) {
      let end = i + 1;
      while (end < source.length && /[\w.]/.test(source[end]!)) end++;
      push('decorator', source.slice(i, end));
      i = end;
    } else if (c === '"' || c === "'" || (c === '`' && !python && !json)) {
      const end = python ? pythonStringEnd(source, i) : c === '`' ? templateEnd(source, i) : quotedEnd(source, i, c);
      const text = source.slice(i, end);
      // A JSON string followed by a colon is a key.
      push(json && /^\s*:/.test(source.slice(end, end + 20)) ? 'property' : 'string', text);
      i = end;
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(next ?? '')) || (json && c === '-' && DIGIT.test(next ?? ''))) {
      let end = i + 1;
      while (end < source.length && /[\w.]/.test(source[end]!)) end++;
      // Exponent signs: 1e-3.
      while (end < source.length && /[-+]/.test(source[end]!) && /[eE]$/.test(source.slice(i, end)) && !/^0x/i.test(source.slice(i, end))) {
        end++;
        while (end < source.length && /\w/.test(source[end]!)) end++;
      }
      push('number', source.slice(i, end));
      i = end;
    } else if (IDENTIFIER_START.test(c)) {
      let end = i + 1;
      while (end < source.length && IDENTIFIER.test(source[end]!)) end++;
      const word = source.slice(i, end);
      // Python string prefixes: r'…', f"…", b'''…'''.
      if (python && /^(r|u|f|b|rb|br|fr|rf)$/i.test(word) && (source[end] === '"' || source[end] === "'")) {
        const stringEnd = pythonStringEnd(source, end);
        push('string', source.slice(i, stringEnd));
        i = stringEnd;
        continue;
      }
      push(classify(word, source, end, language), word);
      i = end;
    } else {
      push('plain', c);
      i += 1;
    }
  }
  return tokens;
}

function classify(word: string, source: string, end: number, language: Language): TokenKind {
  if (language === 'json') return word === 'true' || word === 'false' || word === 'null' ? 'literal' : 'plain';
  const python = language === 'python';
  if ((python ? PY_LITERALS : JS_LITERALS).has(word)) return 'literal';
  if ((python ? PY_KEYWORDS : JS_KEYWORDS).has(word)) {
    // `obj.type`, `{ default: … }`: a property that happens to be a keyword.
    const before = source.slice(0, end - word.length).trimEnd();
    if (!python && before.endsWith('.')) return 'property';
    return 'keyword';
  }
  if (/^\s*\(/.test(source.slice(end, end + 20))) return 'function';
  if (/^[A-Z]/.test(word)) return 'type';
  return 'plain';
}

function lineEnd(source: string, from: number): number {
  const end = source.indexOf('\n', from);
  return end < 0 ? source.length : end;
}

/** The end of a '…' or "…" string: the closing quote, or the end of the line when it is missing. */
function quotedEnd(source: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') i += 2;
    else if (c === quote) return i + 1;
    else if (c === '\n') return i;
    else i += 1;
  }
  return source.length;
}

/** The end of a template literal, skipping `${ … }` (braces counted, nested templates followed). */
function templateEnd(source: string, start: number): number {
  let i = start + 1;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') i += 2;
    else if (c === '`') return i + 1;
    else if (c === '$' && source[i + 1] === '{') {
      let depth = 1;
      i += 2;
      while (i < source.length && depth > 0) {
        const d = source[i]!;
        if (d === '`') i = templateEnd(source, i);
        else if (d === '"' || d === "'") i = quotedEnd(source, i, d);
        else {
          if (d === '{') depth++;
          else if (d === '}') depth--;
          i++;
        }
      }
    } else i += 1;
  }
  return source.length;
}

/** The end of a Python string starting at its quote: '…', "…", '''…''' or """…""". */
function pythonStringEnd(source: string, start: number): number {
  const quote = source[start]!;
  const triple = source.startsWith(quote.repeat(3), start);
  if (!triple) return quotedEnd(source, start, quote);
  const close = source.indexOf(quote.repeat(3), start + 3);
  return close < 0 ? source.length : close + 3;
}

/** The tokens of each line of `source` (a token that spans lines is cut at each newline). */
export function highlightLines(source: string, language: Language): Token[][] {
  const lines: Token[][] = [[]];
  for (const token of tokenize(source, language)) {
    const parts = token.text.split('\n');
    parts.forEach((part, index) => {
      if (index > 0) lines.push([]);
      if (part) lines[lines.length - 1]!.push({ kind: token.kind, text: part });
    });
  }
  return lines;
}

/** The language of a file, by its extension (TypeScript when unknown). */
export function languageOf(file: string): Language {
  if (/\.py$/i.test(file)) return 'python';
  if (/\.json$/i.test(file)) return 'json';
  if (/\.[cm]?js$/i.test(file)) return 'javascript';
  return 'typescript';
}
