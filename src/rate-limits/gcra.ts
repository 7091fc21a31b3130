/**
 * The arithmetic every {@link RateLimiter} shares, in one place: GCRA (the generic cell rate
 * algorithm, a token bucket kept as one number, the theoretical arrival time `tat`) and the UTC day.
 * The Postgres statement and the Redis script compute exactly this; the in-process limiter calls it.
 *
 * With `T = 1000 / runsPerSecond` ms and `tolerance = (burst - 1) × T`, a run at `now` is admitted
 * when `max(tat, now) - now <= tolerance`, and then `tat = max(tat, now) + T`. From an idle bucket
 * `burst` runs are admitted at one instant; over any `t` seconds at most `burst + runsPerSecond × t`.
 *
 * @module
 */
import type { RateSpec } from './types.js';

/** Milliseconds of one UTC day. */
export const DAY_MS = 86_400_000;

/** The emission interval `T` of a rate, in ms. */
export function intervalMs(rate: RateSpec): number {
  return 1000 / rate.runsPerSecond;
}

/** How far ahead of `now` the bucket may run, in ms. */
export function toleranceMs(rate: RateSpec): number {
  return (rate.burst - 1) * intervalMs(rate);
}

/**
 * One GCRA step. Returns the new `tat` when admitted, or minus the wait (a negative number) when
 * refused; never allocates.
 */
export function gcraStep(tat: number, now: number, interval: number, tolerance: number): number {
  const start = tat > now ? tat : now;
  const ahead = start - now;
  if (ahead > tolerance) return -(ahead - tolerance);
  return start + interval;
}

/** The UTC day of `now` (days since the epoch). */
export function utcDay(now: number): number {
  return Math.floor(now / DAY_MS);
}

/** Milliseconds from `now` to the next 00:00 UTC. */
export function msUntilNextUtcDay(now: number): number {
  return (utcDay(now) + 1) * DAY_MS - now;
}
