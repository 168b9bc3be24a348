import { durationBucket } from '../model/duration-buckets.js';
import type { ErrorRow, EventBatch, LogRow, MetricRow, SpanRow, TransactionRow } from '../model/event.js';

type ColumnType = 'text' | 'int' | 'real' | 'bool';

export interface TableDef<Row> {
  name: keyof EventBatch;
  columns: ReadonlyArray<readonly [string, ColumnType]>;
  /** Column values in the order of `columns`. */
  values(row: Row): unknown[];
  indexes: ReadonlyArray<readonly string[]>;
}

const bool = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);

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
  // (service, name, duration_bucket, timestamp_us) finds the recent samples of a latency bucket
  // without a scan; it replaced (service, name, timestamp_us) in schema version 2, whose
  // queries now read rollups (migrate.ts drops the old index). No trace_id index since schema
  // version 5: trace-index.ts finds a trace's rows by timestamp_us.
  indexes: [['service', 'timestamp_us'], ['service', 'name', 'duration_bucket', 'timestamp_us'], ['timestamp_us']],
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
      statements.push(`CREATE INDEX IF NOT EXISTS ${table.name}_${index.join('_')} ON ${table.name} (${index.join(', ')})`);
    }
  }
  return statements;
}
