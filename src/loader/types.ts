/**
 * Shapes shared by the compiler, the registry and the sandbox.
 * @module
 */

/** Severity of a static-scan finding. */
export type FindingSeverity = 'info' | 'warning' | 'high';

/** One observation of the static scan (never a substitute for the sandbox). */
export interface ScanFinding {
  /** Stable rule id, e.g. `dynamic-code`, `webassembly`, `infinite-loop`, `global-internals`, `large-literal`. */
  rule: string;
  severity: FindingSeverity;
  message: string;
  /** Where in the tenant's source, when known. */
  file?: string;
  line?: number;
  column?: number;
}

/** The output of `compileNode`: everything the registry stores for one version. */
export interface CompiledNode {
  name: string;
  version: string;
  /** ESM bundle. Its only imports are the sandbox-provided externals. */
  bundle: string;
  /** Source map (JSON text) of the bundle, with sources embedded. */
  sourceMap: string;
  /** The tenant's source files, path → text (a single upload is `{ 'index.ts': source }`). */
  sources: Record<string, string>;
  /** The entry file inside `sources`. */
  entry: string;
  /** sha256 (hex) of the UTF-8 bytes of `bundle`. */
  sha256: string;
  /** Externals the bundle imports (subset of the allowed ones). */
  imports: string[];
  findings: ScanFinding[];
  sizes: { sourceBytes: number; bundleBytes: number; sourceMapBytes: number };
  esbuildVersion: string;
}

