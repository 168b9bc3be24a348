import { labelsKey, type AnomalyRecord, type AnomalyStore, type MetricSeriesKey } from '../store/anomaly-store.js';
import { decodeMetricModel, encodeMetricModel, newMetricModel, observeMetric, type MetricSeriesModel } from './metric-model.js';
import { metricMatcher, metricNameCondition } from './metric-patterns.js';
import { bucketValue, type MetricSample } from './metric-value.js';
import { probabilityOf, scoreOf } from './probability.js';

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
}

export const MAX_METRIC_SERIES = 1000;
/** A bucket with more watched samples than this is skipped (its series counted as left out). */
export const MAX_METRIC_SAMPLES = 200_000;
/** A label set longer than this (as JSON) is not watched (it would not fit a PostgreSQL index row). */
const MAX_LABELS_LENGTH = 1000;
/** A series without samples for this long is forgotten (and learnt afresh if it comes back). */
const FORGET_AFTER_MS = 7 * 86_400_000;
const significant = (value: number): number => Number(value.toPrecision(4));
const keyId = (k: MetricSeriesKey): string => `${k.service}\u0000${k.environment}\u0000${k.name}\u0000${k.labels}`;

/**
 * Anomaly detection on metric series named by `anomalyMetrics`: one model per service,
 * environment, metric name and label set, fed each finished bucket's value (metric-value.ts)
 * and saved back to the store; the detector calls processBucket for each bucket it claims.
 * Series are taken on as they first appear, up to `maxSeries`; the others are left out and
 * counted until a watched series is forgotten (7 days without samples).
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
    const samples = new Map<string, { key: MetricSeriesKey; samples: MetricSample[] }>();
    const tooMany = rows.length > MAX_METRIC_SAMPLES;
    const labelSets = new Map<string, string>();
    for (const row of tooMany ? [] : rows) {
      if (!this.#matches(row.name)) continue;
      let labels = labelSets.get(row.labels);
      if (labels === undefined) labelSets.set(row.labels, (labels = canonical(row.labels)));
      const key: MetricSeriesKey = { service: row.service, environment: row.environment, name: row.name, labels };
      const id = keyId(key);
      let series = samples.get(id);
      if (series === undefined) samples.set(id, (series = { key, samples: [] }));
      series.samples.push({ timeMs: row.timeMs, value: row.value, start: row.start });
    }
    // New series are taken in a stable order while there is room.
    let leftOut = tooMany ? new Set(rows.map((r) => `${r.service}\u0000${r.name}\u0000${r.labels}`)).size : 0;
    for (const id of [...samples.keys()].filter((id) => !models.has(id)).sort()) {
      const { key } = samples.get(id)!;
      if (models.size >= maxSeries || key.labels.length > MAX_LABELS_LENGTH) leftOut += 1;
      else models.set(id, { key, model: newMetricModel(bucketMs) });
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

/** A stored label set (JSON) in its canonical form; a malformed one is the empty set. */
function canonical(labels: string): string {
  try {
    const parsed = JSON.parse(labels);
    return labelsKey(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {});
  } catch {
    return '{}';
  }
}
