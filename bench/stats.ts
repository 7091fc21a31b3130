/**
 * Statistics shared by the benchmarks: mean, median and p95 of durations in ms (nearest rank on the
 * sorted samples), the median of a list, and the wall and process CPU time per call of a loop.
 */

/** Mean, median and p95 of a list of durations. */
export interface LatencyStats {
  mean: number;
  p50: number;
  p95: number;
}

/** {@link LatencyStats} of `samples` (durations in ms). */
export function stats(samples: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, p50: at(0.5), p95: at(0.95) };
}

/** The median (upper middle) of `xs`. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Wall and process CPU µs per call of `fn`, over `n` sequential calls after a warm-up of up to
 * 2,000. CPU time is what to compare on a shared, loaded machine.
 */
export async function timePerCall(n: number, fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < Math.min(2000, n); i++) await fn();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  const wall = Number(process.hrtime.bigint() - t0) / n / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / n };
}
