/**
 * Retry with exponential backoff and full jitter, for transient backend failures
 * (throttling, 5xx, connection resets). Permanent failures are rethrown at once.
 *
 * @module
 */
import { InvalidInputError } from '../errors.js';
import type { RetryOptions } from './types.js';

/** Resolved retry settings. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Fills in the defaults of {@link RetryOptions} and checks them. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = {
    attempts: options.attempts ?? 5,
    baseDelayMs: options.baseDelayMs ?? 50,
    maxDelayMs: options.maxDelayMs ?? 2_000,
  };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new InvalidInputError('storage options rejected', `retry.attempts must be an integer >= 1, got ${options.attempts}`);
  }
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= 0)) {
    throw new InvalidInputError('storage options rejected', 'retry.baseDelayMs and retry.maxDelayMs must be >= 0');
  }
  return policy;
}

/**
 * Runs `fn` until it succeeds, `isTransient(error)` is false, or the attempts are used up.
 * The last error is rethrown unchanged.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  isTransient: (error: unknown) => boolean,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error)) throw error;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
    }
  }
}
