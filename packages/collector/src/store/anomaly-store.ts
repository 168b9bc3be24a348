import { percentiles, type Histogram } from '../model/histogram.js';
import { bucketValueMs } from '../model/duration-buckets.js';
import { RollupReader, type TxPart } from './rollup-reader.js';
import type { SqlDriver } from './sql-driver.js';
import { Where } from './where.js';

/**
 * The anomaly detector's tables (schema version 3):
 * - `anomaly_models`: one row per bucket length and transaction group, its models as JSON;
 * - `anomaly_progress`: per bucket length, the next bucket to process and who holds it;
 *   a compare-and-set on it is how collectors sharing a database take turns, so no
 *   bucket is ever processed twice;
 * - `anomalies`: the records, unique per series and bucket;
 * - `anomaly_metric_models` (added after version 3, created where missing, so no version
 *   bump): one row per bucket length and watched metric series (service, environment,
 *   metric name, label set), its model as JSON.
 *
 * A metric series' records go in `anomalies` too (so retention and the unique index cover
 * them) with `transaction_type` METRIC_SERIES_TYPE and the label set as `transaction_name`;
 * anomalies() gives them back as `labels`, with empty transaction fields.
 */
export function anomalySchemaStatements(kind: 'sqlite' | 'postgres'): string[] {
  const int = kind === 'sqlite' ? 'INTEGER' : 'BIGINT';
  const real = kind === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
  const rowId = kind === 'sqlite' ? 'rowid_ INTEGER PRIMARY KEY' : 'rowid_ BIGSERIAL PRIMARY KEY';
  return [
    `CREATE TABLE IF NOT EXISTS anomaly_models (bucket_ms ${int} NOT NULL, service TEXT NOT NULL, environment TEXT NOT NULL, ` +
      `transaction_type TEXT NOT NULL, transaction_name TEXT NOT NULL, state TEXT NOT NULL, last_bucket_ms ${int} NOT NULL, ` +
      'PRIMARY KEY (bucket_ms, service, environment, transaction_type, transaction_name))',
    `CREATE TABLE IF NOT EXISTS anomaly_progress (bucket_ms ${int} PRIMARY KEY, next_start_ms ${int} NOT NULL, ` +
      `owner TEXT NOT NULL, lease_until_ms ${int} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS anomalies (${rowId}, bucket_ms ${int} NOT NULL, bucket_start_ms ${int} NOT NULL, ` +
      'service TEXT NOT NULL, environment TEXT NOT NULL, transaction_type TEXT NOT NULL, transaction_name TEXT NOT NULL, ' +
      `metric TEXT NOT NULL, score ${real} NOT NULL, probability ${real} NOT NULL, typical ${real} NOT NULL, actual ${real} NOT NULL, ` +
      `explanation TEXT, created_ms ${int} NOT NULL)`,
    'CREATE UNIQUE INDEX IF NOT EXISTS anomalies_series_bucket ON anomalies ' +
      '(bucket_ms, service, environment, transaction_type, transaction_name, metric, bucket_start_ms)',
    'CREATE INDEX IF NOT EXISTS anomalies_service_bucket_start_ms ON anomalies (service, bucket_start_ms)',
    'CREATE INDEX IF NOT EXISTS anomalies_bucket_start_ms ON anomalies (bucket_start_ms)',
    `CREATE TABLE IF NOT EXISTS anomaly_metric_models (bucket_ms ${int} NOT NULL, service TEXT NOT NULL, environment TEXT NOT NULL, ` +
      `name TEXT NOT NULL, labels TEXT NOT NULL, state TEXT NOT NULL, last_bucket_ms ${int} NOT NULL, ` +
      'PRIMARY KEY (bucket_ms, service, environment, name, labels))',
  ];
}

/** A transaction group; `environment` is '' when the events carry none (as in the rollups). */
export interface GroupKey {
  service: string;
  environment: string;
  transactionType: string;
  transactionName: string;
}

/** One group's figures over one bucket. */
export interface GroupBucket extends GroupKey {
  count: number;
  failures: number;
  sumMs: number;
  p95Ms: number | null;
  /** Variance of ln(duration) over the bucket's transactions (from its histogram); null under two. */
  logVariance: number | null;
}

/** What `transaction_type` holds for a metric series' record (no transaction has this type). */
export const METRIC_SERIES_TYPE = '#metric';

/** A watched metric series; `labels` is its label set as JSON with sorted keys. */
export interface MetricSeriesKey {
  service: string;
  environment: string;
  name: string;
  labels: string;
}

/** One stored sample of a watched metric (see anomaly/metric-value.ts). */
export interface MetricSampleRow {
  service: string;
  /** '' when the sample carries none. */
  environment: string;
  name: string;
  /** As stored (JSON). */
  labels: string;
  value: number;
  timeMs: number;
  /** An OTLP sum point's startTimeUnixNano; null for everything else. */
  start: string | null;
}

/**
 * A transaction group's record, or a metric series' (then `labels` is its label set and
 * the transaction fields are '').
 */
export interface AnomalyRecord extends GroupKey {
  bucketMs: number;
  bucketStartMs: number;
  metric: string;
  score: number;
  probability: number;
  typical: number;
  actual: number;
  explanation: unknown[] | null;
  labels?: Record<string, string> | null;
}

export interface AnomalyFilter {
  fromMs: number;
  toMs: number;
  service?: string | undefined;
  environment?: string | undefined;
  transactionName?: string | undefined;
  metric?: string | undefined;
  /** Only transaction groups' records, or only metric series'. */
  kind?: 'transaction' | 'metric' | undefined;
  minScore: number;
  limit: number;
}

/** Self time per transaction by span type, for explanations. */
export interface SelfTime {
  transactions: number;
  /** Summed self time (ms) by span type; the transactions' own time is type `app`. */
  byType: Map<string, number>;
}

/** One group's figures in one bucket of its history. */
export interface HistoryBucket extends GroupBucket {
  bucketStartMs: number;
}

export interface AnomalyStore {
  groupBuckets(fromMs: number, toMs: number): Promise<GroupBucket[]>;
  /** One group's buckets with transactions in [fromMs, toMs), oldest first (from the rollups: a model fitted from history). */
  groupHistory(key: GroupKey, fromMs: number, toMs: number, bucketMs: number): Promise<HistoryBucket[]>;
  loadModels(bucketMs: number): Promise<Array<{ key: GroupKey; state: string }>>;
  saveModels(bucketMs: number, rows: ReadonlyArray<{ key: GroupKey; state: string; lastBucketMs: number }>): Promise<void>;
  deleteModels(bucketMs: number, keys: readonly GroupKey[]): Promise<void>;
  /**
   * Takes the next bucket due (one ending before `dueBeforeMs`) for `owner`, or null when
   * none is due or another collector holds the turn. The first call starts at `startMs`.
   */
  claimBucket(bucketMs: number, owner: string, nowMs: number, dueBeforeMs: number, leaseMs: number, startMs: number): Promise<number | null>;
  releaseBucket(bucketMs: number, owner: string): Promise<void>;
  insertAnomalies(records: readonly AnomalyRecord[]): Promise<void>;
  anomalies(filter: AnomalyFilter): Promise<AnomalyRecord[]>;
  selfTime(key: GroupKey, fromMs: number, toMs: number): Promise<SelfTime>;
  /**
   * The samples with a value in [fromMs, toMs) of metrics whose name satisfies `condition`
   * (metricNameCondition; null: every metric), oldest first, at most `limit`.
   */
  metricSamples(fromMs: number, toMs: number, condition: { sql: string; params: string[] } | null, limit: number): Promise<MetricSampleRow[]>;
  /**
   * One service's samples with a value of one metric (every label set and environment) in
   * [fromMs, toMs), oldest first: the most recent `limit` of them (a model fitted from history).
   */
  metricHistory(service: string, name: string, fromMs: number, toMs: number, limit: number): Promise<MetricSampleRow[]>;
  loadMetricModels(bucketMs: number): Promise<Array<{ key: MetricSeriesKey; state: string }>>;
  saveMetricModels(bucketMs: number, rows: ReadonlyArray<{ key: MetricSeriesKey; state: string; lastBucketMs: number }>): Promise<void>;
  deleteMetricModels(bucketMs: number, keys: readonly MetricSeriesKey[]): Promise<void>;
}

type Row = Record<string, any>;
const MODEL_ROWS_PER_STATEMENT = 200;
/** Explanations read at most this many span rows per window. */
const SELF_TIME_ROWS = 50_000;
/** Keeps the scan of a busy group's catch-up bounded. */
const MAX_CATCH_UP_BUCKETS = 1440;

function logVarianceOf(histogram: Histogram, count: number): number | null {
  if (count < 2) return null;
  let sum = 0;
  let squares = 0;
  for (const [bucket, n] of histogram) {
    const v = Math.log(Math.max(bucketValueMs(bucket), 0.0005));
    sum += v * n;
    squares += v * v * n;
  }
  return Math.max(0, (squares - (sum * sum) / count) / (count - 1));
}

/** Rollup parts summed per group and slot (slot × slotMs is the bucket start; slotMs 0: one bucket). */
function mergeParts(parts: readonly TxPart[], slotMs: number): HistoryBucket[] {
  const groups = new Map<string, HistoryBucket & { histogram: Histogram }>();
  for (const part of parts) {
    const environment = part.environment ?? '';
    const id = `${part.service}\u0000${environment}\u0000${part.type}\u0000${part.name}\u0000${part.slot}`;
    let group = groups.get(id);
    if (group === undefined) {
      group = {
        service: part.service, environment, transactionType: part.type, transactionName: part.name, bucketStartMs: part.slot * slotMs,
        count: 0, failures: 0, sumMs: 0, p95Ms: null, logVariance: null, histogram: new Map(),
      };
      groups.set(id, group);
    }
    group.count += part.count;
    group.failures += part.failures;
    group.sumMs += part.sumMs;
    for (const [bucket, n] of part.histogram) group.histogram.set(bucket, (group.histogram.get(bucket) ?? 0) + n);
  }
  return [...groups.values()].map(({ histogram, ...group }) => ({
    ...group,
    p95Ms: group.count === 0 ? null : percentiles(histogram)[1],
    logVariance: logVarianceOf(histogram, group.count),
  }));
}

export class SqlAnomalyStore implements AnomalyStore {
  readonly #db: SqlDriver;
  readonly #rollups: RollupReader;

  constructor(db: SqlDriver) {
    this.#db = db;
    this.#rollups = new RollupReader(db);
  }

  async groupBuckets(fromMs: number, toMs: number): Promise<GroupBucket[]> {
    const parts = await this.#rollups.transactions({ fromMs, toMs, slotMs: null });
    return mergeParts(parts, 0).map(({ bucketStartMs: _, ...group }) => group);
  }

  async groupHistory(key: GroupKey, fromMs: number, toMs: number, bucketMs: number): Promise<HistoryBucket[]> {
    const parts = await this.#rollups.transactions({
      fromMs, toMs, service: key.service, environment: key.environment === '' ? undefined : key.environment,
      name: key.transactionName, slotMs: bucketMs,
    });
    const mine = parts.filter((p) => p.type === key.transactionType && (p.environment ?? '') === key.environment);
    return mergeParts(mine, bucketMs).sort((a, b) => a.bucketStartMs - b.bucketStartMs);
  }


  async loadModels(bucketMs: number): Promise<Array<{ key: GroupKey; state: string }>> {
    const rows = await this.#db.all<Row>(
      'SELECT service, environment, transaction_type, transaction_name, state FROM anomaly_models WHERE bucket_ms = ?',
      [bucketMs],
    );
    return rows.map((r) => ({
      key: { service: r.service, environment: r.environment, transactionType: r.transaction_type, transactionName: r.transaction_name },
      state: r.state,
    }));
  }

  async saveModels(bucketMs: number, rows: ReadonlyArray<{ key: GroupKey; state: string; lastBucketMs: number }>): Promise<void> {
    await this.#upsertModels('anomaly_models', ['service', 'environment', 'transaction_type', 'transaction_name'], bucketMs,
      rows.map(({ key, state, lastBucketMs }) => [key.service, key.environment, key.transactionType, key.transactionName, state, lastBucketMs]));
  }

  /**
   * Inserts or updates model rows `[...key columns, state, last_bucket_ms]` of one bucket
   * length, many to a statement.
   */
  async #upsertModels(table: string, keyColumns: readonly string[], bucketMs: number, rows: readonly unknown[][]): Promise<void> {
    const conflict = ['bucket_ms', ...keyColumns].join(', ');
    const tuple = `(${['bucket_ms', ...keyColumns, 'state', 'last_bucket_ms'].map(() => '?').join(', ')})`;
    for (let start = 0; start < rows.length; start += MODEL_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(start, start + MODEL_ROWS_PER_STATEMENT);
      await this.#db.run(
        `INSERT INTO ${table} (${conflict}, state, last_bucket_ms) VALUES ${chunk.map(() => tuple).join(', ')} ` +
          `ON CONFLICT (${conflict}) DO UPDATE SET state = excluded.state, last_bucket_ms = excluded.last_bucket_ms`,
        chunk.flatMap((row) => [bucketMs, ...row]),
      );
    }
  }

  async deleteModels(bucketMs: number, keys: readonly GroupKey[]): Promise<void> {
    for (const key of keys) {
      await this.#db.run(
        'DELETE FROM anomaly_models WHERE bucket_ms = ? AND service = ? AND environment = ? AND transaction_type = ? AND transaction_name = ?',
        [bucketMs, key.service, key.environment, key.transactionType, key.transactionName],
      );
    }
  }

  async claimBucket(bucketMs: number, owner: string, nowMs: number, dueBeforeMs: number, leaseMs: number, startMs: number): Promise<number | null> {
    await this.#db.run(
      'INSERT INTO anomaly_progress (bucket_ms, next_start_ms, owner, lease_until_ms) VALUES (?, ?, ?, 0) ON CONFLICT (bucket_ms) DO NOTHING',
      [bucketMs, startMs, owner],
    );
    const [row] = await this.#db.all<Row>('SELECT next_start_ms, lease_until_ms FROM anomaly_progress WHERE bucket_ms = ?', [bucketMs]);
    if (row === undefined) return null;
    const next = Number(row.next_start_ms);
    if (next + bucketMs > dueBeforeMs || Number(row.lease_until_ms) >= nowMs) return null;
    // After a long stop, skip what is too old to be worth reading bucket by bucket.
    const oldest = Math.floor(dueBeforeMs / bucketMs) * bucketMs - MAX_CATCH_UP_BUCKETS * bucketMs;
    const bucket = Math.max(next, oldest);
    // Compare-and-set: only one collector moves the pointer from `next`.
    const changed = await this.#db.run(
      'UPDATE anomaly_progress SET next_start_ms = ?, owner = ?, lease_until_ms = ? ' +
        'WHERE bucket_ms = ? AND next_start_ms = ? AND lease_until_ms < ?',
      [bucket + bucketMs, owner, nowMs + leaseMs, bucketMs, next, nowMs],
    );
    return changed === 1 ? bucket : null;
  }

  async releaseBucket(bucketMs: number, owner: string): Promise<void> {
    await this.#db.run('UPDATE anomaly_progress SET lease_until_ms = 0 WHERE bucket_ms = ? AND owner = ?', [bucketMs, owner]);
  }

  async insertAnomalies(records: readonly AnomalyRecord[]): Promise<void> {
    const now = Date.now();
    for (const r of records) {
      await this.#db.run(
        'INSERT INTO anomalies (bucket_ms, bucket_start_ms, service, environment, transaction_type, transaction_name, metric, ' +
          'score, probability, typical, actual, explanation, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (bucket_ms, service, environment, transaction_type, transaction_name, metric, bucket_start_ms) DO NOTHING',
        [
          r.bucketMs, r.bucketStartMs, this.#db.storedText(r.service), this.#db.storedText(r.environment),
          isMetric(r) ? METRIC_SERIES_TYPE : this.#db.storedText(r.transactionType),
          this.#db.storedText(isMetric(r) ? labelsKey(r.labels) : r.transactionName), r.metric, r.score, r.probability,
          r.typical, r.actual, r.explanation === null ? null : JSON.stringify(r.explanation), now,
        ],
      );
    }
  }

  async anomalies(filter: AnomalyFilter): Promise<AnomalyRecord[]> {
    const where = new Where()
      .add('bucket_start_ms >= ?', filter.fromMs)
      .add('bucket_start_ms < ?', filter.toMs)
      .addIf(filter.service, 'service = ?')
      .addIf(filter.environment, 'environment = ?')
      .addIf(filter.transactionName, 'transaction_name = ?')
      .addIf(filter.transactionName === undefined ? undefined : METRIC_SERIES_TYPE, 'transaction_type <> ?')
      .addIf(filter.kind === 'metric' ? METRIC_SERIES_TYPE : undefined, 'transaction_type = ?')
      .addIf(filter.kind === 'transaction' ? METRIC_SERIES_TYPE : undefined, 'transaction_type <> ?')
      .addIf(filter.metric, 'metric = ?')
      .add('score >= ?', filter.minScore);
    const rows = await this.#db.all<Row>(
      'SELECT bucket_ms, bucket_start_ms, service, environment, transaction_type, transaction_name, metric, score, probability, ' +
        `typical, actual, explanation FROM anomalies ${where} ORDER BY bucket_start_ms DESC, score DESC, rowid_ LIMIT ?`,
      [...where.params, filter.limit],
    );
    return rows.map((r) => {
      const metric = r.transaction_type === METRIC_SERIES_TYPE;
      return {
        bucketMs: Number(r.bucket_ms), bucketStartMs: Number(r.bucket_start_ms), service: r.service, environment: r.environment,
        transactionType: metric ? '' : r.transaction_type, transactionName: metric ? '' : r.transaction_name, metric: r.metric,
        score: Number(r.score), probability: Number(r.probability), typical: Number(r.typical), actual: Number(r.actual),
        explanation: r.explanation === null ? null : JSON.parse(r.explanation),
        ...(metric ? { labels: parseLabels(r.transaction_name) } : {}),
      };
    });
  }

  async selfTime(key: GroupKey, fromMs: number, toMs: number): Promise<SelfTime> {
    const where = new Where()
      .add('t.service = ?', key.service)
      .add('t.name = ?', key.transactionName)
      .add('t.timestamp_us >= ?', Math.floor(fromMs * 1000))
      .add('t.timestamp_us < ?', Math.floor(toMs * 1000))
      .add('t.type = ?', key.transactionType);
    if (key.environment === '') where.add('t.environment IS NULL');
    else where.add('t.environment = ?', key.environment);
    const rows = await this.#db.all<Row>(
      'SELECT t.id AS tx_id, t.duration_ms AS tx_ms, s.id AS span_id, s.parent_id AS parent_id, s.type AS span_type, ' +
        's.duration_ms AS span_ms FROM transactions t LEFT JOIN spans s ON s.trace_id = t.trace_id AND s.transaction_id = t.id ' +
        `${where} LIMIT ${SELF_TIME_ROWS}`,
      where.params,
    );
    // Self time: a span's duration less its direct children's; the transaction's own is `app`.
    const txMs = new Map<string, number>();
    const childMs = new Map<string, number>();
    const spans: Array<{ id: string; type: string; ms: number }> = [];
    for (const r of rows) {
      txMs.set(r.tx_id, Number(r.tx_ms));
      if (r.span_id === null || r.span_id === undefined) continue;
      const ms = Number(r.span_ms);
      spans.push({ id: r.span_id, type: r.span_type ?? 'unknown', ms });
      const parent = r.parent_id ?? r.tx_id;
      childMs.set(parent, (childMs.get(parent) ?? 0) + ms);
    }
    const byType = new Map<string, number>();
    const add = (type: string, ms: number) => byType.set(type, (byType.get(type) ?? 0) + Math.max(0, ms));
    for (const [id, ms] of txMs) add('app', ms - (childMs.get(id) ?? 0));
    for (const span of spans) add(span.type, span.ms - (childMs.get(span.id) ?? 0));
    return { transactions: txMs.size, byType };
  }

  async metricSamples(fromMs: number, toMs: number, condition: { sql: string; params: string[] } | null, limit: number): Promise<MetricSampleRow[]> {
    const where = new Where()
      .add('timestamp_us >= ?', Math.floor(fromMs * 1000))
      .add('timestamp_us < ?', Math.floor(toMs * 1000))
      .add('value IS NOT NULL');
    if (condition !== null) where.add(condition.sql, ...condition.params);
    const rows = await this.#db.all<Row>(
      `SELECT service, environment, name, labels, value, timestamp_us, ${SUM_DOC} FROM metrics ${where} ORDER BY timestamp_us, rowid_ LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map(sampleRow);
  }

  async metricHistory(service: string, name: string, fromMs: number, toMs: number, limit: number): Promise<MetricSampleRow[]> {
    const where = new Where()
      .add('service = ?', service)
      .add('name = ?', name)
      .add('timestamp_us >= ?', Math.floor(fromMs * 1000))
      .add('timestamp_us < ?', Math.floor(toMs * 1000))
      .add('value IS NOT NULL');
    const rows = await this.#db.all<Row>(
      `SELECT service, environment, name, labels, value, timestamp_us, ${SUM_DOC} FROM metrics ${where} ORDER BY timestamp_us DESC, rowid_ DESC LIMIT ?`,
      [...where.params, limit],
    );
    return rows.reverse().map(sampleRow);
  }

  async loadMetricModels(bucketMs: number): Promise<Array<{ key: MetricSeriesKey; state: string }>> {
    const rows = await this.#db.all<Row>('SELECT service, environment, name, labels, state FROM anomaly_metric_models WHERE bucket_ms = ?', [bucketMs]);
    return rows.map((r) => ({ key: { service: r.service, environment: r.environment, name: r.name, labels: r.labels }, state: r.state }));
  }

  async saveMetricModels(bucketMs: number, rows: ReadonlyArray<{ key: MetricSeriesKey; state: string; lastBucketMs: number }>): Promise<void> {
    await this.#upsertModels('anomaly_metric_models', ['service', 'environment', 'name', 'labels'], bucketMs,
      rows.map(({ key, state, lastBucketMs }) => [key.service, key.environment, key.name, key.labels, state, lastBucketMs]));
  }

  async deleteMetricModels(bucketMs: number, keys: readonly MetricSeriesKey[]): Promise<void> {
    for (const key of keys) {
      await this.#db.run(
        'DELETE FROM anomaly_metric_models WHERE bucket_ms = ? AND service = ? AND environment = ? AND name = ? AND labels = ?',
        [bucketMs, key.service, key.environment, key.name, key.labels],
      );
    }
  }
}

/** Only an OTLP sum's document is read (for its start time: a running total keeps it). */
const SUM_DOC = `CASE WHEN doc LIKE '{"type":"sum"%' THEN doc ELSE NULL END AS sum_doc`;

const sampleRow = (r: Row): MetricSampleRow => ({
  service: r.service, environment: r.environment ?? '', name: r.name, labels: r.labels, value: Number(r.value),
  timeMs: Number(r.timestamp_us) / 1000, start: r.sum_doc === null || r.sum_doc === undefined ? null : startOf(r.sum_doc),
});

const isMetric = (r: AnomalyRecord): r is AnomalyRecord & { labels: Record<string, string> } => r.labels !== undefined && r.labels !== null;

/** A label set as JSON with its keys sorted: one text per label set, however it was sent. */
export function labelsKey(labels: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

function parseLabels(text: string): Record<string, string> {
  try {
    const labels = JSON.parse(text);
    return labels !== null && typeof labels === 'object' ? labels : {};
  } catch {
    return {};
  }
}

function startOf(doc: string): string | null {
  try {
    const start = JSON.parse(doc)?.startTimeUnixNano;
    return start === undefined || start === null ? null : String(start);
  } catch {
    return null;
  }
}
