/**
 * The read-only source view: highlighted lines with their numbers, and compile diagnostics shown
 * under the line they point at, with `line:column`, message and hint, the column marked in the
 * line. Every token goes in as text (through `h`), so source that holds markup shows as source.
 *
 * @module
 */
import { h, type Child } from './dom.js';
import { highlightLines, type Language, type Token } from './highlight.js';
import type { Diagnostic } from './types.js';

/** Options of {@link codeView}. */
export interface CodeViewOptions {
  /** The accessible name of the view, e.g. the file name. */
  label: string;
  language: Language;
  /** Problems to show under their lines (those without a line are the caller's to list). */
  diagnostics?: readonly Diagnostic[];
}

/** The source as a table of numbered, highlighted lines, with `diagnostics` under their lines. */
export function codeView(source: string, options: CodeViewOptions): HTMLElement {
  const lines = highlightLines(source, options.language);
  // A final newline ends the last line; it does not start an empty one.
  if (lines.length > 1 && source.endsWith('\n')) lines.pop();
  const byLine = new Map<number, Diagnostic[]>();
  for (const d of options.diagnostics ?? []) {
    if (d.line === undefined) continue;
    // A line past the end (a problem at end of file) shows under the last line.
    const line = Math.min(Math.max(d.line, 1), lines.length);
    byLine.set(line, [...(byLine.get(line) ?? []), d]);
  }
  const rows: HTMLElement[] = [];
  lines.forEach((tokens, index) => {
    const number = index + 1;
    const here = byLine.get(number) ?? [];
    const columns = new Set(here.flatMap((d) => (d.line === number && d.column !== undefined ? [d.column] : [])));
    rows.push(
      h(
        'tr',
        { class: here.length ? 'code-line has-diagnostic' : 'code-line', 'data-line': number },
        h('td', { class: 'line-number' }, String(number)),
        h('td', { class: 'line-source' }, h('code', null, renderTokens(tokens, columns))),
      ),
    );
    for (const d of here) rows.push(h('tr', { class: 'code-diagnostic', 'data-line': number }, h('td', { class: 'line-number' }), h('td', null, diagnosticNote(d))));
  });
  return h(
    'div',
    { class: 'code-view', role: 'region', 'aria-label': options.label, tabindex: 0 },
    h('table', { class: 'code-table' }, h('tbody', null, rows)),
  );
}

/** One diagnostic as a note: `4:14 Unexpected ";"`, its kind, and `Hint: …`. */
export function diagnosticNote(d: Diagnostic): HTMLElement {
  const where = d.line === undefined ? (d.file ?? '') : `${d.line}:${d.column ?? 1}`;
  return h(
    'div',
    { class: 'diagnostic', role: 'note' },
    h(
      'p',
      { class: 'diagnostic-message' },
      where ? h('span', { class: 'diagnostic-position' }, where) : null,
      ' ',
      h('span', { class: 'diagnostic-kind' }, d.kind),
      ' ',
      d.message,
      d.importPath ? ` (import ${d.importPath})` : null,
      d.rule ? ` [${d.rule}]` : null,
    ),
    d.hint ? h('p', { class: 'diagnostic-hint' }, 'Hint: ', d.hint) : null,
  );
}

/** The tokens of one line; the characters at `columns` (1-based) are marked. */
function renderTokens(tokens: readonly Token[], columns: ReadonlySet<number>): Child[] {
  const out: Child[] = [];
  let column = 1;
  for (const token of tokens) {
    const from = column;
    const to = column + token.text.length;
    column = to;
    const marks = [...columns].filter((c) => c >= from && c < to).sort((a, b) => a - b);
    if (marks.length === 0) {
      out.push(tokenSpan(token.kind, token.text));
      continue;
    }
    let at = 0;
    for (const mark of marks) {
      const offset = mark - from;
      if (offset > at) out.push(tokenSpan(token.kind, token.text.slice(at, offset)));
      out.push(h('mark', { class: `diagnostic-at tok-${token.kind}` }, token.text.slice(offset, offset + 1)));
      at = offset + 1;
    }
    if (at < token.text.length) out.push(tokenSpan(token.kind, token.text.slice(at)));
  }
  // A column just past the end of the line (a missing token): a marked space.
  if ([...columns].some((c) => c >= column)) out.push(h('mark', { class: 'diagnostic-at' }, ' '));
  return out;
}

function tokenSpan(kind: Token['kind'], text: string): Child {
  return kind === 'plain' ? text : h('span', { class: `tok-${kind}` }, text);
}
