/**
 * `validateNode`: every check an upload meets on the registry, run on the author's machine and
 * reported at once — the name, compiling (syntax, import policy, sizes), the static scan, running
 * the node once in the sandbox to read its metadata, and its props schema.
 *
 * @module
 */
import type { NodeMetadata } from '../binding-core/types.js';
import { PropsValidatorCache } from '../btree/props-validator.js';
import { BtreePluginsError, CompileError, type CompileDiagnostic } from '../errors.js';
import { codeFrame } from '../loader/diagnostics.js';
import { blockingFindings, DEFAULT_BLOCK_ON, type BlockOn } from '../loader/scan.js';
import { DEFAULT_COMPILE_LIMITS, type CompileLimits } from '../loader/virtual-files.js';
import type { CompiledNode } from '../loader/types.js';
import { assertNodeName } from '../registry/ids.js';
import type { SandboxLimits } from '../sandbox/limits.js';
import { NodeHarness } from './node-harness.js';

/** One problem or observation, located when possible. */
export interface ValidationDiagnostic extends Omit<CompileDiagnostic, 'kind'> {
  /** `error` fails validation; `warning` fails it only when strict; `info` never does. */
  severity: 'error' | 'warning' | 'info';
  /** A compile diagnostic's kind, or `name`, `scan`, `inspect`, `props-schema`. */
  kind: CompileDiagnostic['kind'] | 'name' | 'inspect' | 'props-schema';
}

/** What {@link validateNode} found. */
export interface ValidationReport {
  name: string;
  /** No errors (and, when strict, no warnings). */
  ok: boolean;
  diagnostics: ValidationDiagnostic[];
  /** The node's self-description, when it compiled and ran. */
  metadata?: NodeMetadata;
  /** Sizes of the upload and of its bundle, when it compiled. */
  sizes?: CompiledNode['sizes'] & { files: number; propsSchemaChars: number };
  /** The compile limits it was checked against. */
  compileLimits: Required<CompileLimits>;
}

/** Options of {@link validateNode}. */
export interface ValidateNodeOptions {
  name: string;
  files: Record<string, string>;
  entry: string;
  /** The target's compile limits (default: the library's). */
  compileLimits?: CompileLimits;
  /** The target's blocking scan rules (default: none block). */
  blockOn?: BlockOn;
  /** The target's sandbox limits (inspecting runs under them). */
  sandboxLimits?: Partial<SandboxLimits>;
  /** Warnings fail validation too. */
  strict?: boolean;
  /** Names the target reserves besides btree's and the interpreters'. */
  reservedNames?: string[];
}

/**
 * Validates a node. Never throws for what is wrong with the node: every problem is a diagnostic.
 *
 * @example
 * ```ts
 * const report = await validateNode({ name: 'Greet', files: { 'greet.ts': source }, entry: 'greet.ts' });
 * if (!report.ok) for (const d of report.diagnostics) console.error(d.severity, d.message, d.frame ?? '');
 * ```
 */
export async function validateNode(options: ValidateNodeOptions): Promise<ValidationReport> {
  const compileLimits = { ...DEFAULT_COMPILE_LIMITS, ...options.compileLimits };
  const diagnostics: ValidationDiagnostic[] = [];
  const report = (extra: Partial<ValidationReport> = {}): ValidationReport => {
    const failing = diagnostics.filter((d) => d.severity === 'error' || (options.strict && d.severity === 'warning'));
    return { name: options.name, ok: failing.length === 0, diagnostics, compileLimits, ...extra };
  };
  try {
    assertNodeName(options.name, new Set(options.reservedNames ?? []));
  } catch (e) {
    diagnostics.push({ severity: 'error', kind: 'name', message: errorMessage(e), hint: hintOf(e) ?? 'use a PascalCase name such as SendSlackMessage' });
    return report();
  }
  let harness: NodeHarness;
  try {
    harness = await NodeHarness.load({
      name: options.name,
      files: options.files,
      entry: options.entry,
      compile: { limits: compileLimits, blockOn: {} },
      ...(options.sandboxLimits ? { limits: options.sandboxLimits } : {}),
    });
  } catch (e) {
    if (e instanceof CompileError) {
      for (const d of e.diagnostics) diagnostics.push({ ...d, severity: 'error' });
    } else {
      diagnostics.push({ severity: 'error', kind: 'inspect', message: errorMessage(e), hint: hintOf(e) ?? 'the entry must `export default` a class that extends ActionNode/ConditionNode, or defineNode(…)' });
    }
    return report();
  }
  try {
    const compiled = harness.compiled;
    const blocking = new Set(blockingFindings(compiled.findings, options.blockOn ?? DEFAULT_BLOCK_ON));
    for (const f of compiled.findings) {
      const d: ValidationDiagnostic = {
        severity: blocking.has(f) ? 'error' : f.severity === 'info' ? 'info' : 'warning',
        kind: 'scan',
        rule: f.rule,
        message: f.message,
      };
      if (f.file !== undefined) d.file = f.file;
      if (f.line !== undefined) d.line = f.line;
      if (f.column !== undefined) d.column = f.column;
      const text = f.file !== undefined ? options.files[f.file] : undefined;
      if (text !== undefined && f.line !== undefined) d.frame = codeFrame(text, f.line, Math.max(0, (f.column ?? 1) - 1));
      diagnostics.push(d);
    }
    const metadata = harness.metadata;
    const schemaChars = metadata.propsSchema ? JSON.stringify(metadata.propsSchema).length : 0;
    if (!metadata.propsSchema) {
      diagnostics.push({
        severity: 'warning',
        kind: 'props-schema',
        message: 'the node declares no props schema, so the host cannot check a tree\'s props before the tree runs',
        hint: 'declare `props: z.object({ … })` in defineNode (or a static `propsSchema` on the class)',
      });
    } else {
      // The host's own check: it compiles the schema, and refuses one over its size limit.
      const [problem] = new PropsValidatorCache({ max: 1 }).check('validate', metadata.propsSchema, {}).filter((p) => p.path === '(schema)');
      if (problem) diagnostics.push({ severity: 'error', kind: 'props-schema', message: problem.message, hint: 'simplify the props schema: the host compiles it to check every tree' });
    }
    return report({ metadata, sizes: { ...compiled.sizes, files: Object.keys(compiled.sources).length, propsSchemaChars: schemaChars } });
  } finally {
    await harness.dispose();
  }
}

function errorMessage(e: unknown): string {
  if (e instanceof BtreePluginsError) return e.detail ?? e.message;
  return e instanceof Error ? e.message : String(e);
}

function hintOf(e: unknown): string | undefined {
  return e instanceof BtreePluginsError ? e.hint : undefined;
}
