import type { EventBatch } from '../model/event.js';
import type { SqlDriver } from './sql-driver.js';

/**
 * Finding the transactions and spans of a trace without a `trace_id` index on their tables
 * (schema version 5). Trace ids are random, so such an index takes each new row on a
 * different page: a batch of 1000 rows dirtied ~1000 pages, each written to the WAL at
 * commit, and that cost grew with the database (about a third of a transaction's insert
 * cost at 30k rows, two thirds at 300k). Instead:
 *
 * - every write appends `(trace_id, table, timestamp_us)` of its transactions and spans to
 *   `trace_tail`, in arrival order (a few pages at the end of a table, in the same
 *   database transaction as the rows);
 * - once TAIL_MERGE_ROWS have gathered, a write also moves the tail, sorted, into
 *   `trace_rows`, keyed by `(trace_id, tbl, timestamp_us)`: sorted inserts of thousands of
 *   keys dirty each page once for many rows;
 * - a trace reads its timestamps from both (the tail is small enough to scan), then its rows
 *   by `timestamp_us` (indexed) and `trace_id`.
 *
 * Errors keep their own `trace_id` index: there are few of them.
 */

/** Tail rows gathered before a write moves them into `trace_rows`; the tail is scanned by each trace lookup. */
export const TAIL_MERGE_ROWS = 20_000;

/** `tbl` values: which event table a key is for. */
export const TRACE_TABLES = { transactions: 0, spans: 1 } as const;

export function traceIndexStatements(kind: 'sqlite' | 'postgres'): string[] {
  if (kind === 'sqlite') {
    return [
      'CREATE TABLE IF NOT EXISTS trace_tail (rowid_ INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, tbl INTEGER NOT NULL, timestamp_us INTEGER NOT NULL)',
      'CREATE TABLE IF NOT EXISTS trace_rows (trace_id TEXT NOT NULL, tbl INTEGER NOT NULL, timestamp_us INTEGER NOT NULL, ' +
        'PRIMARY KEY (trace_id, tbl, timestamp_us)) WITHOUT ROWID',
    ];
  }
  return [
    'CREATE TABLE IF NOT EXISTS trace_tail (rowid_ BIGSERIAL PRIMARY KEY, trace_id TEXT NOT NULL, tbl SMALLINT NOT NULL, timestamp_us BIGINT NOT NULL)',
    // Deleted rows stay in PostgreSQL's pages until vacuumed, so a scan of the emptied tail read
    // all the tails before it (60 ms after 400k keys); an index on a table this small stays cheap.
    'CREATE INDEX IF NOT EXISTS trace_tail_trace_id ON trace_tail (trace_id)',
    'CREATE TABLE IF NOT EXISTS trace_rows (trace_id TEXT NOT NULL, tbl SMALLINT NOT NULL, timestamp_us BIGINT NOT NULL, ' +
      'PRIMARY KEY (trace_id, tbl, timestamp_us))',
  ];
}

export const TAIL_COLUMNS = ['trace_id', 'tbl', 'timestamp_us'] as const;

/** The tail rows of a batch: `[trace_id, tbl, timestamp_us]` of each transaction and span with a trace id. */
export function tailRows(batch: EventBatch): unknown[][] {
  const rows: unknown[][] = [];
  for (const tx of batch.transactions) if (tx.traceId) rows.push([tx.traceId, TRACE_TABLES.transactions, tx.timestampUs]);
  for (const span of batch.spans) if (span.traceId) rows.push([span.traceId, TRACE_TABLES.spans, span.timestampUs]);
  return rows;
}

/**
 * Statements that move the tail into `trace_rows`, run inside a write's transaction.
 * PostgreSQL: one statement, so rows another collector appends meanwhile stay for the next
 * move. SQLite has one writer: copy, then empty.
 */
export function mergeTailStatements(kind: 'sqlite' | 'postgres'): string[] {
  if (kind === 'sqlite') {
    return [
      'INSERT OR IGNORE INTO trace_rows (trace_id, tbl, timestamp_us) SELECT trace_id, tbl, timestamp_us FROM trace_tail ORDER BY trace_id, tbl, timestamp_us',
      'DELETE FROM trace_tail',
    ];
  }
  return [
    'WITH moved AS (DELETE FROM trace_tail RETURNING trace_id, tbl, timestamp_us) ' +
      'INSERT INTO trace_rows (trace_id, tbl, timestamp_us) SELECT DISTINCT trace_id, tbl, timestamp_us FROM moved ' +
      'ORDER BY trace_id, tbl, timestamp_us ON CONFLICT DO NOTHING',
  ];
}

/** Most rows a trace read returns per table (as before: LIMIT 10000). */
const TRACE_ROWS_LIMIT = 10_000;

/**
 * The documents of one trace's transactions and spans, each oldest first: the trace's
 * timestamps (from `trace_rows` and the tail, one scan of it for both tables), then the
 * rows at those timestamps with its trace id. The timestamps go to the second statement as
 * values: PostgreSQL, planning `IN (subquery)` on tables it had not analysed yet, scanned
 * the million-row table instead of probing the timestamp index (190 ms against 7 ms).
 */
export async function traceDocs(db: SqlDriver, traceId: string): Promise<Record<keyof typeof TRACE_TABLES, string[]>> {
  const keys = await db.all<{ tbl: number; timestamp_us: number }>(
    'SELECT tbl, timestamp_us FROM trace_rows WHERE trace_id = ? UNION SELECT tbl, timestamp_us FROM trace_tail WHERE trace_id = ? ' +
      'ORDER BY tbl, timestamp_us',
    [traceId, traceId],
  );
  const docs = { transactions: [] as string[], spans: [] as string[] };
  for (const [table, tbl] of Object.entries(TRACE_TABLES) as Array<[keyof typeof TRACE_TABLES, number]>) {
    const stamps = keys.filter((key) => Number(key.tbl) === tbl).slice(0, TRACE_ROWS_LIMIT).map((key) => Number(key.timestamp_us));
    if (stamps.length === 0) continue;
    const rows = await db.all<{ doc: string }>(
      `SELECT doc FROM ${table} WHERE trace_id = ? AND timestamp_us IN (${stamps.map(() => '?').join(', ')}) ` +
        `ORDER BY timestamp_us, rowid_ LIMIT ${TRACE_ROWS_LIMIT}`,
      [traceId, ...stamps],
    );
    docs[table] = rows.map((row) => row.doc);
  }
  return docs;
}

/** Fills `trace_rows` from the events already stored (migration to schema version 5). */
export async function backfillTraceRows(db: SqlDriver): Promise<number> {
  let filled = 0;
  const insert = db.kind === 'sqlite' ? 'INSERT OR IGNORE INTO' : 'INSERT INTO';
  const onConflict = db.kind === 'sqlite' ? '' : ' ON CONFLICT DO NOTHING';
  for (const [table, tbl] of Object.entries(TRACE_TABLES)) {
    filled += await db.run(
      `${insert} trace_rows (trace_id, tbl, timestamp_us) SELECT DISTINCT trace_id, ${tbl}, timestamp_us FROM ${table} ` +
        `WHERE trace_id IS NOT NULL AND timestamp_us IS NOT NULL ORDER BY trace_id, timestamp_us${onConflict}`,
      [],
    );
  }
  return filled;
}
