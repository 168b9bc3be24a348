import { bucketLowerMs, bucketUpperMs, percentilesFromBuckets, roundMs } from '../model/duration-buckets.js';
import type { EventBatch } from '../model/event.js';
import type { SqlDriver } from './sql-driver.js';
import type {
  DistributionBucket, ErrorGroup, ErrorGroupDetail, MetricFilter, MetricPoint, Page, RangeFilter,
  ServiceSummary, Store, TimeseriesPoint, Trace, TransactionGroup,
} from './store.js';
import { Where } from './where.js';

type Row = Record<string, any>;
type TxFilter = RangeFilter & { service: string; name: string };

const QUANTILES = [0.5, 0.95, 0.99] as const;
const FAILURES = "SUM(CASE WHEN outcome = 'failure' THEN 1 ELSE 0 END)";

const minutesIn = (filter: RangeFilter): number => Math.max((filter.toMs - filter.fromMs) / 60_000, 1 / 60);
const toMs = (us: number): number => Math.floor(Number(us) / 1000);
const rate = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);

/** The Store over any SqlDriver: every query is written once, for SQLite and PostgreSQL alike. */
export class SqlStore implements Store {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  get kind(): 'sqlite' | 'postgres' {
    return this.#db.kind;
  }

  write(batch: EventBatch): Promise<void> {
    return this.#db.insert(batch);
  }

  async services(filter: RangeFilter, page: Page): Promise<ServiceSummary[]> {
    const where = new Where().range(filter);
    const part = (table: string, counted: 'tx' | 'err' | 'none') =>
      `SELECT service, environment, ${counted === 'tx' ? 'COUNT(*)' : '0'} AS tx, ` +
      `${counted === 'err' ? 'COUNT(*)' : '0'} AS err, MAX(timestamp_us) AS last_us ` +
      `FROM ${table} ${where} GROUP BY service, environment`;
    const rows = await this.#db.all<Row>(
      `SELECT service, environment, SUM(tx) AS tx, SUM(err) AS err, MAX(last_us) AS last_us FROM (` +
        `${part('transactions', 'tx')} UNION ALL ${part('errors', 'err')} UNION ALL ${part('metrics', 'none')}` +
        `) AS u GROUP BY service, environment ORDER BY service, environment`,
      [...where.params, ...where.params, ...where.params],
    );
    const byName = new Map<string, ServiceSummary>();
    for (const row of rows) {
      let summary = byName.get(row.service);
      if (summary === undefined) {
        summary = { name: row.service, environments: [], transactionCount: 0, errorCount: 0, lastSeenMs: 0 };
        byName.set(row.service, summary);
      }
      if (row.environment !== null) summary.environments.push(row.environment);
      summary.transactionCount += Number(row.tx);
      summary.errorCount += Number(row.err);
      summary.lastSeenMs = Math.max(summary.lastSeenMs, toMs(row.last_us));
    }
    return [...byName.values()].slice(page.offset, page.offset + page.limit);
  }

  async transactionGroups(filter: RangeFilter & { service: string }, page: Page): Promise<TransactionGroup[]> {
    const where = new Where().range(filter);
    const groups = await this.#db.all<Row>(
      `SELECT name, MIN(type) AS type, COUNT(*) AS count, ${FAILURES} AS failures, AVG(duration_ms) AS avg_ms, ` +
        `MAX(trace_id) AS sample_trace_id FROM transactions ${where} GROUP BY name ` +
        `ORDER BY SUM(duration_ms) DESC, name LIMIT ? OFFSET ?`,
      [...where.params, page.limit, page.offset],
    );
    if (groups.length === 0) return [];
    const names = groups.map((g) => g.name as string);
    const inNames = new Where().range(filter).add(`name IN (${names.map(() => '?').join(', ')})`, ...names);
    const buckets = await this.#db.all<Row>(
      `SELECT name, duration_bucket AS bucket, COUNT(*) AS count FROM transactions ${inNames} ` +
        `GROUP BY name, duration_bucket ORDER BY name, duration_bucket`,
      inNames.params,
    );
    const bucketsByName = new Map<string, { bucket: number; count: number }[]>();
    for (const b of buckets) {
      const list = bucketsByName.get(b.name) ?? [];
      list.push({ bucket: Number(b.bucket), count: Number(b.count) });
      bucketsByName.set(b.name, list);
    }
    const minutes = minutesIn(filter);
    return groups.map((g) => {
      const count = Number(g.count);
      const [p50Ms, p95Ms, p99Ms] = percentilesFromBuckets(bucketsByName.get(g.name) ?? [], QUANTILES);
      return {
        name: g.name,
        type: g.type,
        count,
        throughputPerMin: roundMs(count / minutes),
        errorRate: rate(Number(g.failures), count),
        avgMs: roundMs(Number(g.avg_ms)),
        p50Ms: p50Ms!,
        p95Ms: p95Ms!,
        p99Ms: p99Ms!,
        sampleTraceId: g.sample_trace_id,
      };
    });
  }

  async transactionTimeseries(filter: TxFilter, intervalMs: number): Promise<TimeseriesPoint[]> {
    const intervalUs = Math.max(1, Math.round(intervalMs)) * 1000;
    const where = new Where().range(filter).add('name = ?', filter.name);
    const rows = await this.#db.all<Row>(
      `SELECT CAST(timestamp_us / ? AS BIGINT) AS slot, duration_bucket AS bucket, COUNT(*) AS count, ` +
        `${FAILURES} AS failures, SUM(duration_ms) AS sum_ms FROM transactions ${where} ` +
        `GROUP BY slot, duration_bucket ORDER BY slot, bucket`,
      [intervalUs, ...where.params],
    );
    const slots = new Map<number, { count: number; failures: number; sumMs: number; buckets: { bucket: number; count: number }[] }>();
    for (const row of rows) {
      const slot = Number(row.slot);
      const entry = slots.get(slot) ?? { count: 0, failures: 0, sumMs: 0, buckets: [] };
      entry.count += Number(row.count);
      entry.failures += Number(row.failures);
      entry.sumMs += Number(row.sum_ms);
      entry.buckets.push({ bucket: Number(row.bucket), count: Number(row.count) });
      slots.set(slot, entry);
    }
    const points: TimeseriesPoint[] = [];
    const intervalMin = intervalMs / 60_000;
    const first = Math.floor(filter.fromMs / intervalMs);
    const last = Math.ceil(filter.toMs / intervalMs) - 1;
    // Empty slots are filled in so that charts show gaps as zero, not as interpolated lines.
    for (let slot = first; slot <= last && points.length < 10_000; slot++) {
      const entry = slots.get(slot);
      points.push({
        timestampMs: slot * intervalMs,
        count: entry?.count ?? 0,
        throughputPerMin: entry ? roundMs(entry.count / intervalMin) : 0,
        errorRate: entry ? rate(entry.failures, entry.count) : 0,
        avgMs: entry ? roundMs(entry.sumMs / entry.count) : null,
        p95Ms: entry ? percentilesFromBuckets(entry.buckets, [0.95])[0]! : null,
      });
    }
    return points;
  }

  async transactionDistribution(filter: TxFilter): Promise<DistributionBucket[]> {
    const where = new Where().range(filter).add('name = ?', filter.name);
    const rows = await this.#db.all<Row>(
      `SELECT duration_bucket AS bucket, COUNT(*) AS count, MAX(trace_id) AS sample_trace_id ` +
        `FROM transactions ${where} GROUP BY duration_bucket ORDER BY duration_bucket`,
      where.params,
    );
    return rows.map((row) => ({
      fromMs: roundMs(bucketLowerMs(Number(row.bucket))),
      toMs: roundMs(bucketUpperMs(Number(row.bucket))),
      count: Number(row.count),
      sampleTraceId: row.sample_trace_id,
    }));
  }

  async slowestTransactions(filter: RangeFilter, page: Page): Promise<Record<string, unknown>[]> {
    const where = new Where().range(filter);
    const rows = await this.#db.all<Row>(
      `SELECT id, trace_id, service, environment, name, type, result, outcome, timestamp_us, duration_ms ` +
        `FROM transactions ${where} ORDER BY duration_ms DESC, id LIMIT ? OFFSET ?`,
      [...where.params, page.limit, page.offset],
    );
    return rows.map((r) => ({
      id: r.id, traceId: r.trace_id, service: r.service, environment: r.environment, name: r.name, type: r.type,
      result: r.result, outcome: r.outcome, timestampMs: toMs(r.timestamp_us), durationMs: Number(r.duration_ms),
    }));
  }

  async trace(traceId: string): Promise<Trace | null> {
    const docs = async (table: string) => {
      const rows = await this.#db.all<Row>(
        `SELECT doc FROM ${table} WHERE trace_id = ? ORDER BY timestamp_us, rowid_ LIMIT 10000`,
        [traceId],
      );
      return rows.map((row) => JSON.parse(row.doc) as Record<string, unknown>);
    };
    const [transactions, spans, errors] = [await docs('transactions'), await docs('spans'), await docs('errors')];
    if (transactions.length + spans.length + errors.length === 0) return null;
    return { traceId, transactions, spans, errors };
  }

  async errorGroups(filter: RangeFilter, page: Page): Promise<ErrorGroup[]> {
    const where = new Where().range(filter);
    const rows = await this.#db.all<Row>(
      `${GROUP_SELECT} FROM errors ${where} GROUP BY fingerprint, service ` +
        `ORDER BY MAX(timestamp_us) DESC, fingerprint LIMIT ? OFFSET ?`,
      [...where.params, page.limit, page.offset],
    );
    return rows.map(toErrorGroup);
  }

  async errorGroup(groupId: string, filter: RangeFilter): Promise<ErrorGroupDetail | null> {
    const where = new Where().range(filter).add('fingerprint = ?', groupId);
    const [group] = await this.#db.all<Row>(
      `${GROUP_SELECT} FROM errors ${where} GROUP BY fingerprint, service`,
      where.params,
    );
    if (group === undefined) return null;
    const [latest] = await this.#db.all<Row>(
      `SELECT doc FROM errors ${where} ORDER BY timestamp_us DESC, rowid_ DESC LIMIT 1`,
      where.params,
    );
    return { ...toErrorGroup(group), latest: JSON.parse(latest!.doc) };
  }

  async metricSeries(filter: MetricFilter, page: Page): Promise<MetricPoint[]> {
    const where = new Where().range(filter).addIf(filter.name, 'name = ?');
    const rows = await this.#db.all<Row>(
      `SELECT timestamp_us, name, value, labels FROM metrics ${where} ORDER BY timestamp_us, name, rowid_ LIMIT ? OFFSET ?`,
      [...where.params, page.limit, page.offset],
    );
    return rows.map((r) => ({
      timestampMs: toMs(r.timestamp_us),
      name: r.name,
      value: r.value === null ? null : Number(r.value),
      labels: JSON.parse(r.labels),
    }));
  }

  async deleteOlderThan(cutoffMs: number): Promise<number> {
    let deleted = 0;
    for (const table of ['transactions', 'spans', 'errors', 'metrics', 'logs']) {
      deleted += await this.#db.run(`DELETE FROM ${table} WHERE timestamp_us < ?`, [Math.floor(cutoffMs * 1000)]);
    }
    return deleted;
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}

const GROUP_SELECT =
  'SELECT fingerprint, service, MIN(exception_type) AS type, MIN(message) AS message, MIN(culprit) AS culprit, ' +
  'COUNT(*) AS count, MIN(handled) AS handled, MIN(timestamp_us) AS first_us, MAX(timestamp_us) AS last_us';

function toErrorGroup(row: Row): ErrorGroup {
  return {
    groupId: row.fingerprint,
    service: row.service,
    type: row.type,
    message: row.message,
    culprit: row.culprit,
    count: Number(row.count),
    handled: row.handled === null ? null : Number(row.handled) === 1,
    firstSeenMs: toMs(row.first_us),
    lastSeenMs: toMs(row.last_us),
  };
}
