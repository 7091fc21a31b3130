/**
 * The contract between the interpreter nodes (`JavaScriptInterpreter`, `PythonInterpreter`) and the
 * engines that run their scripts. Shared by both languages; keep it stable.
 *
 * API (stable):
 * - {@link InterpreterEngine}: `language`, `run(request) → ScriptOutcome`, `dispose()`.
 *   `run` never throws for anything the script does: every guest failure comes back as
 *   `{ ok: false, error: { kind, message, line? } }`. It throws only for host-side misuse
 *   (e.g. `DisposedError` after `dispose()`).
 * - {@link ScriptRequest}: the script, the JSON-safe inputs (already copied and size-checked by the
 *   node), the time and memory limits and the result/output caps.
 * - {@link ScriptOutcome}: `{ ok: true, value, output, truncatedOutput? }` or
 *   `{ ok: false, error, output, truncatedOutput? }`.
 * - {@link ScriptErrorKind}: `syntax | runtime | timeout | memory | output | result | aborted`.
 * - {@link InterpreterLogger}: where captured `print` / `console.*` lines go (the host logger).
 *
 * This file imports nothing at run time, so the Temporal workflow entry can use it.
 *
 * @module
 */
import type { JsonValue } from './types.js';

export type { JsonValue };

/** The languages an interpreter node can run. */
export type InterpreterLanguage = 'javascript' | 'python';

/** One run of a script. Everything in it is a copy: the engine may keep nothing of it. */
export interface ScriptRequest {
  /** Source text of the script (never bytecode). */
  script: string;
  /**
   * Variables the script sees, name → JSON-safe value. The node has already checked the names
   * (identifiers, see `isExposableName` in `interpreter-props.ts`), the values (`json-copy.ts`) and the total size.
   * From the node, this is a deep-frozen copy (so an engine can trust it without a second walk,
   * `isFrozenJsonCopy`): an engine must not change it.
   */
  inputs: Record<string, JsonValue>;
  /** Wall-clock deadline of the run, in milliseconds from the call. */
  timeoutMs: number;
  /** Memory the script may allocate, in bytes. */
  memoryLimitBytes: number;
  /** Cap on the result, in characters of its JSON text. Engines apply their own default when absent. */
  maxResultBytes?: number;
  /** Cap on captured output lines. */
  maxOutputLines?: number;
  /** Cap on captured output, in characters. */
  maxOutputBytes?: number;
  /** Maximum nesting depth of the result. */
  maxResultDepth?: number;
  /** Who runs it: engines that keep warm state keep it per tenant and never share it across tenants. */
  tenantId?: string;
  /** Aborts the run (e.g. Temporal activity cancellation). An aborted run fails with kind `aborted`. */
  signal?: AbortSignal;
}

/**
 * Why a script failed:
 * - `syntax`: the script does not parse;
 * - `runtime`: it threw (uncaught exception);
 * - `timeout`: it ran past `timeoutMs`;
 * - `memory`: it ran out of memory or stack (memory limit, stack limit, recursion bomb);
 * - `output`: its captured output broke a limit the engine could not truncate;
 * - `result`: `result` is not JSON-safe, too big or too deep;
 * - `aborted`: the request's `signal` fired.
 */
export type ScriptErrorKind = 'syntax' | 'runtime' | 'timeout' | 'memory' | 'output' | 'result' | 'aborted';

/** A failed run, as a value. */
export interface ScriptError {
  kind: ScriptErrorKind;
  /** One line a tenant can act on, e.g. `TypeError: cannot read property 'x' of null`. */
  message: string;
  /** 1-based line in the tenant's script, when known. */
  line?: number;
}

/** What a run produced. `output` holds the captured `print` / `console.*` lines in order. */
export type ScriptOutcome =
  | { ok: true; value: JsonValue; output: string[]; truncatedOutput?: boolean }
  | { ok: false; error: ScriptError; output: string[]; truncatedOutput?: boolean };

/** Runs scripts of one language. Implemented by the QuickJS and the Pyodide engines. */
export interface InterpreterEngine {
  readonly language: InterpreterLanguage;
  /** Runs one script. Resolves with the outcome; rejects only for host-side misuse (e.g. after dispose). */
  run(request: ScriptRequest): Promise<ScriptOutcome>;
  /** Frees everything the engine holds. Idempotent. */
  dispose(): Promise<void>;
}

/** Fields attached to every log line an interpreter node emits. */
export interface InterpreterLogFields {
  tenantId?: string;
  /** Node type, e.g. `JavaScriptInterpreter`. */
  node: string;
  /** Node id in the tree. */
  nodeId: string;
  [key: string]: unknown;
}

/**
 * The host logger, the subset interpreter nodes use. Compatible with pino/winston-style loggers
 * wrapped as `(message, fields)`.
 */
export interface InterpreterLogger {
  info(message: string, fields?: InterpreterLogFields): void;
  warn(message: string, fields?: InterpreterLogFields): void;
}

/**
 * Limits of the interpreter nodes. A host sets them once per node type; props may only lower them
 * (`timeout`, `memoryLimit` above the maximum are a configuration error, not silently clamped).
 */
export interface InterpreterLimits {
  /** Timeout when the node has no `timeout` prop. */
  defaultTimeoutMs: number;
  /** Largest `timeout` a prop may ask for. */
  maxTimeoutMs: number;
  /** Memory limit when the node has no `memoryLimit` prop. */
  defaultMemoryBytes: number;
  /** Largest `memoryLimit` a prop may ask for. */
  maxMemoryBytes: number;
  /** Smallest `memoryLimit` a prop may ask for (below it the engine cannot even start). */
  minMemoryBytes: number;
  /** Largest script, in characters. */
  maxScriptBytes: number;
  /** Largest `inputs` list. */
  maxInputKeys: number;
  /** Cap on the inputs copied from the blackboard, in characters of JSON text. */
  maxInputBytes: number;
  /** Cap on the result, in characters of JSON text. */
  maxResultBytes: number;
  /** Maximum nesting depth of inputs and result. */
  maxDepth: number;
  /** Cap on captured output lines per run. */
  maxOutputLines: number;
  /** Cap on captured output per run, in characters. */
  maxOutputBytes: number;
  /**
   * Output lines forwarded to the host logger per second per tenant; the rest are counted and
   * dropped. The bucket is the tenant's one: a `PluginHost` shares it with the tenant's custom nodes.
   */
  logRatePerSecond: number;
}
