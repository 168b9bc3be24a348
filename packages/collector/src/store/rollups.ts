import { durationBucket } from '../model/duration-buckets.js';
import type { EventBatch } from '../model/event.js';
import { addCount, encodeHistogram, type Histogram } from '../model/histogram.js';

/**
 * Pre-aggregated rollups, kept up to date by every write in the same transaction as the
 * events: per minute, ten minutes and hour, per transaction group (count, failures, total
 * and histogram of duration), per error group (count, first and last seen) and per metric
 * name (count, last seen). Aggregate queries read these instead of scanning events; see
 * range-plan.ts for how a range is split between rollup levels and raw events. The
 * ten-minute level keeps a day's time series in half-hour points (what the UI draws for
 * 24 h) at 144 rows per group instead of 1,440, and a range's ragged ends short.
 *
 * Every update is an additive upsert (`ON CONFLICT DO UPDATE SET count = count + …`),
 * which stays exact when several collectors write to one PostgreSQL at once.
 */
export interface RollupLevel {
  /** Table name suffix. */
  readonly suffix: '1m' | '10m' | '1h';
  readonly ms: number;
}

export const MINUTE: RollupLevel = { suffix: '1m', ms: 60_000 };
export const TEN_MINUTES: RollupLevel = { suffix: '10m', ms: 600_000 };
export const HOUR: RollupLevel = { suffix: '1h', ms: 3_600_000 };
/** Finest first; each level's length divides the next one's. */
export const LEVELS: readonly RollupLevel[] = [MINUTE, TEN_MINUTES, HOUR];

type ColumnType = 'text' | 'int' | 'real';
type Merge = 'add' | 'min' | 'max' | 'histogram';

export interface RollupDef {
  readonly name: 'tx' | 'err' | 'metric';
  /** Key columns besides start_ms; `environment` is '' for events without one (NULL would defeat the unique key). */
  readonly keys: ReadonlyArray<readonly [string, ColumnType]>;
  readonly values: ReadonlyArray<readonly [string, ColumnType, Merge]>;
  /** Extra indexes, besides the primary key (service, start_ms, other keys) and (start_ms). */
  readonly indexes: ReadonlyArray<readonly string[]>;
}

export const TX_ROLLUP: RollupDef = {
  name: 'tx',
  keys: [['service', 'text'], ['environment', 'text'], ['type', 'text'], ['name', 'text']],
  values: [
    ['count', 'int', 'add'], ['failures', 'int', 'add'], ['sum_ms', 'real', 'add'],
    ['first_us', 'int', 'min'], ['last_us', 'int', 'max'], ['hist', 'text', 'histogram'],
  ],
  indexes: [],
};

export const ERR_ROLLUP: RollupDef = {
  name: 'err',
  keys: [['service', 'text'], ['environment', 'text'], ['fingerprint', 'text']],
  values: [
    ['count', 'int', 'add'], ['first_us', 'int', 'min'], ['last_us', 'int', 'max'],
    // The group's representative fields are the least of each, as MIN() over the events gave.
    ['exception_type', 'text', 'min'], ['message', 'text', 'min'], ['culprit', 'text', 'min'], ['handled', 'int', 'min'],
  ],
  indexes: [['fingerprint', 'start_ms']],
};

export const METRIC_ROLLUP: RollupDef = {
  name: 'metric',
  keys: [['service', 'text'], ['environment', 'text'], ['name', 'text']],
  values: [['count', 'int', 'add'], ['first_us', 'int', 'min'], ['last_us', 'int', 'max']],
  indexes: [],
};

export const ROLLUPS: readonly RollupDef[] = [TX_ROLLUP, ERR_ROLLUP, METRIC_ROLLUP];

export const rollupTable = (def: RollupDef, level: RollupLevel): string => `rollup_${def.name}_${level.suffix}`;

/** Every column in insert order: keys, start_ms, values. */
export const rollupColumns = (def: RollupDef): string[] => [
  ...def.keys.map(([name]) => name), 'start_ms', ...def.values.map(([name]) => name),
];

const SQL_TYPES: Record<'sqlite' | 'postgres', Record<ColumnType, string>> = {
  sqlite: { text: 'TEXT', int: 'INTEGER', real: 'REAL' },
  postgres: { text: 'TEXT', int: 'BIGINT', real: 'DOUBLE PRECISION' },
};

/** The PostgreSQL twin of mergeEncoded() in model/histogram.ts; SQLite gets the JavaScript one. */
export const PG_HISTOGRAM_MERGE_FUNCTION =
  'CREATE OR REPLACE FUNCTION sightline_hist_merge(a TEXT, b TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$ ' +
  "SELECT COALESCE((SELECT jsonb_object_agg(k, n)::text FROM (SELECT k, SUM(v::bigint) AS n FROM (" +
  "SELECT key AS k, value AS v FROM jsonb_each_text(COALESCE(a, '{}')::jsonb) UNION ALL " +
  "SELECT key, value FROM jsonb_each_text(COALESCE(b, '{}')::jsonb)) AS u GROUP BY k) AS s), '{}') $$";

/** Idempotent DDL for every rollup table. */
export function rollupSchemaStatements(kind: 'sqlite' | 'postgres'): string[] {
  const statements: string[] = [];
  for (const def of ROLLUPS) {
    for (const level of LEVELS) {
      const table = rollupTable(def, level);
      const columns = [
        ...def.keys.map(([name, type]) => `${name} ${SQL_TYPES[kind][type]} NOT NULL`),
        `start_ms ${SQL_TYPES[kind].int} NOT NULL`,
        ...def.values.map(([name, type]) => `${name} ${SQL_TYPES[kind][type]}`),
      ];
      // Service and time lead the key: nearly every query names a service and a range.
      const primaryKey = ['service', 'start_ms', ...def.keys.map(([name]) => name).filter((name) => name !== 'service')];
      statements.push(
        `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(', ')}, PRIMARY KEY (${primaryKey.join(', ')}))` +
          (kind === 'sqlite' ? ' WITHOUT ROWID' : ''),
      );
      for (const index of [['start_ms'], ...def.indexes]) {
        statements.push(`CREATE INDEX IF NOT EXISTS ${table}_${index.join('_')} ON ${table} (${index.join(', ')})`);
      }
    }
  }
  return statements;
}

/** `INSERT … ON CONFLICT DO UPDATE` for `rows` rows (the same SQL in SQLite and PostgreSQL, `?` placeholders). */
export function upsertSql(def: RollupDef, level: RollupLevel, rows: number): string {
  const table = rollupTable(def, level);
  const columns = rollupColumns(def);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const updates = def.values.map(([name, , merge]) => {
    const current = `${table}.${name}`;
    const incoming = `excluded.${name}`;
    switch (merge) {
      case 'add':
        return `${name} = ${current} + ${incoming}`;
      case 'min':
        return `${name} = CASE WHEN ${current} IS NULL OR ${incoming} < ${current} THEN ${incoming} ELSE ${current} END`;
      case 'max':
        return `${name} = CASE WHEN ${current} IS NULL OR ${incoming} > ${current} THEN ${incoming} ELSE ${current} END`;
      case 'histogram':
        return `${name} = sightline_hist_merge(${current}, ${incoming})`;
    }
  });
  const conflict = [...def.keys.map(([name]) => name), 'start_ms'];
  return (
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')} ` +
    `ON CONFLICT (${conflict.join(', ')}) DO UPDATE SET ${updates.join(', ')}`
  );
}

/** The rows one write adds to one rollup table, merged per key and sorted by key. */
export interface RollupRows {
  def: RollupDef;
  level: RollupLevel;
  /** Column values in rollupColumns() order. */
  rows: unknown[][];
}

interface TxAcc {
  key: unknown[];
  count: number;
  failures: number;
  sumMs: number;
  firstUs: number;
  lastUs: number;
  histogram: Histogram;
}

interface ErrAcc {
  key: unknown[];
  count: number;
  firstUs: number;
  lastUs: number;
  type: string;
  message: string;
  culprit: string;
  handled: number | null;
}

interface MetricAcc {
  key: unknown[];
  count: number;
  firstUs: number;
  lastUs: number;
}

const same = (value: string): string => value;
const minText = (a: string, b: string): string => (b < a ? b : a);
const startMs = (timestampUs: number, level: RollupLevel): number => Math.floor(timestampUs / 1000 / level.ms) * level.ms;

/** Whether a transaction rollup key (service, environment, type, name, start) is of this group. */
const sameTxGroup = (key: unknown[], service: string, environment: string, type: string, name: string): boolean =>
  key[3] === name && key[0] === service && key[2] === type && key[1] === environment;

/** Sorted by key so that concurrent writers lock rows in the same order and cannot deadlock. */
function sortedRows<Acc>(map: Map<string, Acc>, toRow: (acc: Acc) => unknown[]): unknown[][] {
  return [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, acc]) => toRow(acc));
}

/**
 * The rollup rows of one batch: events merged per key in the application first, so a
 * batch makes one upsert per key and level, not one per event. `text` is applied to stored
 * text first (PostgreSQL's driver strips NUL, so keys must merge after that, not before).
 */
export function rollupBatch(
  batch: Pick<EventBatch, 'transactions' | 'errors' | 'metrics'>,
  text: (value: string) => string = same,
): RollupRows[] {
  const result: RollupRows[] = [];
  if (batch.transactions.length > 0) {
    // Every level in one pass: the bucket and the key's text are worked out once per event.
    const maps = LEVELS.map(() => new Map<string, TxAcc>());
    // The accumulators of the previous transaction: an agent's batch is mostly runs of one
    // group in one minute, found again without building and hashing a key per level.
    const previous: Array<TxAcc | undefined> = LEVELS.map(() => undefined);
    for (const t of batch.transactions) {
      const service = text(t.service);
      const environment = text(t.environment ?? '');
      const type = text(t.type);
      const name = text(t.name);
      const sameGroup = previous[0] !== undefined && sameTxGroup(previous[0].key, service, environment, type, name);
      let prefix: string | null = null;
      const bucket = durationBucket(t.durationMs);
      const failed = t.outcome === 'failure' ? 1 : 0;
      for (let level = 0; level < LEVELS.length; level++) {
        const start = startMs(t.timestampUs, LEVELS[level]!);
        let acc = sameGroup && previous[level]!.key[4] === start ? previous[level]! : undefined;
        if (acc === undefined) {
          prefix ??= `${service}\u0000${environment}\u0000${type}\u0000${name}\u0000`;
          const id = prefix + start;
          const map = maps[level]!;
          acc = map.get(id);
          if (acc === undefined) {
            acc = { key: [service, environment, type, name, start], count: 0, failures: 0, sumMs: 0, firstUs: t.timestampUs, lastUs: t.timestampUs, histogram: new Map() };
            map.set(id, acc);
          }
          previous[level] = acc;
        }
        acc.count += 1;
        acc.failures += failed;
        acc.sumMs += t.durationMs;
        if (t.timestampUs < acc.firstUs) acc.firstUs = t.timestampUs;
        if (t.timestampUs > acc.lastUs) acc.lastUs = t.timestampUs;
        addCount(acc.histogram, bucket, 1);
      }
    }
    LEVELS.forEach((level, i) => result.push({
      def: TX_ROLLUP, level,
      rows: sortedRows(maps[i]!, (a) => [...a.key, a.count, a.failures, a.sumMs, a.firstUs, a.lastUs, encodeHistogram(a.histogram)]),
    }));
  }
  if (batch.errors.length > 0) {
    const maps = LEVELS.map(() => new Map<string, ErrAcc>());
    for (const e of batch.errors) {
      const service = text(e.service);
      const environment = text(e.environment ?? '');
      const fingerprint = text(e.fingerprint);
      const type = text(e.exceptionType);
      const message = text(e.message);
      const culprit = text(e.culprit);
      const handled = e.handled === null ? null : e.handled ? 1 : 0;
      for (let level = 0; level < LEVELS.length; level++) {
        const start = startMs(e.timestampUs, LEVELS[level]!);
        const id = `${service}\u0000${environment}\u0000${fingerprint}\u0000${start}`;
        const map = maps[level]!;
        let acc = map.get(id);
        if (acc === undefined) {
          acc = { key: [service, environment, fingerprint, start], count: 0, firstUs: e.timestampUs, lastUs: e.timestampUs, type, message, culprit, handled };
          map.set(id, acc);
        }
        acc.count += 1;
        if (e.timestampUs < acc.firstUs) acc.firstUs = e.timestampUs;
        if (e.timestampUs > acc.lastUs) acc.lastUs = e.timestampUs;
        acc.type = minText(acc.type, type);
        acc.message = minText(acc.message, message);
        acc.culprit = minText(acc.culprit, culprit);
        if (handled !== null && (acc.handled === null || handled < acc.handled)) acc.handled = handled;
      }
    }
    LEVELS.forEach((level, i) => result.push({
      def: ERR_ROLLUP, level,
      rows: sortedRows(maps[i]!, (a) => [...a.key, a.count, a.firstUs, a.lastUs, a.type, a.message, a.culprit, a.handled]),
    }));
  }
  if (batch.metrics.length > 0) {
    const maps = LEVELS.map(() => new Map<string, MetricAcc>());
    for (const m of batch.metrics) {
      const service = text(m.service);
      const environment = text(m.environment ?? '');
      const name = text(m.name);
      for (let level = 0; level < LEVELS.length; level++) {
        const start = startMs(m.timestampUs, LEVELS[level]!);
        const id = `${service}\u0000${environment}\u0000${name}\u0000${start}`;
        const map = maps[level]!;
        let acc = map.get(id);
        if (acc === undefined) {
          acc = { key: [service, environment, name, start], count: 0, firstUs: m.timestampUs, lastUs: m.timestampUs };
          map.set(id, acc);
        }
        acc.count += 1;
        if (m.timestampUs < acc.firstUs) acc.firstUs = m.timestampUs;
        if (m.timestampUs > acc.lastUs) acc.lastUs = m.timestampUs;
      }
    }
    LEVELS.forEach((level, i) => result.push({ def: METRIC_ROLLUP, level, rows: sortedRows(maps[i]!, (a) => [...a.key, a.count, a.firstUs, a.lastUs]) }));
  }
  return result;
}
