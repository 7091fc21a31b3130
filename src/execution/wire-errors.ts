/**
 * Errors across a thread or process boundary: a shard sends the library error it caught as plain
 * data, and the host throws it again as the same class, with the same message, code, context and
 * hint, so that callers see exactly what the in-process pool would have thrown.
 *
 * @module
 */
import {
  BtreePluginsError,
  DisposedError,
  IntegrityError,
  InternalError,
  InvalidInputError,
  LimitExceededError,
  RuntimeCompatibilityError,
  type ErrorContext,
} from '../errors.js';

/** An error as data. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  context?: ErrorContext;
  hint?: string;
  detail?: string;
  limit?: string;
  expected?: string;
  actual?: string;
}

const CLASSES: Record<string, { prototype: object }> = {
  BtreePluginsError,
  DisposedError,
  IntegrityError,
  InternalError,
  InvalidInputError,
  LimitExceededError,
  RuntimeCompatibilityError,
};

const BRAND = Symbol.for('@wayfarer-ai/btree-plugins/error');

/** `e` as data (any thrown value). */
export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const out: WireError = { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  if (e instanceof BtreePluginsError) {
    Object.assign(out, { code: e.code, context: e.context, detail: e.detail });
    if (e.hint !== undefined) out.hint = e.hint;
    if (e instanceof LimitExceededError) out.limit = e.limit;
    if (e instanceof IntegrityError) Object.assign(out, { expected: e.expected, actual: e.actual });
  }
  return out;
}

/** The error `w` describes, as an instance of its class when it is one of this library's. */
export function fromWireError(w: WireError): Error {
  const cls = w.code !== undefined ? CLASSES[w.name] : undefined;
  if (!cls) {
    return new InternalError('sandbox shard failed', `${w.name}: ${w.message}`, { hint: 'this is a bug or a broken installation; report it with the log line' });
  }
  const e = Object.create(cls.prototype) as Record<string | symbol, unknown>;
  Object.defineProperty(e, 'message', { value: w.message, writable: true, configurable: true });
  Object.defineProperty(e, 'stack', { value: w.stack ?? `${w.name}: ${w.message}`, writable: true, configurable: true });
  Object.defineProperty(e, BRAND, { value: true });
  for (const k of ['code', 'context', 'hint', 'detail', 'limit', 'expected', 'actual'] as const) {
    if (w[k] !== undefined || k === 'hint') e[k] = w[k];
  }
  return e as unknown as Error;
}
