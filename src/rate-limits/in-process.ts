/**
 * `InProcessRateLimiter`: the default {@link RateLimiter}. Its counters live in this process, so
 * they are exact (JavaScript runs one take at a time) but not shared: with N workers a tenant gets
 * N times its rate. Use the Postgres or Redis limiter when workers must share one budget.
 *
 * The hot path is a Map lookup and a few additions on numbers kept in small mutable records; an
 * admitted run allocates nothing (the answer is one frozen object).
 *
 * @module
 */
import { gcraStep, intervalMs, msUntilNextUtcDay, toleranceMs, utcDay } from './gcra.js';
import type { RateDecision, RateLimiter, RateSpec } from './types.js';

/** The one answer of every admitted run. */
export const ADMITTED: RateDecision = Object.freeze({ ok: true });

/** Options of {@link InProcessRateLimiter}. */
export interface InProcessRateLimiterOptions {
  /**
   * Most keys kept (default 100 000). Past it, idle buckets (full again) and past days' counters are
   * dropped; a key that is still limiting is never dropped, so the limits stay exact.
   */
  maxKeys?: number;
}

interface Bucket {
  tat: number;
}

interface DayCount {
  day: number;
  used: number;
}

/**
 * Rate and daily-quota counters in this process.
 *
 * @example
 * ```ts
 * const host = new PluginHost({ btree, storage, rateLimiter: new InProcessRateLimiter() }); // the default
 * ```
 */
export class InProcessRateLimiter implements RateLimiter {
  readonly name = 'in-process';
  readonly #buckets = new Map<string, Bucket>();
  readonly #days = new Map<string, DayCount>();
  readonly #maxKeys: number;

  constructor(options: InProcessRateLimiterOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  take(key: string, rate: RateSpec, now: number): RateDecision {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#sweepBuckets(now);
      bucket = { tat: now };
      this.#buckets.set(key, bucket);
    }
    const next = gcraStep(bucket.tat, now, intervalMs(rate), toleranceMs(rate));
    if (next < 0) return { ok: false, retryAfterMs: -next };
    bucket.tat = next;
    return ADMITTED;
  }

  count(key: string, quota: number, now: number): RateDecision {
    const day = utcDay(now);
    let counter = this.#days.get(key);
    if (counter === undefined) {
      if (this.#days.size >= this.#maxKeys) this.#sweepDays(day);
      counter = { day, used: 0 };
      this.#days.set(key, counter);
    } else if (counter.day !== day) {
      counter.day = day;
      counter.used = 0;
    }
    if (counter.used >= quota) return { ok: false, retryAfterMs: msUntilNextUtcDay(now) };
    counter.used++;
    return ADMITTED;
  }

  async dispose(): Promise<void> {
    this.#buckets.clear();
    this.#days.clear();
  }

  /** Drops buckets that are full again (their `tat` is in the past): forgetting them changes nothing. */
  #sweepBuckets(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.tat <= now) this.#buckets.delete(key);
  }

  #sweepDays(day: number): void {
    for (const [key, counter] of this.#days) if (counter.day !== day) this.#days.delete(key);
  }
}
