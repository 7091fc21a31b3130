/**
 * Every error this library throws is a {@link BtreePluginsError}. Messages follow one shape,
 * `what failed [key=value, …]: why. HINT: what to do`, so that a log line alone is enough to act on.
 *
 * Errors cross realms (isolates, QuickJS, Temporal payloads), where `instanceof` is unreliable:
 * recognise them with {@link isBtreePluginsError} (a `Symbol.for` brand) or by `name`.
 *
 * @module
 */

const BRAND = Symbol.for('@wayfarer-ai/btree-plugins/error');

/** Context values printed in brackets after the summary. `undefined` entries are left out. */
export type ErrorContext = Record<string, string | number | boolean | undefined>;

/** Options shared by every error of this library. */
export interface BtreePluginsErrorOptions {
  /** Identifiers that locate the failure (tenant, node, version, key, adapter, …). */
  context?: ErrorContext;
  /** One sentence telling the reader how to fix it. */
  hint?: string;
  /** The underlying error, kept for debugging. */
  cause?: unknown;
}

function formatContext(context: ErrorContext | undefined): string {
  if (!context) return '';
  const parts = Object.entries(context)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

function composeMessage(summary: string, context: ErrorContext | undefined, detail: string, hint?: string): string {
  let message = summary + formatContext(context);
  if (detail) message += `: ${detail}`;
  if (hint) message += `${/[.!?]$/.test(message) ? '' : '.'} HINT: ${hint}`;
  return message;
}

/**
 * Base class of every error thrown by this library.
 *
 * @example
 * ```ts
 * try { await storage.put(key, body, { ifNoneMatch: '*' }); }
 * catch (e) { if (isBtreePluginsError(e, 'PreconditionFailedError')) { … } }
 * ```
 */
export class BtreePluginsError extends Error {
  /** Stable, machine-readable error code (e.g. `PRECONDITION_FAILED`). */
  readonly code: string;
  /** Identifiers that locate the failure. */
  readonly context: ErrorContext;
  /** How to fix it, when there is something the caller can do. */
  readonly hint: string | undefined;
  /** The message without context and hint. */
  readonly detail: string;

  constructor(code: string, summary: string, detail: string, options: BtreePluginsErrorOptions = {}) {
    super(composeMessage(summary, options.context, detail, options.hint), { cause: options.cause });
    this.code = code;
    this.context = { ...(options.context ?? {}) };
    this.hint = options.hint;
    this.detail = detail;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * True when `e` is an error of this library (optionally of the given class name), even when it
 * was created by another copy of the library.
 */
export function isBtreePluginsError(e: unknown, name?: string): e is BtreePluginsError {
  if (typeof e !== 'object' || e === null || (e as Record<symbol, unknown>)[BRAND] !== true) return false;
  return name === undefined || (e as Error).name === name;
}

/** Input from a caller or a tenant was malformed (tenant id, node name, version, props, options). */
export class InvalidInputError extends BtreePluginsError {
  constructor(summary: string, detail: string, options?: BtreePluginsErrorOptions) {
    super('INVALID_INPUT', summary, detail, options);
  }
}

/** A storage key does not follow the key grammar (see docs/storage.md). Thrown before any I/O. */
export class InvalidKeyError extends BtreePluginsError {
  constructor(key: string, detail: string, options: BtreePluginsErrorOptions = {}) {
    super('INVALID_KEY', 'invalid storage key', detail, {
      ...options,
      context: { key: printableKey(key), ...options.context },
      hint: options.hint ?? 'keys are `/`-separated segments of printable characters, without empty, `.` or `..` segments',
    });
  }
}

/** A conditional write or delete found the object in another state than the condition required. */
export class PreconditionFailedError extends BtreePluginsError {
  readonly adapter: string;
  readonly key: string;
  constructor(adapter: string, key: string, detail: string, options: BtreePluginsErrorOptions = {}) {
    super('PRECONDITION_FAILED', 'conditional write failed', detail, {
      ...options,
      context: { adapter, key, ...options.context },
    });
    this.adapter = adapter;
    this.key = key;
  }
}

/** A storage backend failed. `retryable` says whether trying again later may succeed. */
export class StorageError extends BtreePluginsError {
  readonly adapter: string;
  readonly status: number | string | undefined;
  readonly retryable: boolean;
  constructor(
    adapter: string,
    operation: string,
    detail: string,
    options: BtreePluginsErrorOptions & { key?: string; status?: number | string; retryable?: boolean } = {},
  ) {
    super('STORAGE_ERROR', `storage ${operation} failed`, detail, {
      ...options,
      context: { adapter, key: options.key, status: options.status, ...options.context },
    });
    this.adapter = adapter;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}

/** An optional peer dependency needed by the requested feature is not installed. */
export class MissingDependencyError extends BtreePluginsError {
  readonly packageName: string;
  constructor(packageName: string, feature: string, options: BtreePluginsErrorOptions = {}) {
    super('MISSING_DEPENDENCY', `${feature} needs the optional package ${packageName}`, 'it could not be imported', {
      ...options,
      hint: options.hint ?? `run \`npm install ${packageName}\` in the host application`,
    });
    this.packageName = packageName;
  }
}

/** The requested tenant, node or version does not exist. */
export class NotFoundError extends BtreePluginsError {
  constructor(summary: string, detail: string, options?: BtreePluginsErrorOptions) {
    super('NOT_FOUND', summary, detail, options);
  }
}

/** An operation is not allowed in the current state (e.g. activating an unapproved draft). */
export class ConflictError extends BtreePluginsError {
  constructor(summary: string, detail: string, options?: BtreePluginsErrorOptions) {
    super('CONFLICT', summary, detail, options);
  }
}

/** Stored bytes do not match the sha256 recorded when they were published. */
export class IntegrityError extends BtreePluginsError {
  readonly expected: string;
  readonly actual: string;
  constructor(summary: string, expected: string, actual: string, options: BtreePluginsErrorOptions = {}) {
    super('INTEGRITY', summary, `sha256 mismatch: expected ${expected}, got ${actual}`, {
      ...options,
      hint: options.hint ?? 'the stored object was modified or corrupted; republish under a new version and investigate the store',
    });
    this.expected = expected;
    this.actual = actual;
  }
}

/** A guest (tenant node or script) broke one of its limits: time, CPU, memory, input/output size, logs. */
export class LimitExceededError extends BtreePluginsError {
  /** Which limit: `wallTime`, `cpuTime`, `memory`, `inputSize`, `outputSize`, `logBytes`, … */
  readonly limit: string;
  constructor(limit: string, summary: string, detail: string, options?: BtreePluginsErrorOptions) {
    super('LIMIT_EXCEEDED', summary, detail, options);
    this.limit = limit;
  }
}

/** A handle (sandbox, interpreter, adapter, host) was used after `dispose()`. */
export class DisposedError extends BtreePluginsError {
  constructor(what: string, options?: BtreePluginsErrorOptions) {
    super('DISPOSED', `${what} is disposed`, 'it cannot be used after dispose()', options);
  }
}

/** Keys may contain anything hostile; print them safely and bounded. */
function printableKey(key: string): string {
  const s = JSON.stringify(String(key));
  return s.length > 120 ? `${s.slice(0, 100)}…(${key.length} chars)` : s;
}

/** One problem found while compiling a tenant's node: where it is, what is wrong, what to do. */
export interface CompileDiagnostic {
  /** `syntax` (TypeScript/JS parse), `import` (banned or unresolvable import), `limit` (size/count),
   * `input` (malformed files or paths), `scan` (a blocking static-scan finding), `build` (other esbuild errors). */
  kind: 'syntax' | 'import' | 'limit' | 'input' | 'scan' | 'build';
  /** File inside the tenant's upload (e.g. `index.ts`), when known. */
  file?: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  message: string;
  /** A few source lines around the location with a caret under it, ready to print. */
  frame?: string;
  /** For `import`: the import specifier as written. */
  importPath?: string;
  /** For `scan`: the rule id of the finding. For `limit`: the limit's name. */
  rule?: string;
  /** What to do instead. */
  hint?: string;
}

/**
 * A tenant's node failed to compile (syntax error, banned import, size limit, blocking scan
 * finding). `diagnostics` holds every problem with its location; the message shows the first.
 */
export class CompileError extends BtreePluginsError {
  readonly diagnostics: CompileDiagnostic[];
  constructor(diagnostics: CompileDiagnostic[], options: BtreePluginsErrorOptions = {}) {
    const first = diagnostics[0];
    const where = first?.file ? `${first.file}${first.line ? `:${first.line}:${first.column ?? 1}` : ''}: ` : '';
    const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
    super('COMPILE_FAILED', 'compile failed', `${where}${first?.message ?? 'unknown error'}${more}`, {
      ...options,
      hint: options.hint ?? first?.hint,
    });
    this.diagnostics = diagnostics;
  }
}

/**
 * A pinned third-party runtime (e.g. Pyodide) is not the version, or no longer has the exact text,
 * that this library was checked against. Raised loudly at load time instead of running a runtime
 * whose sandboxing edits may no longer hold.
 */
export class RuntimeCompatibilityError extends BtreePluginsError {
  /** The runtime, e.g. `pyodide@314.0.7`. */
  readonly runtime: string;
  constructor(runtime: string, detail: string, options: BtreePluginsErrorOptions = {}) {
    super('RUNTIME_INCOMPATIBLE', 'incompatible runtime', detail, {
      ...options,
      context: { runtime, ...options.context },
    });
    this.runtime = runtime;
  }
}

/**
 * A node's configuration (its props) is invalid. Named like btree's own `ConfigurationError`, so
 * code that matches btree's by name matches it too: `defineNode` classes throw it when they are
 * built outside btree (node authors' unit tests).
 */
export class ConfigurationError extends BtreePluginsError {
  constructor(message: string, options: BtreePluginsErrorOptions = {}) {
    super('INVALID_CONFIGURATION', message, '', options);
  }
}

/**
 * Something this library relies on did not hold: a bug in btree-plugins, a broken install or a
 * runtime (Pyodide, QuickJS) that is not the build it was checked against. Never the caller's input.
 */
export class InternalError extends BtreePluginsError {
  constructor(summary: string, detail: string, options: BtreePluginsErrorOptions = {}) {
    super('INTERNAL', summary, detail, { hint: 'this is a bug or a broken install of @wayfarer-ai/btree-plugins; report it with this message', ...options });
  }
}

/** Which execution limit refused a run (docs/operations.md, "Rate limits and quotas"). */
export type RateLimitKind = 'runsPerSecond' | 'concurrent' | 'dailyQuota';

/**
 * A run of a tenant's node or script was refused by one of the host's execution limits: its rate
 * (`runsPerSecond`/`burst`), its concurrency (`concurrent`, after the bounded queue) or its daily
 * quota. Nothing ran. `retryAfterMs` says when trying again can succeed (for `dailyQuota`, the next
 * UTC day); under Temporal the activity is retried after that delay.
 *
 * @example
 * ```ts
 * if (isBtreePluginsError(e, 'RateLimitedError')) setTimeout(retry, (e as RateLimitedError).retryAfterMs);
 * ```
 */
export class RateLimitedError extends BtreePluginsError {
  /** Milliseconds after which the same run can be admitted (at least 1). */
  readonly retryAfterMs: number;
  /** The limit that refused the run. */
  readonly limit: RateLimitKind;
  readonly tenantId: string;
  /** The node name, or the interpreter's type (`PythonInterpreter`, `JavaScriptInterpreter`). */
  readonly node: string;
  constructor(limit: RateLimitKind, tenantId: string, node: string, retryAfterMs: number, detail: string, options: BtreePluginsErrorOptions = {}) {
    const after = Math.max(1, Math.ceil(retryAfterMs));
    super('RATE_LIMITED', 'run refused by a rate limit', `${detail}; retry after ${after} ms`, {
      ...options,
      context: { tenant: tenantId, node, limit, ...options.context },
      hint: options.hint ?? (limit === 'dailyQuota' ? 'the quota resets at 00:00 UTC; raise `dailyQuota` in the host\'s `rateLimits` for this tenant if it needs more' : 'retry later, or raise the limit in the host\'s `rateLimits` for this tenant'),
    });
    this.retryAfterMs = after;
    this.limit = limit;
    this.tenantId = tenantId;
    this.node = node;
  }
}
