/**
 * Prints compile and validation diagnostics the same way in every command: severity, location,
 * message, code frame, hint.
 *
 * @module
 */
import type { ValidationDiagnostic } from '../authoring/validate-node.js';
import type { CompileDiagnostic } from '../errors.js';
import type { Output } from './output.js';

/** A diagnostic of either kind; a compile diagnostic is an error. */
export type AnyDiagnostic = CompileDiagnostic | ValidationDiagnostic;

export function severityOf(d: AnyDiagnostic): 'error' | 'warning' | 'info' {
  return 'severity' in d ? d.severity : 'error';
}

export function printDiagnostics(out: Output, diagnostics: readonly AnyDiagnostic[], base: string): void {
  const c = out.color;
  for (const d of diagnostics) {
    const severity = severityOf(d);
    const tag = severity === 'error' ? c.red('error') : severity === 'warning' ? c.yellow('warning') : c.dim('info');
    const where = d.file ? `${base}/${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ''}` : ''}: ` : '';
    const rule = d.rule ? c.dim(` [${d.rule}]`) : '';
    out.line(`  ${tag} ${where}${d.message}${rule}`);
    if (d.frame) for (const l of d.frame.split('\n')) out.line(`      ${l}`);
    if (d.hint) out.line(`      ${c.dim('hint:')} ${d.hint}`);
  }
}
