/**
 * How a refused run reaches Temporal (src/temporal/activities.ts `toFailure`): a retryable
 * ApplicationFailure whose next retry is the limiter's wait, with the limit's details; the type is
 * not among the non-retryable ones the workflow entry's retry policy lists.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../src/errors.js';
import { NON_RETRYABLE_ERROR_TYPES, toFailure } from '../../src/temporal/activities.js';

describe('a rate-limited activity', () => {
  it('fails retryable with nextRetryDelay = retryAfterMs and the limit in its details, never as a non-retryable type', () => {
    const failure = toFailure(new RateLimitedError('dailyQuota', 'acme', 'SendSlackMessage', 3_600_000, 'the daily quota of 10 runs (UTC day) is used up'));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'RateLimitedError',
      nonRetryable: false,
      nextRetryDelay: 3_600_000,
      details: [{ retryAfterMs: 3_600_000, limit: 'dailyQuota', tenantId: 'acme', node: 'SendSlackMessage' }],
    });
    expect((failure as Error).message).toContain('the quota resets at 00:00 UTC');
    expect(NON_RETRYABLE_ERROR_TYPES).not.toContain('RateLimitedError');
  });

  it('retryAfterMs is at least 1 ms, whole: Temporal never gets a zero or fractional delay', () => {
    expect(new RateLimitedError('runsPerSecond', 'acme', 'X', 0.2, 'over').retryAfterMs).toBe(1);
    expect(new RateLimitedError('runsPerSecond', 'acme', 'X', 99.01, 'over').retryAfterMs).toBe(100);
  });
});
