import { randomUUID } from 'node:crypto';
import type { AnomalyRecord, AnomalyStore, GroupBucket, GroupKey } from '../store/anomaly-store.js';
import { explainLatency } from './explain.js';
import { MetricSeriesDetector } from './metric-detector.js';
import { decodeModel, encodeModel, newGroupModel, observeGroup, type BucketObservation, type GroupModel } from './model.js';
import { probabilityOf, scoreOf } from './probability.js';
import { FORGET_AFTER_MS, HISTORY_MS, significant } from './series-policy.js';

export interface DetectorOptions {
  bucketMs: number;
  /** How long after a bucket ends its late events are waited for. */
  graceMs: number;
  warmupBuckets: number;
  /** Records are written for scores at or above this (0–100). */
  threshold: number;
  /** The clock; tests move it. */
  now?: () => number;
  /** Told about a failed run (the next tick tries again). */
  onError?: (error: Error) => void;
  /**
   * How far back a group (or metric series) without a model is fitted from the stored
   * rollups (or samples) before its first bucket (default 7 days; 0: learn from scratch,
   * waiting out the warm-up).
   */
  historyMs?: number;
  /** Told how many anomalies each processed bucket produced. */
  onBucket?: (bucketStartMs: number, anomalies: number) => void;
  /** Metric series to watch too (`anomalyMetrics`: names and `prefix*`); none by default. */
  metrics?: readonly string[];
  /** Most metric series watched (default 1000); new ones beyond it are left out and counted. */
  maxMetricSeries?: number;
  /** Told after each bucket how many metric series are watched and how many were left out of it. */
  onMetricSeries?: (watched: number, leftOut: number) => void;
}

/**
 * New groups fitted from history per bucket at most (each is one read of up to a week of
 * its rollups); the others wait for a later bucket, which loses nothing, as the history
 * read then covers this bucket too.
 */
const FITS_PER_BUCKET = 20;
/** Buckets processed per tick at most, so a long catch-up yields now and then. */
const BUCKETS_PER_TICK = 200;
const keyId = (k: GroupKey): string => `${k.service}\u0000${k.environment}\u0000${k.transactionType}\u0000${k.transactionName}`;

/**
 * Streaming anomaly detection over finished buckets. Each tick takes the next due bucket
 * (see AnomalyStore.claimBucket: collectors sharing a database take turns, and a bucket is
 * processed once at most), reads every transaction group's figures for it from the
 * rollups, feeds each group's models (loaded from and saved back to the store, so a
 * restart resumes where it stopped), and writes a record for each score at or above the
 * threshold, with an explanation for latency; then the same for the metric series it
 * watches (metric-detector.ts).
 */
export class AnomalyDetector {
  readonly #store: AnomalyStore;
  readonly #options: DetectorOptions;
  readonly #owner = randomUUID();
  readonly #now: () => number;
  readonly #metrics: MetricSeriesDetector | null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(store: AnomalyStore, options: DetectorOptions) {
    this.#store = store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#metrics = (options.metrics ?? []).length === 0 ? null : new MetricSeriesDetector(store, {
      bucketMs: options.bucketMs, warmupBuckets: options.warmupBuckets, threshold: options.threshold, patterns: options.metrics!,
      maxSeries: options.maxMetricSeries, onSeries: options.onMetricSeries, historyMs: options.historyMs,
    });
  }

  /** Ticks on an unref()ed timer until stop(). */
  start(): this {
    const tickMs = Math.max(250, Math.min(10_000, this.#options.bucketMs / 4));
    this.#timer = setInterval(() => void this.runDue(), tickMs);
    this.#timer.unref();
    return this;
  }

  /** Stops ticking and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** Processes every bucket now due (one run at a time); resolves to how many. */
  runDue(): Promise<void> {
    if (this.#running !== null) return this.#running;
    this.#running = this.#runDue()
      .catch((error: Error) => this.#options.onError?.(error))
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  async #runDue(): Promise<void> {
    const { bucketMs, graceMs } = this.#options;
    for (let i = 0; i < BUCKETS_PER_TICK; i++) {
      const now = this.#now();
      const current = Math.floor(now / bucketMs) * bucketMs;
      // A lease long enough for a slow bucket; a collector dying mid-bucket loses only that one.
      const bucket = await this.#store.claimBucket(bucketMs, this.#owner, now, now - graceMs, Math.max(60_000, 4 * bucketMs), current);
      if (bucket === null) return;
      try {
        await this.processBucket(bucket);
      } finally {
        await this.#store.releaseBucket(bucketMs, this.#owner);
      }
    }
  }

  /** Feeds one bucket to every group's models and writes its anomalies; callers claim it first. */
  async processBucket(bucketStartMs: number): Promise<AnomalyRecord[]> {
    const { bucketMs, warmupBuckets, threshold } = this.#options;
    const [groups, stored] = await Promise.all([
      this.#store.groupBuckets(bucketStartMs, bucketStartMs + bucketMs),
      this.#store.loadModels(bucketMs),
    ]);
    const models = new Map<string, { key: GroupKey; model: GroupModel }>();
    for (const { key, state } of stored) {
      const model = decodeModel(state, bucketMs);
      if (model !== null) models.set(keyId(key), { key, model });
    }
    const figures = new Map<string, GroupBucket>();
    let fits = 0;
    for (const group of groups) {
      const id = keyId(group);
      figures.set(id, group);
      if (models.has(id)) continue;
      if (fits >= FITS_PER_BUCKET) continue;
      fits += 1;
      const key: GroupKey = {
        service: group.service, environment: group.environment, transactionType: group.transactionType, transactionName: group.transactionName,
      };
      models.set(id, { key, model: await this.#fitted(key, bucketStartMs) });
    }
    const records: AnomalyRecord[] = [];
    const explain: Array<Promise<void>> = [];
    const forgotten: GroupKey[] = [];
    const saved: Array<{ key: GroupKey; state: string; lastBucketMs: number }> = [];
    for (const [id, { key, model }] of models) {
      const group = figures.get(id);
      // A known group without transactions this bucket: throughput 0 is news, latency is unknown.
      const verdicts = observeGroup(model, bucketStartMs, observation(group), { bucketMs, warmupBuckets });
      if (model.lastSeenMs < bucketStartMs - FORGET_AFTER_MS) {
        forgotten.push(key);
        continue;
      }
      saved.push({ key, state: encodeModel(model), lastBucketMs: bucketStartMs });
      for (const verdict of verdicts) {
        const score = scoreOf(verdict.logP);
        if (score < threshold) continue;
        const record: AnomalyRecord = {
          ...key, bucketMs, bucketStartMs, metric: verdict.metric, score, probability: probabilityOf(verdict.logP),
          typical: significant(verdict.typical), actual: significant(verdict.actual), explanation: null,
        };
        records.push(record);
        if (verdict.metric === 'latency_mean' || verdict.metric === 'latency_p95') {
          explain.push(explainLatency(this.#store, key, bucketStartMs, bucketMs, verdict.runStartMs, verdict.direction)
            .then((changes) => {
              record.explanation = changes;
            }, () => {}));
        }
      }
    }
    await Promise.all(explain);
    await this.#store.saveModels(bucketMs, saved);
    if (forgotten.length > 0) await this.#store.deleteModels(bucketMs, forgotten);
    if (records.length > 0) await this.#store.insertAnomalies(records);
    if (this.#metrics !== null) records.push(...(await this.#metrics.processBucket(bucketStartMs)));
    this.#options.onBucket?.(bucketStartMs, records.length);
    return records;
  }

  /**
   * A new group's model, fed the buckets its rollups hold from `historyMs` before `beforeMs`
   * (a bucket without transactions after its first one is fed as such: throughput 0), so
   * a detector started on an existing database judges at once instead of warming up.
   * Nothing in the history is reported.
   */
  async #fitted(key: GroupKey, beforeMs: number): Promise<GroupModel> {
    const { bucketMs, warmupBuckets } = this.#options;
    const model = newGroupModel(bucketMs);
    const historyMs = this.#options.historyMs ?? HISTORY_MS;
    if (historyMs <= 0) return model;
    const fromMs = Math.floor((beforeMs - historyMs) / bucketMs) * bucketMs;
    const history = await this.#store.groupHistory(key, fromMs, beforeMs, bucketMs);
    if (history.length === 0) return model;
    const options = { bucketMs, warmupBuckets };
    let next = 0;
    for (let t = history[0]!.bucketStartMs; t < beforeMs; t += bucketMs) {
      const group = history[next]?.bucketStartMs === t ? history[next++] : undefined;
      observeGroup(model, t, observation(group), options);
    }
    return model;
  }
}

/** A group's figures as the models take them; no group: a bucket without transactions. */
function observation(group: GroupBucket | undefined): BucketObservation {
  return group === undefined
    ? { count: 0, failures: 0, meanMs: null, p95Ms: null, logVariance: null }
    : { count: group.count, failures: group.failures, meanMs: group.count === 0 ? null : group.sumMs / group.count, p95Ms: group.p95Ms, logVariance: group.logVariance };
}
