/**
 * The event every custom-node tick and interpreter run produces, and the pure rules that turn a
 * tick outcome, a script outcome or a thrown error into its `status` and `errorCode`. No
 * dependencies: the `onExecution` hook, the OpenTelemetry instruments and the tests share them.
 *
 * @module
 */
import type { ScriptOutcome } from '../binding-core/interpreter-types.js';
import type { TickOutcome } from '../binding-core/types.js';

/** What ran: a tenant's custom node, or a script on one of the interpreters. */
export type ExecutionKind = 'custom-node' | 'javascript' | 'python';

/**
 * How an execution ended.
 * - `success`, `running`: the node returned SUCCESS / RUNNING (a script: it finished).
 * - `failure`: the node returned FAILURE or threw, or the script failed (syntax, exception, a result
 *   that is not JSON data, cancelled): the tenant's own failure. `errorCode` names the script error
 *   kind (`syntax`, `runtime`, `result`, `aborted`) or `cancelled`; a custom node's is `undefined`.
 * - `limit`: a sandbox limit stopped it; `errorCode` is the limit (`cpuTimeMs`, `wallTimeMs`,
 *   `memory`, `writesOutBytes`, … for custom nodes; `timeout`, `memory`, `output` for scripts).
 * - `rate-limited`: a per-tenant rate limit or quota refused to run it (`RateLimitedError`);
 *   `errorCode` is the limit the error names, else `RateLimitedError`.
 * - `error`: the host side failed (bundle not found, storage down, runner disposed): `errorCode` is
 *   the error's `code` (this library's errors) or its `name`.
 */
export type ExecutionStatus = 'success' | 'failure' | 'running' | 'limit' | 'rate-limited' | 'error';

/**
 * One custom-node tick or interpreter run, as `onExecution` receives it.
 *
 * @example
 * ```ts
 * import type { ExecutionEvent } from '@wayfarer-ai/btree-plugins';
 *
 * const event: ExecutionEvent = {
 *   tenantId: 'acme', node: 'SendSlackMessage', version: '1.2.0', kind: 'custom-node',
 *   durationMs: 0.41, cpuMs: 0.12, heapBytes: undefined, status: 'success', errorCode: undefined,
 * };
 * ```
 */
export interface ExecutionEvent {
  tenantId: string;
  /** The custom node's name, or the interpreter node type (`JavaScriptInterpreter`, `PythonInterpreter`). */
  node: string;
  /** The custom node's version; `undefined` for interpreter runs (a script has none). */
  version: string | undefined;
  kind: ExecutionKind;
  /** Wall-clock time as the host saw it (ms): from the call to the runner or engine to its answer. */
  durationMs: number;
  /**
   * CPU time the tenant's isolate spent on the tick (ms), as the sandbox charged it against
   * `cpuTimeMs`. `undefined` for interpreter runs (the engines do not measure it) and for ticks
   * that never reached the sandbox (rate-limited, host errors).
   */
  cpuMs: number | undefined;
  /**
   * V8 heap in use by the tenant's isolate when the tick ended (bytes). Read on a sample of ticks
   * only (`telemetry.heapSampleEvery`, every 16th by default), `undefined` on the others and for
   * interpreter runs: reading it costs a V8 call per tick.
   */
  heapBytes: number | undefined;
  status: ExecutionStatus;
  /** Why it did not succeed (see {@link ExecutionStatus}); `undefined` on success. */
  errorCode: string | undefined;
}

/** The `onExecution` hook: called synchronously after each tick or run. */
export type ExecutionHook = (event: Readonly<ExecutionEvent>) => void;

/** `status` and `errorCode` of an execution. */
export interface ExecutionResult {
  status: ExecutionStatus;
  errorCode: string | undefined;
}

const SUCCESS: ExecutionResult = Object.freeze({ status: 'success', errorCode: undefined });
const RUNNING: ExecutionResult = Object.freeze({ status: 'running', errorCode: undefined });
const FAILURE: ExecutionResult = Object.freeze({ status: 'failure', errorCode: undefined });
const CANCELLED: ExecutionResult = Object.freeze({ status: 'failure', errorCode: 'cancelled' });

/** The script error kinds that are limits (as the Temporal activities treat them). */
const SCRIPT_LIMITS = new Set(['timeout', 'memory', 'output']);

/** Result of a custom-node tick that returned an outcome. `cancelled`: the caller's signal fired. */
export function resultOfTick(outcome: TickOutcome, cancelled: boolean): ExecutionResult {
  if (outcome.status === 'SUCCESS') return SUCCESS;
  if (outcome.status === 'RUNNING') return RUNNING;
  if (typeof outcome.limit === 'string' && outcome.limit !== '') return { status: 'limit', errorCode: outcome.limit };
  return cancelled ? CANCELLED : FAILURE;
}

/** Result of an interpreter run that returned an outcome. */
export function resultOfScript(outcome: ScriptOutcome): ExecutionResult {
  if (outcome.ok) return SUCCESS;
  const kind = outcome.error.kind;
  return { status: SCRIPT_LIMITS.has(kind) ? 'limit' : 'failure', errorCode: kind };
}

/**
 * Result of a run that threw. A `RateLimitedError` is recognised by `name` (errors cross realms:
 * see src/errors.ts); its `limit` field, when it has one, becomes the error code.
 */
export function resultOfError(error: unknown): ExecutionResult {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown; limit?: unknown };
  if (e.name === 'RateLimitedError') return { status: 'rate-limited', errorCode: typeof e.limit === 'string' && e.limit !== '' ? e.limit : 'RateLimitedError' };
  const code = typeof e.code === 'string' && e.code !== '' ? e.code : typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
  return { status: 'error', errorCode: code };
}
