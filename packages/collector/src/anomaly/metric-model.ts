import { newState, observeGaussian, type GaussianSpec, type GaussianState, type ModelOptions, type Verdict } from './model.js';

/**
 * One metric series' bucket (runtime or custom metrics, see metric-value.ts): the mean of
 * its samples, or a running total's rate per second (count 1); the samples' variance
 * (null under two).
 */
export interface MetricObservation {
  count: number;
  mean: number;
  variance: number | null;
}

/**
 * A metric series is modelled as is, by the same Gaussian model as latency and throughput
 * (model.ts: slow baseline, day and week profiles, fast local level, winsorised updates,
 * runs): its values may be zero or negative, and it is flagged both ways. The state's
 * `logVariance` learns the variance of single samples within a bucket, so a bucket of fewer
 * samples is judged noisier. A step that comes at the same time every day (a queue at 8:00
 * on weekdays) is learnt as such once seen on an earlier day (daily-steps.ts; not for
 * transaction groups, see there), and a series with a heavier tail than a Gaussian's is judged
 * by its own (tails.ts). A series that never moved is judged against a floor of 0.1% of its
 * level: a change of a constant is news, but not infinitely surprising.
 */
const METRIC_SPEC: GaussianSpec<MetricObservation> = {
  value: (o) => (o.count > 0 && Number.isFinite(o.mean) ? o.mean : null),
  natural: (y) => y,
  sampling: (o, v) => v / o.count,
  spread: (o) => (o.count >= 2 && o.variance !== null ? o.variance : null),
  scaleFloor: (predicted) => 1e-3 * Math.abs(predicted) + 1e-9,
  twoSided: true,
  dailySteps: true,
  learnTails: true,
};

/** A running total's last sample (OTLP sums), kept to turn the next ones into a rate. */
export interface TotalState {
  timeMs: number;
  value: number;
  /** The point's start time (startTimeUnixNano): a running total keeps it, a delta moves it. */
  start: string;
  /** Decided by the series' first two points: true (running total), false (deltas), null (not yet). */
  cumulative: boolean | null;
}

/** One metric series' model; what `anomaly_metric_models.state` holds. */
export interface MetricSeriesModel {
  version: 1;
  kind: 'metric';
  bucketMs: number;
  /** The last bucket fed in (its start); a bucket at or before it is never fed again. */
  lastBucketMs: number;
  /** The last bucket with samples, to forget series that went away. */
  lastSeenMs: number;
  series: GaussianState;
  total: TotalState | null;
}

export function newMetricModel(bucketMs: number): MetricSeriesModel {
  return { version: 1, kind: 'metric', bucketMs, lastBucketMs: -Infinity, lastSeenMs: 0, series: newState('throughput') as GaussianState, total: null };
}

/** Feeds one bucket (null: no samples in it) to a series' model; its verdict once warm. */
export function observeMetric(
  model: MetricSeriesModel, timeMs: number, obs: MetricObservation | null, options: ModelOptions,
): Omit<Verdict, 'metric'> | null {
  if (timeMs <= model.lastBucketMs) return null;
  model.lastBucketMs = timeMs;
  if (obs === null) return null;
  model.lastSeenMs = timeMs;
  return observeGaussian(model.series, METRIC_SPEC, timeMs, obs, options);
}

export function encodeMetricModel(model: MetricSeriesModel): string {
  return JSON.stringify(model, (_key, value) => (value === -Infinity ? null : value));
}

/** Null when the text is not a model this version understands (it is then started afresh). */
export function decodeMetricModel(text: string, bucketMs: number): MetricSeriesModel | null {
  try {
    const model = JSON.parse(text) as MetricSeriesModel;
    if (model?.version !== 1 || model.kind !== 'metric' || model.bucketMs !== bucketMs || model.series?.kind !== 'gaussian') return null;
    if (model.lastBucketMs === null) model.lastBucketMs = -Infinity;
    return model;
  } catch {
    return null;
  }
}
