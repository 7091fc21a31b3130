/**
 * Latency statistics shared by the benchmarks: mean, median and p95 of durations in ms (nearest
 * rank on the sorted samples).
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
