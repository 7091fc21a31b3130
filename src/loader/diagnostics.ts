/**
 * Turning esbuild messages and source positions into {@link CompileDiagnostic}s with code frames.
 * @module
 */
import type { Message } from 'esbuild';
import type { CompileDiagnostic } from '../errors.js';

/** esbuild namespace of the tenant's virtual files; stripped from every path shown to users. */
export const TENANT_NAMESPACE = 'tenant';

/** `tenant:lib/x.ts` → `lib/x.ts`. */
export function stripNamespace(file: string): string {
  return file.startsWith(`${TENANT_NAMESPACE}:`) ? file.slice(TENANT_NAMESPACE.length + 1) : file;
}

/**
 * A code frame: up to two lines either side of `line`, a gutter with line numbers and carets
 * under the span. `line` is 1-based, `column` 0-based.
 */
export function codeFrame(text: string, line: number, column: number, length = 1): string {
  const lines = text.split(/\r\n|\r|\n/);
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 2);
  const width = String(last).length;
  const out: string[] = [];
  for (let l = first; l <= last; l++) {
    // Long lines (minified code, data) are cut so that a frame stays readable.
    const src = (lines[l - 1] ?? '').slice(0, 200);
    out.push(`${l === line ? '>' : ' '} ${String(l).padStart(width)} | ${src}`);
    if (l === line) {
      const caretStart = Math.min(column, 200);
      const caretLen = Math.max(1, Math.min(length, 200 - caretStart));
      out.push(`  ${' '.repeat(width)} | ${' '.repeat(caretStart)}${'^'.repeat(caretLen)}`);
    }
  }
  return out.join('\n');
}

/** Builds a diagnostic located in a tenant file (`line` 1-based, `column` 0-based). */
export function locatedDiagnostic(
  files: Record<string, string>,
  base: Omit<CompileDiagnostic, 'file' | 'line' | 'column' | 'frame'>,
  file: string | undefined,
  line: number | undefined,
  column: number | undefined,
  length?: number,
): CompileDiagnostic {
  const d: CompileDiagnostic = { ...base };
  if (file !== undefined) d.file = file;
  if (line !== undefined) d.line = line;
  if (column !== undefined) d.column = column + 1;
  if (file !== undefined && line !== undefined && Object.hasOwn(files, file)) {
    d.frame = codeFrame(files[file]!, line, column ?? 0, length);
  }
  return d;
}

/** Maps a 0-based column of the text esbuild compiled back to the tenant's original text. */
export type ColumnMapper = (file: string, line: number, column: number) => number;

/**
 * Converts an esbuild error. Errors our plugin raised carry their diagnostic in `detail`;
 * the rest are syntax errors (when located in a tenant file) or build errors.
 *
 * Only the tenant's own files are ever named: a message located anywhere else (esbuild never
 * reads another file, but if it did) loses its location and its text, which could quote that file.
 */
export function fromEsbuildMessage(files: Record<string, string>, message: Message, toOriginalColumn?: ColumnMapper): CompileDiagnostic {
  const fromPlugin = message.detail as Partial<CompileDiagnostic> | undefined;
  const loc = message.location && isTenantLocation(files, message.location) ? message.location : null;
  if (message.location && !loc) {
    return { kind: 'build', message: 'the compiler reported a problem outside the uploaded files', hint: 'check the upload for references to other files (source-map comments, absolute paths) and remove them' };
  }
  const file = loc ? stripNamespace(loc.file) : undefined;
  const kind: CompileDiagnostic['kind'] =
    fromPlugin?.kind ?? (file !== undefined && Object.hasOwn(files, file) ? 'syntax' : 'build');
  const base: Omit<CompileDiagnostic, 'file' | 'line' | 'column' | 'frame'> = { kind, message: message.text };
  if (fromPlugin?.importPath !== undefined) base.importPath = fromPlugin.importPath;
  if (fromPlugin?.hint !== undefined) base.hint = fromPlugin.hint;
  else if (kind === 'syntax') base.hint = 'fix the syntax error at the marked position';
  if (!loc || file === undefined) return locatedDiagnostic(files, base, undefined, undefined, undefined);
  // esbuild counts columns and lengths in UTF-8 bytes; code frames and editors count characters.
  const map = (c: number): number => (toOriginalColumn ? toOriginalColumn(file, loc.line, c) : c);
  const column = map(byteToCharColumn(loc.lineText, loc.column));
  const length = Math.max(1, map(byteToCharColumn(loc.lineText, loc.column + loc.length)) - column);
  return locatedDiagnostic(files, base, file, loc.line, column, length);
}

/**
 * True when an esbuild location is in one of the tenant's virtual files. esbuild names them
 * `tenant:<path>` (its `namespace` field stays empty); a host file would have no such prefix.
 */
export function isTenantLocation(files: Record<string, string>, location: { file: string }): boolean {
  return location.file.startsWith(`${TENANT_NAMESPACE}:`) && Object.hasOwn(files, stripNamespace(location.file));
}

function byteToCharColumn(lineText: string, bytes: number): number {
  const encoded = new TextEncoder().encode(lineText);
  return new TextDecoder().decode(encoded.subarray(0, bytes)).length;
}
