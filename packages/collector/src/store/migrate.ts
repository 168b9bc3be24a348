import { emptyBatch, type TransactionRow } from '../model/event.js';
import { backfillLevel } from './rollup-backfill.js';
import { backfillTraceRows } from './trace-index.js';
import { LEVELS, MINUTE, rollupBatch, rollupTable, ROLLUPS, TEN_MINUTES } from './rollups.js';
import type { SqlDriver } from './sql-driver.js';

/**
 * Schema versions: 1 is the event tables alone; 2 adds the rollup tables, filled from the
 * events already stored; 3 adds the anomaly detector's tables (models, progress, records),
 * which start empty; 4 adds ten-minute rollups, filled from the minute rollups; 5 finds the
 * transactions and spans of a trace through `trace_rows` (trace-index.ts), filled from the
 * events, instead of their `trace_id` indexes, which it drops; 6 indexes transaction samples by
 * runs of latency buckets (schema.ts, SAMPLE_GROUP) instead of by bucket, and drops the old
 * index (the new one is built when the schema statements run at start-up). The version
 * lives in `sightline_schema`; a database without it is version 1 (or new).
 */
export const SCHEMA_VERSION = 6;

export type MigrationLog = (message: string) => void;

const BACKFILL_CHUNK = 20_000;

export const VERSION_TABLE_SQL = 'CREATE TABLE IF NOT EXISTS sightline_schema (id INTEGER PRIMARY KEY, version INTEGER NOT NULL)';

export async function schemaVersion(db: SqlDriver): Promise<number> {
  const [row] = await db.all<{ version: number }>('SELECT version FROM sightline_schema WHERE id = 1', []);
  return row === undefined ? 1 : Number(row.version);
}

/**
 * Brings a database at any older version up to SCHEMA_VERSION. The tables exist already
 * (their DDL is idempotent and runs first); this fills what they need from older data.
 * Callers serialise it (PostgreSQL: an advisory lock), and it can be interrupted: the
 * version is written last, and a backfill starts by emptying the rollups.
 */
export async function migrate(db: SqlDriver, log: MigrationLog): Promise<void> {
  const version = await schemaVersion(db);
  if (version >= SCHEMA_VERSION) return;
  if (version < 2) {
    await db.run('DROP INDEX IF EXISTS transactions_service_name_timestamp_us', []);
    // Every level, the ten-minute one included, from the events.
    await backfillRollups(db, log);
  }
  // Version 3 has nothing to fill: the detector learns from the buckets it sees from now on.
  if (version >= 2 && version < 4) await backfillLevel(db, MINUTE, TEN_MINUTES, log);
  if (version < 5) {
    const startedAt = performance.now();
    const stored = await db.all('SELECT 1 AS one FROM transactions UNION ALL SELECT 1 AS one FROM spans LIMIT 1', []);
    if (stored.length > 0) log('traces: indexing the trace keys of the stored transactions and spans (about half a minute a million)');
    const keys = await backfillTraceRows(db);
    if (keys > 0) log(`traces: ${keys.toLocaleString('en')} trace keys indexed in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    await db.run('DROP INDEX IF EXISTS transactions_trace_id', []);
    await db.run('DROP INDEX IF EXISTS spans_trace_id', []);
  }
  if (version < 6) await db.run('DROP INDEX IF EXISTS transactions_service_name_duration_bucket_timestamp_us', []);
  await db.run('DELETE FROM sightline_schema', []);
  await db.run('INSERT INTO sightline_schema (id, version) VALUES (1, ?)', [SCHEMA_VERSION]);
}

interface Source {
  table: 'transactions' | 'errors' | 'metrics';
  columns: string;
  toRow(row: Record<string, any>): unknown;
}

const SOURCES: Source[] = [
  {
    table: 'transactions',
    columns: 'service, environment, type, name, outcome, timestamp_us, duration_ms',
    toRow: (r): Partial<TransactionRow> => ({
      service: r.service, environment: r.environment, type: r.type, name: r.name, outcome: r.outcome,
      timestampUs: Number(r.timestamp_us), durationMs: Number(r.duration_ms),
    }),
  },
  {
    table: 'errors',
    columns: 'service, environment, fingerprint, exception_type, message, culprit, handled, timestamp_us',
    toRow: (r) => ({
      service: r.service, environment: r.environment, fingerprint: r.fingerprint, exceptionType: r.exception_type,
      message: r.message, culprit: r.culprit, handled: r.handled === null ? null : Number(r.handled) === 1,
      timestampUs: Number(r.timestamp_us),
    }),
  },
  {
    table: 'metrics',
    columns: 'service, environment, name, timestamp_us',
    toRow: (r) => ({ service: r.service, environment: r.environment, name: r.name, timestampUs: Number(r.timestamp_us) }),
  },
];

/** Fills the rollups from the events, in chunks by row id, through the same upserts as ingest. */
async function backfillRollups(db: SqlDriver, log: MigrationLog): Promise<void> {
  for (const def of ROLLUPS) for (const level of LEVELS) await db.run(`DELETE FROM ${rollupTable(def, level)}`, []);
  for (const source of SOURCES) {
    const [{ total }] = (await db.all<{ total: number }>(`SELECT COUNT(*) AS total FROM ${source.table}`, [])) as [{ total: number }];
    if (Number(total) === 0) continue;
    log(`rollups: backfilling from ${Number(total).toLocaleString('en')} ${source.table}`);
    const startedAt = performance.now();
    let lastRowId = -1;
    let done = 0;
    let loggedAt = startedAt;
    for (;;) {
      const rows = await db.all<Record<string, any>>(
        `SELECT rowid_, ${source.columns} FROM ${source.table} WHERE rowid_ > ? ORDER BY rowid_ LIMIT ${BACKFILL_CHUNK}`,
        [lastRowId],
      );
      if (rows.length === 0) break;
      lastRowId = Number(rows[rows.length - 1]!.rowid_);
      const batch: Record<Source['table'], unknown[]> = { transactions: [], errors: [], metrics: [] };
      batch[source.table] = rows.map(source.toRow);
      await db.insert(emptyBatch(), rollupBatch(batch as Parameters<typeof rollupBatch>[0], (text) => db.storedText(text)));
      done += rows.length;
      if (performance.now() - loggedAt > 2_000) {
        loggedAt = performance.now();
        log(`rollups: ${source.table} ${done.toLocaleString('en')} of ${Number(total).toLocaleString('en')}`);
      }
    }
    log(`rollups: ${done.toLocaleString('en')} ${source.table} done in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  }
}
