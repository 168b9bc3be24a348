import { bucketLowerMs, bucketUpperMs, durationBucket, roundMs } from '../model/duration-buckets.js';
import type { EventBatch } from '../model/event.js';
import { addCount, mergeInto, percentiles, sortedBuckets, type Histogram } from '../model/histogram.js';
import { SqlAnomalyStore, type AnomalyStore } from './anomaly-store.js';
import { RollupReader, type TxPart } from './rollup-reader.js';
import { rollupBatch } from './rollups.js';
import { traceDocs } from './trace-index.js';
import { ERR_ROLLUP, HOUR, LEVELS, rollupTable, ROLLUPS } from './rollups.js';
import type { SqlDriver } from './sql-driver.js';
import type {
  DistributionBucket, ErrorCountPoint, ErrorGroup, ErrorGroupDetail, MetricFilter, MetricPoint, Page, RangeFilter,
  SampleFilter, ServiceSummary, Store, TimeseriesPoint, Trace, TransactionGroup, TransactionSummary,
} from './store.js';
import { SAMPLE_GROUP, sampleGroupOf } from './schema.js';
import { Where } from './where.js';

type Row = Record<string, any>;
type TxFilter = RangeFilter & { service: string; name: string };

const MAX_POINTS = 10_000;
/** Correlated sample lookups per statement; each is one indexed probe. */
const LOOKUPS_PER_STATEMENT = 200;

const minutesIn = (filter: RangeFilter): number => Math.max((filter.toMs - filter.fromMs) / 60_000, 1 / 60);
const toMs = (us: number): number => Math.floor(Number(us) / 1000);
const rate = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);

/** Transaction figures merged over parts. */
interface TxTotals {
  type: string;
  count: number;
  failures: number;
  sumMs: number;
  lastUs: number;
  histogram: Histogram;
}

const newTotals = (type: string): TxTotals => ({ type, count: 0, failures: 0, sumMs: 0, lastUs: 0, histogram: new Map() });

function addPart(totals: TxTotals, part: TxPart): void {
  if (part.type < totals.type) totals.type = part.type;
  totals.count += part.count;
  totals.failures += part.failures;
  totals.sumMs += part.sumMs;
  if (part.lastUs > totals.lastUs) totals.lastUs = part.lastUs;
  mergeInto(totals.histogram, part.histogram);
}

function totalsBy<K>(parts: TxPart[], keyOf: (part: TxPart) => K): Map<K, TxTotals> {
  const map = new Map<K, TxTotals>();
  for (const part of parts) {
    const key = keyOf(part);
    let totals = map.get(key);
    if (totals === undefined) {
      totals = newTotals(part.type);
      map.set(key, totals);
    }
    addPart(totals, part);
  }
  return map;
}

/** Slot numbers of a time series over the range, at most MAX_POINTS. */
function slotsOf(filter: RangeFilter, intervalMs: number): number[] {
  const first = Math.floor(filter.fromMs / intervalMs);
  const last = Math.min(Math.ceil(filter.toMs / intervalMs) - 1, first + MAX_POINTS - 1);
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

/**
 * The Store over any SqlDriver: every query is written once, for SQLite and PostgreSQL
 * alike. Aggregates (services, groups, time series, distributions, error groups) read the
 * rollups that write() keeps; single events (traces, samples, the slowest) read the events.
 */
export class SqlStore implements Store {
  readonly #db: SqlDriver;
  readonly #rollups: RollupReader;
  readonly anomalies: AnomalyStore;

  constructor(driver: SqlDriver) {
    this.#db = driver;
    this.#rollups = new RollupReader(driver);
    this.anomalies = new SqlAnomalyStore(driver);
  }

  get kind(): 'sqlite' | 'postgres' {
    return this.#db.kind;
  }

  write(batch: EventBatch): Promise<void> {
    return this.#db.insert(batch, rollupBatch(batch, (text) => this.#db.storedText(text)));
  }

  async services(filter: RangeFilter, page: Page, countsOverTimeMs?: number): Promise<ServiceSummary[]> {
    const query = { ...filter, slotMs: null };
    // Counts over time come summed per service and slot in SQL: no histogram per group and slot.
    const [transactions, counts, errors, metrics] = await Promise.all([
      this.#rollups.transactions(query),
      countsOverTimeMs === undefined ? [] : this.#rollups.transactionCounts({ ...filter, slotMs: countsOverTimeMs }),
      this.#rollups.errors(query), this.#rollups.metrics(query),
    ]);
    const byName = new Map<string, { environments: Set<string>; totals: TxTotals; errors: number; lastUs: number }>();
    const entry = (service: string) => {
      let summary = byName.get(service);
      if (summary === undefined) {
        summary = { environments: new Set(), totals: newTotals(''), errors: 0, lastUs: 0 };
        byName.set(service, summary);
      }
      return summary;
    };
    for (const part of transactions) {
      const summary = entry(part.service);
      if (part.environment !== null) summary.environments.add(part.environment);
      addPart(summary.totals, part);
      summary.lastUs = Math.max(summary.lastUs, part.lastUs);
    }
    for (const part of errors) {
      const summary = entry(part.service);
      summary.errors += part.count;
      summary.lastUs = Math.max(summary.lastUs, part.lastUs);
    }
    for (const part of metrics) {
      const summary = entry(part.service);
      if (part.environment !== null) summary.environments.add(part.environment);
      summary.lastUs = Math.max(summary.lastUs, part.lastUs);
    }
    // Errors carry no environment in their parts; a service's environments come from its transactions and metrics.
    const minutes = minutesIn(filter);
    const slots = countsOverTimeMs === undefined ? null : slotsOf(filter, countsOverTimeMs);
    const countsBySlot = new Map<string, Map<number, number>>();
    for (const part of counts) {
      let bySlot = countsBySlot.get(part.service);
      if (bySlot === undefined) countsBySlot.set(part.service, (bySlot = new Map()));
      bySlot.set(part.slot, (bySlot.get(part.slot) ?? 0) + part.count);
    }
    return [...byName.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(page.offset, page.offset + page.limit)
      .map(([name, s]) => {
        const count = s.totals.count;
        const [p50Ms, p95Ms, p99Ms] = count === 0 ? [null, null, null] : percentiles(s.totals.histogram);
        return {
          name,
          environments: [...s.environments].sort(),
          transactionCount: count,
          errorCount: s.errors,
          lastSeenMs: toMs(s.lastUs),
          throughputPerMin: roundMs(count / minutes),
          errorRate: rate(s.totals.failures, count),
          avgMs: count === 0 ? null : roundMs(s.totals.sumMs / count),
          p50Ms, p95Ms, p99Ms,
          ...(slots === null ? {} : { countsOverTime: slots.map((slot) => countsBySlot.get(name)?.get(slot) ?? 0) }),
        };
      });
  }

  async transactionGroups(filter: RangeFilter & { service: string }, page: Page): Promise<TransactionGroup[]> {
    const parts = await this.#rollups.transactions({ ...filter, slotMs: null });
    const groups = [...totalsBy(parts, (p) => p.name)]
      .sort((a, b) => b[1].sumMs - a[1].sumMs || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(page.offset, page.offset + page.limit);
    if (groups.length === 0) return [];
    // A typical trace: the most recent in the group's median latency bucket, one index probe each.
    const samples = await this.#latestTraceIds(filter, groups.map(([name, g]) => ({ name, bucket: medianBucket(g.histogram) })));
    const minutes = minutesIn(filter);
    return groups.map(([name, g], i) => {
      const [p50Ms, p95Ms, p99Ms] = percentiles(g.histogram);
      return {
        name,
        type: g.type,
        count: g.count,
        throughputPerMin: roundMs(g.count / minutes),
        errorRate: rate(g.failures, g.count),
        avgMs: roundMs(g.sumMs / g.count),
        p50Ms, p95Ms, p99Ms,
        sampleTraceId: samples[i] ?? '',
      };
    });
  }

  transactionTimeseries(filter: TxFilter, intervalMs: number): Promise<TimeseriesPoint[]> {
    return this.#timeseries(filter, intervalMs);
  }

  serviceTimeseries(filter: RangeFilter & { service: string }, intervalMs: number): Promise<TimeseriesPoint[]> {
    return this.#timeseries({ ...filter, name: undefined }, intervalMs);
  }

  transactionDistribution(filter: TxFilter): Promise<DistributionBucket[]> {
    return this.#distribution(filter);
  }

  serviceDistribution(filter: RangeFilter & { service: string }): Promise<DistributionBucket[]> {
    return this.#distribution({ ...filter, name: undefined });
  }

  async #timeseries(filter: RangeFilter & { service: string; name: string | undefined }, intervalMs: number): Promise<TimeseriesPoint[]> {
    const parts = await this.#rollups.transactions({ ...filter, slotMs: intervalMs });
    const slots = totalsBy(parts, (p) => p.slot);
    const intervalMin = intervalMs / 60_000;
    // Empty slots are filled in so that charts show gaps as zero, not as interpolated lines.
    return slotsOf(filter, intervalMs).map((slot) => {
      const entry = slots.get(slot);
      if (entry === undefined || entry.count === 0) {
        return { timestampMs: slot * intervalMs, count: 0, throughputPerMin: 0, errorRate: 0, avgMs: null, p50Ms: null, p95Ms: null, p99Ms: null };
      }
      const [p50Ms, p95Ms, p99Ms] = percentiles(entry.histogram);
      return {
        timestampMs: slot * intervalMs,
        count: entry.count,
        throughputPerMin: roundMs(entry.count / intervalMin),
        errorRate: rate(entry.failures, entry.count),
        avgMs: roundMs(entry.sumMs / entry.count),
        p50Ms, p95Ms, p99Ms,
      };
    });
  }

  async #distribution(filter: RangeFilter & { service: string; name: string | undefined }): Promise<DistributionBucket[]> {
    const parts = await this.#rollups.transactions({ ...filter, slotMs: null });
    const byName = totalsBy(parts, (p) => p.name);
    const merged: Histogram = new Map();
    // Each bucket's sample comes from the group with the most transactions in it, found by index.
    const sampleFrom = new Map<number, { name: string; count: number }>();
    for (const [name, totals] of byName) {
      mergeInto(merged, totals.histogram);
      for (const [bucket, count] of totals.histogram) {
        const best = sampleFrom.get(bucket);
        if (best === undefined || count > best.count) sampleFrom.set(bucket, { name, count });
      }
    }
    const buckets = sortedBuckets(merged).filter((b) => b.count > 0);
    const samples = await this.#latestTraceIds(filter, buckets.map((b) => ({ name: sampleFrom.get(b.bucket)!.name, bucket: b.bucket })));
    return buckets.map((b, i) => ({
      fromMs: roundMs(bucketLowerMs(b.bucket)),
      toMs: roundMs(bucketUpperMs(b.bucket)),
      count: b.count,
      sampleTraceId: samples[i] ?? null,
    }));
  }

  /**
   * The trace id of the most recent transaction of each group (and latency bucket) in the
   * range: one statement of correlated subqueries, each an index probe, not a scan.
   */
  async #latestTraceIds(filter: RangeFilter & { service: string }, lookups: Array<{ name: string; bucket: number }>): Promise<Array<string | null>> {
    const result: Array<string | null> = [];
    for (let start = 0; start < lookups.length; start += LOOKUPS_PER_STATEMENT) {
      const chunk = lookups.slice(start, start + LOOKUPS_PER_STATEMENT);
      const params: unknown[] = [];
      const columns = chunk.map((lookup, i) => {
        const where = new Where().add('service = ?', filter.service).add('name = ?', lookup.name)
          .add(`${SAMPLE_GROUP} = ?`, sampleGroupOf(lookup.bucket)).add('duration_bucket = ?', lookup.bucket);
        where.add('timestamp_us >= ?', Math.floor(filter.fromMs * 1000)).add('timestamp_us < ?', Math.floor(filter.toMs * 1000));
        where.addIf(filter.environment, 'environment = ?');
        params.push(...where.params);
        return `(SELECT trace_id FROM transactions ${where} ORDER BY timestamp_us DESC LIMIT 1) AS s${i}`;
      });
      const [row] = await this.#db.all<Row>(`SELECT ${columns.join(', ')}`, params);
      for (let i = 0; i < chunk.length; i++) result.push(row?.[`s${i}`] ?? null);
    }
    return result;
  }

  async transactionSamples(filter: SampleFilter, limit: number): Promise<TransactionSummary[]> {
    const where = new Where().add('service = ?', filter.service).add('name = ?', filter.name);
    const lowBucket = filter.minMs === undefined ? 0 : durationBucket(filter.minMs);
    const highBucket = filter.maxMs === undefined ? null : durationBucket(filter.maxMs);
    // One bucket (what the UI asks) is one run of the sample index, so the index also gives the time order.
    if (highBucket === lowBucket) where.add(`${SAMPLE_GROUP} = ?`, sampleGroupOf(lowBucket)).add('duration_bucket = ?', lowBucket);
    else {
      where.add(`${SAMPLE_GROUP} >= ?`, sampleGroupOf(lowBucket)).add('duration_bucket >= ?', lowBucket);
      if (highBucket !== null) where.add(`${SAMPLE_GROUP} <= ?`, sampleGroupOf(highBucket)).add('duration_bucket <= ?', highBucket);
    }
    where.add('timestamp_us >= ?', Math.floor(filter.fromMs * 1000)).add('timestamp_us < ?', Math.floor(filter.toMs * 1000));
    if (filter.minMs !== undefined) where.add('duration_ms >= ?', filter.minMs);
    if (filter.maxMs !== undefined) where.add('duration_ms < ?', filter.maxMs);
    where.addIf(filter.environment, 'environment = ?');
    const rows = await this.#db.all<Row>(
      `SELECT ${SUMMARY_COLUMNS} FROM transactions ${where} ORDER BY timestamp_us DESC, id LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map(toSummary);
  }

  async slowestTransactions(filter: RangeFilter, page: Page): Promise<TransactionSummary[]> {
    const where = new Where().range(filter);
    const rows = await this.#db.all<Row>(
      `SELECT ${SUMMARY_COLUMNS} FROM transactions ${where} ORDER BY duration_ms DESC, id LIMIT ? OFFSET ?`,
      [...where.params, page.limit, page.offset],
    );
    return rows.map(toSummary);
  }

  async trace(traceId: string): Promise<Trace | null> {
    const parse = (docs: string[]) => docs.map((doc) => JSON.parse(doc) as Record<string, unknown>);
    const docs = await traceDocs(this.#db, traceId);
    const [transactions, spans] = [parse(docs.transactions), parse(docs.spans)];
    const errorRows = await this.#db.all<Row>('SELECT doc FROM errors WHERE trace_id = ? ORDER BY timestamp_us, rowid_ LIMIT 10000', [traceId]);
    const errors = parse(errorRows.map((row) => row.doc));
    if (transactions.length + spans.length + errors.length === 0) return null;
    return { traceId, transactions, spans, errors };
  }

  async errorGroups(filter: RangeFilter, page: Page, countsOverTimeMs?: number): Promise<ErrorGroup[]> {
    const slotMs = countsOverTimeMs ?? null;
    const parts = await this.#rollups.errors({ ...filter, slotMs });
    const groups = new Map<string, ErrorGroup & { slots: Map<number, number> }>();
    for (const part of parts) {
      const id = `${part.fingerprint}\u0000${part.service}`;
      let group = groups.get(id);
      if (group === undefined) {
        group = {
          groupId: part.fingerprint, service: part.service, type: part.type, message: part.message, culprit: part.culprit,
          count: 0, handled: null, firstSeenMs: Infinity, lastSeenMs: 0, slots: new Map(),
        };
        groups.set(id, group);
      }
      mergeErrorPart(group, part);
      group.slots.set(part.slot, (group.slots.get(part.slot) ?? 0) + part.count);
    }
    const slots = slotMs === null ? null : slotsOf(filter, slotMs);
    return [...groups.values()]
      .sort((a, b) => b.lastSeenMs - a.lastSeenMs || (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
      .slice(page.offset, page.offset + page.limit)
      .map(({ slots: counts, ...group }) => (slots === null ? group : { ...group, countsOverTime: slots.map((slot) => counts.get(slot) ?? 0) }));
  }

  async errorGroup(groupId: string, filter: RangeFilter): Promise<ErrorGroupDetail | null> {
    const parts = await this.#rollups.errors({ ...filter, fingerprint: groupId, slotMs: null });
    if (parts.length === 0) return null;
    // A fingerprint includes the service, so all parts are one group.
    const group: ErrorGroup = {
      groupId, service: parts[0]!.service, type: parts[0]!.type, message: parts[0]!.message, culprit: parts[0]!.culprit,
      count: 0, handled: null, firstSeenMs: Infinity, lastSeenMs: 0,
    };
    for (const part of parts) mergeErrorPart(group, part);
    const where = new Where().range(filter).add('fingerprint = ?', groupId);
    const [latest] = await this.#db.all<Row>(
      `SELECT doc FROM errors ${where} ORDER BY timestamp_us DESC, rowid_ DESC LIMIT 1`,
      where.params,
    );
    if (latest === undefined) return null;
    return { ...group, latest: JSON.parse(latest.doc) };
  }

  async errorTimeseries(groupId: string, filter: RangeFilter, intervalMs: number): Promise<ErrorCountPoint[] | null> {
    const known = await this.#db.all<Row>(`SELECT 1 AS known FROM ${rollupTable(ERR_ROLLUP, HOUR)} WHERE fingerprint = ? LIMIT 1`, [groupId]);
    if (known.length === 0) return null;
    const parts = await this.#rollups.errors({ ...filter, fingerprint: groupId, slotMs: intervalMs });
    const counts = new Map<number, number>();
    for (const part of parts) counts.set(part.slot, (counts.get(part.slot) ?? 0) + part.count);
    return slotsOf(filter, intervalMs).map((slot) => ({ timestampMs: slot * intervalMs, count: counts.get(slot) ?? 0 }));
  }

  async metricSeries(filter: MetricFilter, page: Page, intervalMs?: number): Promise<MetricPoint[]> {
    const where = new Where().range(filter).addIf(filter.name, 'name = ?');
    if (intervalMs !== undefined) {
      const rows = await this.#db.all<Row>(
        `SELECT CAST(timestamp_us / ? AS BIGINT) AS slot, name, labels, AVG(value) AS value, COUNT(*) AS count FROM metrics ${where} ` +
          'GROUP BY slot, name, labels ORDER BY slot, name, labels LIMIT ? OFFSET ?',
        [intervalMs * 1000, ...where.params, page.limit, page.offset],
      );
      return rows.map((r) => ({
        timestampMs: Number(r.slot) * intervalMs,
        name: r.name,
        value: r.value === null ? null : Number(r.value),
        labels: JSON.parse(r.labels),
        count: Number(r.count),
      }));
    }
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
    // Trace keys of deleted rows (trace_rows is scanned: its key starts with the trace id).
    for (const table of ['trace_tail', 'trace_rows']) await this.#db.run(`DELETE FROM ${table} WHERE timestamp_us < ?`, [Math.floor(cutoffMs * 1000)]);
    await this.#db.run('DELETE FROM anomalies WHERE bucket_start_ms < ?', [cutoffMs]);
    // Rollup rows go once wholly older than the cutoff; the one straddling it keeps its counts until then.
    for (const def of ROLLUPS) {
      for (const level of LEVELS) await this.#db.run(`DELETE FROM ${rollupTable(def, level)} WHERE start_ms < ?`, [cutoffMs - level.ms]);
    }
    return deleted;
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}

const SUMMARY_COLUMNS = 'id, trace_id, service, environment, name, type, result, outcome, timestamp_us, duration_ms';

function toSummary(r: Row): TransactionSummary {
  return {
    id: r.id, traceId: r.trace_id, service: r.service, environment: r.environment, name: r.name, type: r.type,
    result: r.result, outcome: r.outcome, timestampMs: toMs(r.timestamp_us), durationMs: Number(r.duration_ms),
  };
}

/** The bucket holding the median transaction. */
function medianBucket(histogram: Histogram): number {
  const buckets = sortedBuckets(histogram);
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  let seen = 0;
  for (const b of buckets) {
    seen += b.count;
    if (seen * 2 >= total) return b.bucket;
  }
  return buckets[buckets.length - 1]?.bucket ?? 0;
}

function mergeErrorPart(group: ErrorGroup, part: { count: number; firstUs: number; lastUs: number; type: string; message: string; culprit: string; handled: number | null }): void {
  group.count += part.count;
  group.firstSeenMs = Math.min(group.firstSeenMs, toMs(part.firstUs));
  group.lastSeenMs = Math.max(group.lastSeenMs, toMs(part.lastUs));
  if (part.type < group.type) group.type = part.type;
  if (part.message < group.message) group.message = part.message;
  if (part.culprit < group.culprit) group.culprit = part.culprit;
  if (part.handled !== null && (group.handled === null || part.handled === 0)) group.handled = part.handled === 1;
}
