/**
 * Source-map comments in an upload are disarmed before esbuild sees the files.
 *
 * Why: when esbuild builds with source maps it honours an input `//# sourceMappingURL=` comment.
 * A path or a `file://` URL there is opened on the **host's** file system (whatever the plugin's
 * virtual namespace), and a `data:` source map may list `file://` sources whose content esbuild
 * then reads from the host to fill in `sourcesContent`. A tenant could so probe for host files and
 * read them back through error messages or the stored source map. The compiler must only ever read
 * the tenant's virtual files, so no comment that esbuild would take for a source-map reference may
 * reach it.
 *
 * How: esbuild's lexer takes a comment for one when its text starts with `//#`, `//@`, `/*#` or `/*@`
 * followed by ` sourceMappingURL=` (ASCII, case-sensitive). Every `# sourceMappingURL=` and
 * `@ sourceMappingURL=` in a file, wherever it stands, gets its `M` written as the escape `\u004D`.
 * In a comment that breaks the pragma; in a string, template or regular-expression literal (the only
 * other places the text can stand) the escape denotes the same character, so the program means the
 * same. Only a template's raw text (`String.raw`) sees the difference. Matching the text, not
 * tokens, leaves no room for a lexer that disagrees with esbuild's about where a comment is.
 *
 * The escape is five characters longer than the letter, so positions after it on the same line move
 * by five in esbuild's view; {@link DisarmedFiles.toOriginalColumn} maps them back for diagnostics.
 *
 * @module
 */

/** What esbuild's lexer looks for after the comment opener (`//` or `/*`) and `#` or `@`. */
const PRAGMA = /[#@] sourceMappingURL=/g;
const LETTER_OFFSET = '# source'.length;
const ESCAPE = '\\u004D';
const GROWTH = ESCAPE.length - 1;

/** One disarmed occurrence, in the original text: 1-based line, 0-based column of the `#`/`@`. */
export interface DisarmedPragma {
  file: string;
  line: number;
  column: number;
}

/** The upload as esbuild may see it. */
export interface DisarmedFiles {
  /** The files with every source-map pragma disarmed (the same object as the input when none had one). */
  files: Record<string, string>;
  /** Where pragmas were disarmed, in the original text. */
  pragmas: DisarmedPragma[];
  /** Maps a 0-based column of esbuild's (disarmed) text back to the original text of `file`. */
  toOriginalColumn(file: string, line: number, column: number): number;
}

/**
 * Disarms every source-map pragma in `files`.
 *
 * @example
 * ```ts
 * disarmSourceMapComments({ 'index.ts': 'x;\n//# sourceMappingURL=/etc/hostname' }).files['index.ts'];
 * // 'x;\n//# source\\u004DappingURL=/etc/hostname' (no longer a pragma)
 * ```
 */
export function disarmSourceMapComments(files: Record<string, string>): DisarmedFiles {
  const pragmas: DisarmedPragma[] = [];
  /** file → line → disarmed columns (original), ascending. */
  const shifts = new Map<string, Map<number, number[]>>();
  let out: Record<string, string> | undefined;
  for (const [file, text] of Object.entries(files)) {
    if (!text.includes(' sourceMappingURL=')) continue;
    const found: number[] = [];
    const disarmed = text.replace(PRAGMA, (match, offset: number) => {
      found.push(offset);
      return `${match.slice(0, LETTER_OFFSET)}${ESCAPE}${match.slice(LETTER_OFFSET + 1)}`;
    });
    if (found.length === 0) continue;
    out ??= Object.assign(Object.create(null) as Record<string, string>, files);
    out[file] = disarmed;
    const byLine = new Map<number, number[]>();
    let line = 1;
    let lineStart = 0;
    let scanned = 0;
    for (const offset of found) {
      for (let i = scanned; i < offset; i++) {
        const c = text.charCodeAt(i);
        // esbuild's line breaks: \n, \r\n, \r, U+2028, U+2029.
        if (c === 10 || c === 0x2028 || c === 0x2029 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
          line++;
          lineStart = i + 1;
        }
      }
      scanned = offset;
      const column = offset - lineStart;
      pragmas.push({ file, line, column });
      const cols = byLine.get(line) ?? [];
      cols.push(column);
      byLine.set(line, cols);
    }
    shifts.set(file, byLine);
  }
  return {
    files: out ?? files,
    pragmas,
    toOriginalColumn(file, line, column) {
      const cols = shifts.get(file)?.get(line);
      if (!cols) return column;
      let original = column;
      for (const [i, at] of cols.entries()) {
        // The i-th escape starts, in esbuild's text, at the original column + i earlier growths + the letter offset.
        const escapeStart = at + i * GROWTH + LETTER_OFFSET;
        if (column <= escapeStart) break;
        original -= Math.min(GROWTH, column - escapeStart);
      }
      return original;
    },
  };
}
