/**
 * Error classes of the test host, named and shaped like btree's (contract §2, §4).
 *
 * @module
 */
import { NodeStatus } from './types.js';

/**
 * A node was configured wrongly. Ticks rethrow it instead of returning FAILURE, so it rejects the
 * whole tree (contract §2). Recognise it by `name` or `isConfigurationError`: in the real bundle its
 * `constructor.name` is `_ConfigurationError` (contract §2).
 */
export class ConfigurationError extends Error {
  readonly isConfigurationError = true;
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'ConfigurationError';
    this.hint = hint;
  }
}

/**
 * Thrown by composites when `ctx.signal` is aborted. The real btree does not export it (contract §0);
 * the test host does, for tests only.
 */
export class OperationCancelledError extends Error {
  constructor(message = 'Operation was cancelled') {
    super(message);
    this.name = 'OperationCancelledError';
  }
}

/** @internal Throws {@link OperationCancelledError} when the signal is aborted (contract §2). */
export function checkSignal(signal?: AbortSignal, message?: string): void {
  if (signal?.aborted) throw new OperationCancelledError(message);
}

/**
 * @internal What a tick wrapper does with an error from `executeTick`: rethrow configuration and
 * cancellation errors — checked with `instanceof`, so a plugin's own copy of the class is not
 * recognised (contract §2) — and turn everything else into FAILURE.
 */
export function handleNodeError(error: unknown): NodeStatus {
  if (error instanceof ConfigurationError) throw error;
  if (error instanceof OperationCancelledError) throw error;
  return NodeStatus.FAILURE;
}

/** Base of the YAML loader's errors (contract §4). */
export class ValidationError extends Error {
  path: string | undefined;
  suggestion: string | undefined;
  constructor(message: string, path?: string, suggestion?: string) {
    super(message);
    this.name = 'ValidationError';
    this.path = path;
    this.suggestion = suggestion;
  }

  /** `path: message` plus the suggestion on its own line. */
  format(): string {
    let out = this.path ? `${this.path}: ${this.message}` : this.message;
    if (this.suggestion) out += `\nSuggestion: ${this.suggestion}`;
    return out;
  }
}

/** The YAML text did not parse, or is not an object (contract §4 stage 1). */
export class YamlSyntaxError extends ValidationError {
  line: number | undefined;
  column: number | undefined;
  constructor(message: string, line?: number, column?: number, suggestion?: string) {
    super(message, undefined, suggestion);
    this.name = 'YamlSyntaxError';
    this.line = line;
    this.column = column;
  }

  override format(): string {
    let out = this.message;
    if (this.line !== undefined) out = `Line ${this.line}${this.column !== undefined ? `, Column ${this.column}` : ''}: ${out}`;
    if (this.suggestion) out += `\nSuggestion: ${this.suggestion}`;
    return out;
  }
}

/** The parsed document is not a tree definition (contract §4 stage 2). */
export class StructureValidationError extends ValidationError {
  constructor(message: string, path?: string, suggestion?: string) {
    super(message, path, suggestion);
    this.name = 'StructureValidationError';
  }
}

/** Exported by btree but never thrown (contract §4); kept for import compatibility. */
export class ConfigValidationError extends ValidationError {
  nodeType: string;
  constructor(message: string, nodeType: string, path?: string, suggestion?: string) {
    super(message, path, suggestion);
    this.name = 'ConfigValidationError';
    this.nodeType = nodeType;
  }
}

/** Unknown type, duplicate id, wrong decorator child count (contract §4 stage 3). */
export class SemanticValidationError extends ValidationError {
  constructor(message: string, path?: string, suggestion?: string) {
    super(message, path, suggestion);
    this.name = 'SemanticValidationError';
  }
}

/** A list of validation errors. Extends `Error`, not `ValidationError` (contract §4). */
export class ValidationErrors extends Error {
  errors: ValidationError[];
  constructor(errors: ValidationError[]) {
    super(`Validation failed with ${errors.length} error(s)`);
    this.name = 'ValidationErrors';
    this.errors = errors;
  }
}
