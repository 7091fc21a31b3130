/**
 * A token-level pre-check of every static `import … from` / `export … from` in the tenant's
 * source files. esbuild erases unused TypeScript imports before resolving them, so without this
 * an unused `import fs from 'fs'` would pass silently; authors deserve to hear about it.
 * Type-only imports (`import type …`) are erased by design and are not checked.
 *
 * @module
 */
import type { CompileDiagnostic } from '../errors.js';
import { locatedDiagnostic } from './diagnostics.js';
import { ALLOWED_EXTERNALS, bannedImportAdvice, isRelativeSpecifier } from './import-policy.js';
import { lineStarts, positionAt, stringTokenValue, tokenize, type Token } from './tokenizer.js';

function isDot(t: Token | undefined): boolean {
  return t?.type === 'punct' && (t.value === '.' || t.value === '?.');
}

/** Finds the module specifier of the import/export statement starting at `tokens[i]`. */
function specifierOf(tokens: Token[], i: number): Token | undefined {
  const kw = tokens[i]!;
  const next = tokens[i + 1];
  if (!next) return undefined;
  if (kw.value === 'import' && next.type === 'string') return next; // import 'x'
  if (next.type === 'ident' && next.value === 'type') {
    const after = tokens[i + 2];
    // `import type X from`, `import type { X } from`, `export type { X } from` are erased.
    if (after && (after.value === '{' || after.value === '*' || (after.type === 'ident' && after.value !== 'from'))) return undefined;
  }
  if (kw.value === 'export' && !(next.value === '{' || next.value === '*')) return undefined;
  // Walk to `from '<spec>'` within the statement; bounded so a stray keyword costs little.
  for (let j = i + 1; j < tokens.length && j < i + 4096; j++) {
    const t = tokens[j]!;
    if (t.type === 'punct' && t.value === ';') return undefined;
    if (t.type === 'ident' && t.value === 'from' && tokens[j + 1]?.type === 'string') return tokens[j + 1];
    if (t.type === 'ident' && (t.value === 'import' || t.value === 'export') && j > i + 1) return undefined;
  }
  return undefined;
}

/** Diagnostics for every bare import of a module the sandbox does not provide. */
export function checkSourceImports(files: Record<string, string>): CompileDiagnostic[] {
  const out: CompileDiagnostic[] = [];
  for (const [file, text] of Object.entries(files)) {
    if (file.endsWith('.json')) continue;
    const tokens = tokenize(text);
    let starts: number[] | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.type !== 'ident' || (t.value !== 'import' && t.value !== 'export')) continue;
      if (isDot(tokens[i - 1]) || tokens[i + 1]?.value === ':' || tokens[i + 1]?.value === '(' || isDot(tokens[i + 1])) continue;
      const specToken = specifierOf(tokens, i);
      if (!specToken) continue;
      const spec = stringTokenValue(specToken);
      if (isRelativeSpecifier(spec) || ALLOWED_EXTERNALS.includes(spec)) continue;
      starts ??= lineStarts(text);
      const pos = positionAt(starts, specToken.start);
      out.push(
        locatedDiagnostic(files, { kind: 'import', importPath: spec, ...bannedImportAdvice(spec) }, file, pos.line, pos.column, specToken.end - specToken.start),
      );
    }
  }
  return out;
}

/**
 * Names imported with `import type { A, B }` / `import { type A }` / `import type A` in any file.
 * esbuild erases them, so a value use of one of these names becomes an undefined global at run
 * time (the seed's own example does this with `NodeStatus`).
 */
export function typeOnlyImportNames(files: Record<string, string>): Map<string, { file: string; line: number; column: number }> {
  const out = new Map<string, { file: string; line: number; column: number }>();
  for (const [file, text] of Object.entries(files)) {
    if (file.endsWith('.json')) continue;
    const tokens = tokenize(text);
    let starts: number[] | undefined;
    const record = (t: Token): void => {
      if (out.has(t.value)) return;
      starts ??= lineStarts(text);
      const p = positionAt(starts, t.start);
      out.set(t.value, { file, line: p.line, column: p.column + 1 });
    };
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.type !== 'ident' || t.value !== 'import' || isDot(tokens[i - 1])) continue;
      const wholeType = tokens[i + 1]?.value === 'type' && tokens[i + 2]?.value !== 'from' && tokens[i + 2]?.value !== ',';
      let j = wholeType ? i + 2 : i + 1;
      if (wholeType && tokens[j]?.type === 'ident') record(tokens[j]!); // import type A from …
      if (tokens[j]?.type === 'ident' && tokens[j + 1]?.value === ',') j += 2; // default, { … }
      if (tokens[j]?.value !== '{') continue;
      const close = Math.min(tokens.length, j + 2048);
      for (let k = j + 1; k < close && tokens[k]!.value !== '}'; k++) {
        const name = tokens[k]!;
        if (name.type !== 'ident') continue;
        const inlineType = tokens[k - 1]?.value === 'type' && tokens[k - 1]?.type === 'ident' && name.value !== 'as';
        const typeOnly = wholeType || inlineType;
        if (!typeOnly || name.value === 'type' || name.value === 'as') continue;
        // `A as B` binds B.
        if (tokens[k + 1]?.value === 'as' && tokens[k + 2]?.type === 'ident') {
          record(tokens[k + 2]!);
          k += 2;
        } else record(name);
      }
    }
  }
  return out;
}
