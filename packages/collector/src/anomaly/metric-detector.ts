import { labelsKey, type AnomalyRecord, type AnomalyStore, type MetricSampleRow, type MetricSeriesKey } from '../store/anomaly-store.js';
import { decodeMetricModel, encodeMetricModel, newMetricModel, observeMetric, type MetricSeriesModel } from './metric-model.js';
import { metricMatcher, metricNameCondition } from './metric-patterns.js';
import { bucketValue, type MetricSample } from './metric-value.js';
import { probabilityOf, scoreOf } from './probability.js';
import { FORGET_AFTER_MS, HISTORY_MS, significant } from './series-policy.js';

export interface MetricDetectorOptions {
  bucketMs: number;
  warmupBuckets: number;
  threshold: number;
  /** Metric names and `prefix*` patterns (metric-patterns.ts). */
  patterns: readonly string[];
  /** Most series watched per bucket length (default 1000); new series beyond it are left out. */
  maxSeries?: number;
  /** Told, after each bucket, how many series are watched and how many were left out of it. */
  onSeries?: (watched: number, leftOut: number) => void;
  /**
   * How far back a series without a model is fitted from the stored samples before its
   * first bucket (default 7 days; 0: learn from scratch, waiting out the warm-up).
   */
  historyMs?: number;
}

export const MAX_METRIC_SERIES = 1000;
/** A bucket with more watched samples than this is skipped (its series counted as left out). */
export const MAX_METRIC_SAMPLES = 200_000;
/** A label set longer than this (as JSON) is not watched (it would not fit a PostgreSQL index row). */
const MAX_LABELS_LENGTH = 1000;
/**
 * History reads (one per service and metric name, every label set at once) per bucket at
 * most, each of the most recent MAX_HISTORY_SAMPLES samples; the series waiting for a read
 * are taken on in a later bucket, which loses nothing, as the read then covers this bucket.
 */
const HISTORY_READS_PER_BUCKET = 5;
const MAX_HISTORY_SAMPLES = 50_000;
/** Buckets a history fit feeds at most (a week of minutes; with short buckets, less than a week). */
const MAX_HISTORY_BUCKETS = 10_080;
const keyId = (k: MetricSeriesKey): string => `${k.service}\u0000${k.environment}\u0000${k.name}\u0000${k.labels}`;

/**
 * Anomaly detection on metric series named by `anomalyMetrics`: one model per service,
 * environment, metric name and label set, fed each finished bucket's value (metric-value.ts)
 * and saved back to the store; the detector calls processBucket for each bucket it claims.
 * Series are taken on as they first appear, up to `maxSeries`; the others are left out and
 * counted until a watched series is forgotten (7 days without samples). A series taken on is
 * first fitted from up to 7 days of its stored samples (nothing in them is reported), so a
 * detector started on an existing database judges at once instead of warming up.
 */
export class MetricSeriesDetector {
  readonly #store: AnomalyStore;
  readonly #options: MetricDetectorOptions;
  readonly #matches: (name: string) => boolean;
  readonly #condition: { sql: string; params: string[] } | null;

  constructor(store: AnomalyStore, options: MetricDetectorOptions) {
    this.#store = store;
    this.#options = options;
    this.#matches = metricMatcher(options.patterns);
    this.#condition = metricNameCondition(options.patterns);
  }

  /** Samples by series. */
  #group(rows: readonly MetricSampleRow[]): Map<string, { key: MetricSeriesKey; samples: MetricSample[] }> {
    const series = new Map<string, { key: MetricSeriesKey; samples: MetricSample[] }>();
    const labelSets = new Map<string, string>();
    for (const row of rows) {
      let labels = labelSets.get(row.labels);
      if (labels === undefined) labelSets.set(row.labels, (labels = canonical(row.labels)));
      const key: MetricSeriesKey = { service: row.service, environment: row.environment, name: row.name, labels };
      const id = keyId(key);
      let entry = series.get(id);
      if (entry === undefined) series.set(id, (entry = { key, samples: [] }));
      entry.samples.push({ timeMs: row.timeMs, value: row.value, start: row.start });
    }
    return series;
  }

  #bySeries(rows: readonly MetricSampleRow[]): Map<string, MetricSample[]> {
    return new Map([...this.#group(rows)].map(([id, { samples }]) => [id, samples]));
  }

  async processBucket(bucketStartMs: number): Promise<AnomalyRecord[]> {
    const { bucketMs, warmupBuckets, threshold } = this.#options;
    const maxSeries = this.#options.maxSeries ?? MAX_METRIC_SERIES;
    const [rows, stored] = await Promise.all([
      this.#store.metricSamples(bucketStartMs, bucketStartMs + bucketMs, this.#condition, MAX_METRIC_SAMPLES + 1),
      this.#store.loadMetricModels(bucketMs),
    ]);
    const models = new Map<string, { key: MetricSeriesKey; model: MetricSeriesModel }>();
    for (const { key, state } of stored) {
      const model = decodeMetricModel(state, bucketMs);
      if (model !== null) models.set(keyId(key), { key, model });
    }
    const tooMany = rows.length > MAX_METRIC_SAMPLES;
    const samples = this.#group(tooMany ? [] : rows.filter((row) => this.#matches(row.name)));
    // New series are taken in a stable order while there is room.
    let leftOut = tooMany ? new Set(rows.map((r) => `${r.service}\u0000${r.name}\u0000${r.labels}`)).size : 0;
    const historyMs = this.#options.historyMs ?? HISTORY_MS;
    const histories = new Map<string, Map<string, MetricSample[]>>();
    for (const id of [...samples.keys()].filter((id) => !models.has(id)).sort()) {
      const { key } = samples.get(id)!;
      if (models.size >= maxSeries || key.labels.length > MAX_LABELS_LENGTH) {
        leftOut += 1;
        continue;
      }
      const model = newMetricModel(bucketMs);
      if (historyMs > 0) {
        const readId = `${key.service}\u0000${key.name}`;
        let history = histories.get(readId);
        if (history === undefined) {
          if (histories.size >= HISTORY_READS_PER_BUCKET) continue;
          const fromMs = Math.floor((bucketStartMs - Math.min(historyMs, MAX_HISTORY_BUCKETS * bucketMs)) / bucketMs) * bucketMs;
          history = this.#bySeries(await this.#store.metricHistory(key.service, key.name, fromMs, bucketStartMs, MAX_HISTORY_SAMPLES));
          histories.set(readId, history);
        }
        fit(model, history.get(id) ?? [], bucketStartMs, { bucketMs, warmupBuckets });
      }
      models.set(id, { key, model });
    }
    const records: AnomalyRecord[] = [];
    const saved: Array<{ key: MetricSeriesKey; state: string; lastBucketMs: number }> = [];
    const forgotten: MetricSeriesKey[] = [];
    for (const [id, { key, model }] of models) {
      const series = samples.get(id);
      if (series === undefined) {
        if (model.lastSeenMs < bucketStartMs - FORGET_AFTER_MS) forgotten.push(key);
        continue; // nothing new to save: the model is as it was
      }
      const observation = bucketValue(series.samples, model);
      const verdict = observeMetric(model, bucketStartMs, observation, { bucketMs, warmupBuckets });
      model.lastSeenMs = bucketStartMs; // a sum's first point is not fed, but the series is seen
      saved.push({ key, state: encodeMetricModel(model), lastBucketMs: bucketStartMs });
      if (verdict === null) continue;
      const score = scoreOf(verdict.logP);
      if (score < threshold) continue;
      records.push({
        service: key.service, environment: key.environment, transactionType: '', transactionName: '', labels: JSON.parse(key.labels),
        bucketMs, bucketStartMs, metric: key.name, score, probability: probabilityOf(verdict.logP),
        typical: significant(verdict.typical), actual: significant(verdict.actual), explanation: null,
      });
    }
    await this.#store.saveMetricModels(bucketMs, saved);
    if (forgotten.length > 0) await this.#store.deleteMetricModels(bucketMs, forgotten);
    if (records.length > 0) await this.#store.insertAnomalies(records);
    this.#options.onSeries?.(models.size - forgotten.length, leftOut);
    return records;
  }
}

/**
 * Feeds a new series' model the buckets of its stored samples (oldest first) before
 * `beforeMs`, a bucket without samples as such; nothing is reported.
 */
function fit(model: MetricSeriesModel, history: readonly MetricSample[], beforeMs: number, options: { bucketMs: number; warmupBuckets: number }): void {
  if (history.length === 0) return;
  const { bucketMs } = options;
  let next = 0;
  for (let t = Math.floor(history[0]!.timeMs / bucketMs) * bucketMs; t < beforeMs; t += bucketMs) {
    const start = next;
    while (next < history.length && history[next]!.timeMs < t + bucketMs) next += 1;
    observeMetric(model, t, start === next ? null : bucketValue(history.slice(start, next), model), options);
  }
}

/** A stored label set (JSON) in its canonical form; a malformed one is the empty set. */
function canonical(labels: string): string {
  try {
    const parsed = JSON.parse(labels);
    return labelsKey(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {});
  } catch {
    return '{}';
  }
}
