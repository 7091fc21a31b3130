/**
 * The host side of one JavaScript run, before and after QuickJS (private helper of the QuickJS
 * worker pool): checking a request and serialising its inputs, and re-checking a failure outcome
 * the worker described.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { isFrozenJsonCopy, toJsonSafe } from '../binding-core/json-copy.js';
import { isExposableName, JAVASCRIPT_LIMITS } from '../binding-core/interpreter-props.js';
import type { JsonValue, ScriptError, ScriptErrorKind, ScriptOutcome, ScriptRequest } from '../binding-core/interpreter-types.js';

/** Re-checks a result on the host: the value must be JSON-safe and within the caps. */
export function finalizeOutcome(outcome: ScriptOutcome, request: ScriptRequest): ScriptOutcome {
  if (!outcome.ok) return outcome;
  const safe = toJsonSafe(outcome.value, {
    root: 'result',
    maxDepth: request.maxResultDepth ?? JAVASCRIPT_LIMITS.maxDepth,
    maxBytes: request.maxResultBytes ?? JAVASCRIPT_LIMITS.maxResultBytes,
  });
  if (safe.ok) return { ...outcome, value: safe.value };
  return failure('result', safe.message, outcome.output, outcome.truncatedOutput === true);
}

export function failure(kind: ScriptErrorKind, message: string, output: string[], truncated = false, line?: number): ScriptOutcome {
  const error: ScriptError = line !== undefined ? { kind, message, line } : { kind, message };
  return truncated ? { ok: false, error, output, truncatedOutput: true } : { ok: false, error, output };
}

/**
 * A run's inputs as the worker sends them into QuickJS: each input's JSON text, one after the other
 * in `texts`, and `index`, a JSON array `[name, start, end, name, start, end, …]` of where each one
 * lies. QuickJS parses an input only when the script first reads it.
 */
export interface SerializedInputs {
  readonly index: string;
  readonly texts: string;
}

/** Validates a request from any caller (node, activity, host) and returns its inputs, serialised key by key. */
export function checkRequest(request: ScriptRequest): SerializedInputs {
  const bad = (detail: string): never => {
    throw new InvalidInputError('JavaScript run rejected', detail, { hint: 'build requests with the interpreter node or check them with checkInterpreterProps' });
  };
  if (typeof request.script !== 'string' || request.script.trim() === '') bad('script must be a non-empty string');
  if (!(Number.isFinite(request.timeoutMs) && request.timeoutMs > 0)) bad(`timeoutMs must be a positive number, got ${String(request.timeoutMs)}`);
  if (!(Number.isFinite(request.memoryLimitBytes) && request.memoryLimitBytes > 0)) bad(`memoryLimitBytes must be a positive number, got ${String(request.memoryLimitBytes)}`);
  for (const cap of ['maxResultBytes', 'maxOutputLines', 'maxOutputBytes', 'maxResultDepth'] as const) {
    const v = request[cap];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) bad(`${cap} must be a positive integer, got ${String(v)}`);
  }
  const inputs = request.inputs ?? {};
  for (const name of Object.keys(inputs)) if (!isExposableName(name)) bad(`input name ${JSON.stringify(name)} cannot be a script variable`);
  // The one JSON walk (binding-core/json-copy.ts) decides, and names the offending path; a frozen copy
  // it made (the interpreter node's) was checked when it was made and cannot have changed since.
  let copy: Record<string, JsonValue>;
  if (isFrozenJsonCopy(inputs)) copy = inputs;
  else {
    const safe = toJsonSafe(inputs, { root: 'inputs' });
    if (!safe.ok) return bad(safe.message);
    // Serialised from the checked copy, never from the caller's object (a Proxy could answer differently).
    copy = safe.value as Record<string, JsonValue>;
  }
  const index: Array<string | number> = [];
  let texts = '';
  for (const name of Object.keys(copy)) {
    const text = JSON.stringify(copy[name]);
    index.push(name, texts.length, texts.length + text.length);
    texts += text;
  }
  return { index: JSON.stringify(index), texts };
}
