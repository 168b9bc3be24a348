import { durationBucket } from '../model/duration-buckets.js';
import type { ErrorRow, EventBatch, LogRow, MetricRow, SpanRow, TransactionRow } from '../model/event.js';

type ColumnType = 'text' | 'int' | 'real' | 'bool';

export interface TableDef<Row> {
  name: keyof EventBatch;
  columns: ReadonlyArray<readonly [string, ColumnType]>;
  /** Column values in the order of `columns`. */
  values(row: Row): unknown[];
  /** Parts of each index, named after the table and its columns unless given a name. */
  indexes: ReadonlyArray<readonly string[] | { name: string; parts: readonly string[] }>;
}

const bool = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);

/** Adjacent latency buckets (16 a doubling) that share a run of the sample index. */
export const SAMPLE_GROUP_BUCKETS = 4;

/**
 * The sample index's third part, a run of SAMPLE_GROUP_BUCKETS latency buckets; queries
 * name it as written here, so that SQLite and PostgreSQL use the index. Schema versions 2-5
 * had `duration_bucket` itself there: with ~100 buckets in use, every write dirtied ~100
 * leaf pages of that index, each written to the WAL at commit (a third of a write's CPU for
 * the agent's ~1000-event requests). A quarter as many runs dirty a quarter as many pages;
 * `duration_bucket`, last in the index, is filtered on without reading the rows.
 */
export const SAMPLE_GROUP = `(duration_bucket / ${SAMPLE_GROUP_BUCKETS})`;

/** The SAMPLE_GROUP value of a latency bucket (buckets are never negative). */
export const sampleGroupOf = (bucket: number): number => Math.floor(bucket / SAMPLE_GROUP_BUCKETS);

/** The sample index (schema version 6). */
export const SAMPLE_INDEX = 'transactions_sample_runs';

const transactions: TableDef<TransactionRow> = {
  name: 'transactions',
  columns: [
    ['id', 'text'], ['trace_id', 'text'], ['parent_id', 'text'], ['service', 'text'], ['environment', 'text'],
    ['name', 'text'], ['type', 'text'], ['result', 'text'], ['outcome', 'text'], ['timestamp_us', 'int'],
    ['duration_ms', 'real'], ['duration_bucket', 'int'], ['sampled', 'bool'], ['doc', 'text'],
  ],
  values: (r) => [
    r.id, r.traceId, r.parentId, r.service, r.environment, r.name, r.type, r.result, r.outcome, r.timestampUs,
    r.durationMs, durationBucket(r.durationMs), bool(r.sampled), r.doc,
  ],
  // The sample index finds the recent samples of a latency bucket (see SAMPLE_GROUP). No
  // trace_id index since schema version 5: trace-index.ts finds a trace's rows by timestamp_us.
  indexes: [['service', 'timestamp_us'], { name: SAMPLE_INDEX, parts: ['service', 'name', SAMPLE_GROUP, 'timestamp_us', 'duration_bucket'] }, ['timestamp_us']],
};

const spans: TableDef<SpanRow> = {
  name: 'spans',
  columns: [
    ['id', 'text'], ['trace_id', 'text'], ['transaction_id', 'text'], ['parent_id', 'text'], ['service', 'text'],
    ['environment', 'text'], ['name', 'text'], ['type', 'text'], ['subtype', 'text'], ['action', 'text'],
    ['outcome', 'text'], ['timestamp_us', 'int'], ['duration_ms', 'real'], ['doc', 'text'],
  ],
  values: (r) => [
    r.id, r.traceId, r.transactionId, r.parentId, r.service, r.environment, r.name, r.type, r.subtype, r.action,
    r.outcome, r.timestampUs, r.durationMs, r.doc,
  ],
  // timestamp_us serves retention and trace lookups (trace-index.ts; no trace_id index since schema version 5).
  indexes: [['timestamp_us']],
};

const errors: TableDef<ErrorRow> = {
  name: 'errors',
  columns: [
    ['id', 'text'], ['trace_id', 'text'], ['transaction_id', 'text'], ['parent_id', 'text'], ['service', 'text'],
    ['environment', 'text'], ['fingerprint', 'text'], ['exception_type', 'text'], ['message', 'text'],
    ['culprit', 'text'], ['handled', 'bool'], ['timestamp_us', 'int'], ['doc', 'text'],
  ],
  values: (r) => [
    r.id, r.traceId, r.transactionId, r.parentId, r.service, r.environment, r.fingerprint, r.exceptionType,
    r.message, r.culprit, bool(r.handled), r.timestampUs, r.doc,
  ],
  indexes: [['fingerprint', 'timestamp_us'], ['service', 'timestamp_us'], ['trace_id'], ['timestamp_us']],
};

const metrics: TableDef<MetricRow> = {
  name: 'metrics',
  columns: [
    ['service', 'text'], ['environment', 'text'], ['name', 'text'], ['value', 'real'], ['labels', 'text'],
    ['timestamp_us', 'int'], ['doc', 'text'],
  ],
  values: (r) => [r.service, r.environment, r.name, r.value, r.labels, r.timestampUs, r.doc],
  indexes: [['service', 'name', 'timestamp_us'], ['timestamp_us']],
};

const logs: TableDef<LogRow> = {
  name: 'logs',
  columns: [
    ['service', 'text'], ['environment', 'text'], ['level', 'text'], ['message', 'text'], ['trace_id', 'text'],
    ['timestamp_us', 'int'], ['doc', 'text'],
  ],
  values: (r) => [r.service, r.environment, r.level, r.message, r.traceId, r.timestampUs, r.doc],
  indexes: [['service', 'timestamp_us'], ['timestamp_us']],
};

export const TABLES = [transactions, spans, errors, metrics, logs] as ReadonlyArray<TableDef<any>>;

const SQL_TYPES: Record<'sqlite' | 'postgres', Record<ColumnType, string>> = {
  sqlite: { text: 'TEXT', int: 'INTEGER', real: 'REAL', bool: 'INTEGER' },
  postgres: { text: 'TEXT', int: 'BIGINT', real: 'DOUBLE PRECISION', bool: 'SMALLINT' },
};

/** Idempotent DDL: each statement can run again on an existing database. */
export function schemaStatements(kind: 'sqlite' | 'postgres'): string[] {
  const statements: string[] = [];
  const rowId = kind === 'sqlite' ? 'rowid_ INTEGER PRIMARY KEY' : 'rowid_ BIGSERIAL PRIMARY KEY';
  for (const table of TABLES) {
    const columns = table.columns.map(([name, type]) => `${name} ${SQL_TYPES[kind][type]}`);
    statements.push(`CREATE TABLE IF NOT EXISTS ${table.name} (${rowId}, ${columns.join(', ')})`);
    for (const index of table.indexes) {
      const { name, parts } = 'name' in index ? index : { name: `${table.name}_${index.join('_')}`, parts: index };
      statements.push(`CREATE INDEX IF NOT EXISTS ${name} ON ${table.name} (${parts.join(', ')})`);
    }
  }
  return statements;
}
