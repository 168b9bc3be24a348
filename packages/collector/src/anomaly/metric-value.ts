import type { MetricObservation, MetricSeriesModel } from './metric-model.js';

/** One stored sample of a watched metric series (a row of `metrics` with a value). */
export interface MetricSample {
  timeMs: number;
  value: number;
  /** An OTLP sum's point start (startTimeUnixNano); null for every other sample. */
  start: string | null;
}

/**
 * What a bucket of one series' samples (oldest first) says, as the model takes it, or null
 * when it says nothing yet.
 *
 * Gauges, and counters sent as deltas (the Sightline agent's and Elastic agents' counters,
 * `_count` and `_sum` of histograms, OTLP delta sums), are the mean of the bucket's samples,
 * as the metrics page charts them. An OTLP cumulative sum (a running total, whose points keep
 * their start time) is its rate per second: its increase from the sample before each one
 * (the last of the previous bucket is kept in `model.total`) over the time between them; a
 * value that fell or a start that moved is a reset, after which the total is all new. A sum
 * series' first point decides nothing: whether it is a running total is learnt from its
 * second, so its first bucket is not fed.
 */
export function bucketValue(samples: readonly MetricSample[], model: MetricSeriesModel): MetricObservation | null {
  const values: number[] = [];
  let increase = 0;
  let elapsedMs = 0;
  for (const s of samples) {
    if (s.start === null) {
      values.push(s.value);
      continue;
    }
    const before = model.total;
    if (before !== null && s.timeMs <= before.timeMs) continue;
    const total = { timeMs: s.timeMs, value: s.value, start: s.start, cumulative: before?.cumulative ?? null };
    model.total = total;
    if (before === null) continue;
    total.cumulative ??= s.start === before.start;
    if (!total.cumulative) {
      values.push(s.value);
      continue;
    }
    const reset = s.start !== before.start || s.value < before.value;
    increase += reset ? s.value : s.value - before.value;
    elapsedMs += s.timeMs - before.timeMs;
  }
  if (elapsedMs > 0) return { count: 1, mean: (increase * 1000) / elapsedMs, variance: null };
  if (values.length === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length < 2 ? null : values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { count: values.length, mean, variance };
}
