/**
 * The host side of one JavaScript run, before and after QuickJS (private helper of the QuickJS
 * worker pool): checking a request and serialising its inputs, and re-checking a failure outcome
 * the worker described.
 * @module
 */
import { InvalidInputError } from '../errors.js';
import { toJsonSafe } from './json-safe.js';
import { isExposableName, JAVASCRIPT_LIMITS } from './props.js';
import type { ScriptError, ScriptErrorKind, ScriptOutcome, ScriptRequest } from './types.js';

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

/** Validates a request from any caller (node, activity, host) and returns the inputs as JSON text. */
export function checkRequest(request: ScriptRequest): string {
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
  let fast: string | undefined;
  try {
    fast = plainJsonText(inputs, 0);
  } catch {
    fast = undefined; // a throwing getter: toJsonSafe reports it
  }
  if (fast !== undefined) return fast;
  // Something unusual (or unsafe): toJsonSafe decides, and names the offending path.
  const safe = toJsonSafe(inputs, { root: 'inputs' });
  if (!safe.ok) bad(safe.message);
  return JSON.stringify(safe.ok ? safe.value : {});
}

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const hasOwn = Object.prototype.hasOwnProperty;
/** Nesting the fast path accepts; deeper values go to `toJsonSafe` (whose default limit is 64). */
const FAST_MAX_DEPTH = 32;

/**
 * JSON text of a value made only of plain data (what a blackboard normally holds), read in one pass;
 * undefined as soon as anything is not plainly JSON-safe (then `toJsonSafe` decides). It accepts a
 * subset of what `toJsonSafe` accepts and writes the same text as `JSON.stringify` of its copy, in
 * about half the time of copying and then serialising.
 */
export function plainJsonText(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= FAST_MAX_DEPTH) return undefined;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (Array.isArray(value)) {
        if (proto !== ARRAY_PROTO) return undefined;
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (!hasOwn.call(value, i)) return undefined;
          const item = plainJsonText(value[i], depth + 1);
          if (item === undefined) return undefined;
          out += i === 0 ? item : `,${item}`;
        }
        return `${out}]`;
      }
      if ((proto !== OBJECT_PROTO && proto !== null) || Object.getOwnPropertySymbols(value).length > 0) return undefined;
      let out = '{';
      let first = true;
      for (const key of Object.keys(value)) {
        const item = plainJsonText((value as Record<string, unknown>)[key], depth + 1);
        if (item === undefined) return undefined;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${item}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return undefined;
  }
}
