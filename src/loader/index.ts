/**
 * The compiler/loader: public surface. See docs/registry.md ("Compiling").
 * @module
 */
export { checkUpload, compileNode, type CheckedUpload, type CompileInput, type CompileOptions } from './compile.js';
export { scanCode, blockingFindings, SCAN_RULES, DEFAULT_BLOCK_ON, type BlockOn, type ScanOptions } from './scan.js';
export { DEFAULT_COMPILE_LIMITS, type CompileLimits } from './virtual-files.js';
export { ALLOWED_EXTERNALS } from './import-policy.js';
export { sha256Hex } from './hash.js';
export type { CompiledNode, ScanFinding, FindingSeverity } from './types.js';
export type { NodeMetadata } from '../binding-core/types.js';
