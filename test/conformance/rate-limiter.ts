/**
 * The rate limiter conformance suite: the contract every `RateLimiter` keeps
 * (src/rate-limits/types.ts), against a real backend. A limiter's test file calls
 * {@link describeRateLimiterConformance} with a target that makes limiters over a fresh key space.
 *
 * Times are passed in (the contract takes `now`), so the checks are exact: N concurrent callers at
 * one instant are admitted exactly `burst` times, whatever the backend's interleaving.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { RateDecision, RateLimiter } from '../../src/rate-limits/types.js';

/** How the suite gets limiters of one backend. */
export interface RateLimiterTarget {
  /** e.g. 'postgres on a real server'. */
  name: string;
  /** A limiter over `space`: calls with the same space share counters (what two workers would share). */
  create(space: string): Promise<RateLimiter>;
  /** Releases what `create` made. */
  cleanup?(): Promise<void>;
  /**
   * For shared backends: the arguments of test/rate-limits/fixtures/limiter-child.ts that make a
   * limiter over `space` in another process (`[backend, space]`).
   */
  childArgs?(space: string): string[];
}

const admittedCount = (decisions: RateDecision[]) => decisions.filter((d) => d.ok).length;
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
let spaces = 0;
const freshSpace = (label: string) => `rl_${label}_${process.pid}_${++spaces}`;

export function describeRateLimiterConformance(target: RateLimiterTarget): void {
  describe(`rate limiter conformance: ${target.name}`, () => {
    const made: RateLimiter[] = [];
    const limiter = async (label: string) => {
      const l = await target.create(freshSpace(label));
      made.push(l);
      return l;
    };
    afterAll(async () => {
      await Promise.all(made.map((l) => l.dispose?.()));
      await target.cleanup?.();
    });

    it('burst at one instant: 50 concurrent takes on an idle bucket admit exactly burst, the rest wait one interval', async () => {
      const l = await limiter('burst');
      const rate = { runsPerSecond: 10, burst: 7 };
      const decisions = await Promise.all(Array.from({ length: 50 }, () => l.take('acme', rate, T0)));
      expect(admittedCount(decisions)).toBe(7);
      for (const d of decisions.filter((x) => !x.ok)) expect((d as { retryAfterMs: number }).retryAfterMs).toBeCloseTo(100, 0);
    });

    it('steady rate: never more than burst + rate × t over a stretch of time, and one run per interval once drained', async () => {
      const l = await limiter('steady');
      const rate = { runsPerSecond: 20, burst: 4 };
      let admitted = 0;
      // 2 s in 10 ms steps, 5 concurrent callers at each step.
      for (let t = 0; t <= 2000; t += 10) {
        const decisions = await Promise.all(Array.from({ length: 5 }, () => l.take('acme', rate, T0 + t)));
        admitted += admittedCount(decisions);
        expect(admitted).toBeLessThanOrEqual(4 + Math.floor((20 * t) / 1000));
      }
      expect(admitted).toBe(4 + 40);
    });

    it('refused take: retryAfterMs is exactly when the next one is admitted', async () => {
      const l = await limiter('retry');
      const rate = { runsPerSecond: 2, burst: 1 };
      expect((await l.take('acme', rate, T0)).ok).toBe(true);
      const refused = await l.take('acme', rate, T0 + 100);
      expect(refused).toEqual({ ok: false, retryAfterMs: expect.closeTo(400, 0) });
      expect((await l.take('acme', rate, T0 + 100 + (refused as { retryAfterMs: number }).retryAfterMs - 1)).ok).toBe(false);
      expect((await l.take('acme', rate, T0 + 500)).ok).toBe(true);
    });

    it('fractional rates: 0.5 runs per second admits one run every 2 s', async () => {
      const l = await limiter('fraction');
      const rate = { runsPerSecond: 0.5, burst: 1 };
      expect((await l.take('acme', rate, T0)).ok).toBe(true);
      expect((await l.take('acme', rate, T0 + 1999)).ok).toBe(false);
      expect((await l.take('acme', rate, T0 + 2000)).ok).toBe(true);
    });

    it('keys are independent: one tenant draining its bucket and quota leaves another untouched', async () => {
      const l = await limiter('keys');
      const rate = { runsPerSecond: 1, burst: 2 };
      await Promise.all(Array.from({ length: 5 }, () => l.take('acme', rate, T0)));
      await Promise.all(Array.from({ length: 5 }, () => l.count('acme', 2, T0)));
      expect(admittedCount(await Promise.all([l.take('globex', rate, T0), l.take('globex', rate, T0)]))).toBe(2);
      expect(admittedCount(await Promise.all([l.count('globex', 2, T0), l.count('globex', 2, T0)]))).toBe(2);
      expect(admittedCount(await Promise.all([l.take('acme/node/SendSlackMessage', rate, T0)]))).toBe(1);
    });

    it('daily quota under concurrency: exactly quota runs per UTC day, refusals wait until 00:00 UTC, the next day starts afresh', async () => {
      const l = await limiter('quota');
      const lastMinute = Date.UTC(2026, 5, 1, 23, 59, 0);
      const first = await Promise.all(Array.from({ length: 30 }, () => l.count('acme', 7, lastMinute)));
      expect(admittedCount(first)).toBe(7);
      for (const d of first.filter((x) => !x.ok)) expect(d).toEqual({ ok: false, retryAfterMs: 60_000 });
      expect((await l.count('acme', 7, lastMinute + 59_999)).ok).toBe(false);
      const nextDay = await Promise.all(Array.from({ length: 30 }, () => l.count('acme', 7, lastMinute + 60_000)));
      expect(admittedCount(nextDay)).toBe(7);
    });

    it('a quota of 0 refuses every run', async () => {
      const l = await limiter('zero');
      expect(await l.count('acme', 0, T0)).toEqual({ ok: false, retryAfterMs: Date.UTC(2026, 5, 2) - T0 });
    });

    if (target.childArgs) {
      it('two worker processes sharing the backend: 2 × 40 concurrent takes at one instant admit exactly burst, and 2 × 40 counts exactly the quota', async () => {
        const space = freshSpace('procs');
        const child = join(import.meta.dirname, '..', 'rate-limits', 'fixtures', 'limiter-child.ts');
        const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', child, ...target.childArgs!(space), String(T0), '40'], { env: process.env });
        const outputs = await Promise.all([run(), run()]);
        const results = outputs.map((o) => JSON.parse(o.stdout) as { taken: number; counted: number });
        expect(results[0]!.taken + results[1]!.taken).toBe(9);
        expect(results[0]!.counted + results[1]!.counted).toBe(13);
      });
    }
  });
}
