import pg from 'pg';
import type { EventBatch } from '../model/event.js';
import { CollectorError } from '../errors.js';
import { anomalySchemaStatements } from './anomaly-store.js';
import { migrate, VERSION_TABLE_SQL, type MigrationLog } from './migrate.js';
import { PG_HISTOGRAM_MERGE_FUNCTION, rollupColumns, rollupSchemaStatements, upsertSql, type RollupRows } from './rollups.js';
import { PgLease } from './pg-lease.js';
import type { SqlDriver } from './sql-driver.js';
import { schemaStatements, TABLES } from './schema.js';
import { mergeTailStatements, TAIL_COLUMNS, TAIL_MERGE_ROWS, tailRows, traceIndexStatements } from './trace-index.js';

// One key for every collector sharing the database, so concurrent start-ups migrate in turn.
const MIGRATION_LOCK_KEY = 0x5167_6874;
// Held (for a transaction) by the collector moving trace_tail into trace_rows.
const TAIL_LOCK_KEY = 0x5167_6875;
// PostgreSQL allows 65535 parameters per statement.
const MAX_PARAMS = 60_000;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

// Counts and timestamps come back as int8; they stay below 2^53 (µs until year 2255).
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): any {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** PostgreSQL rejects NUL in text; agents can send one in a name or message. */
function clean(value: unknown): unknown {
  return typeof value === 'string' && value.includes('\0') ? value.replaceAll('\0', '') : value;
}

const cleanText = (value: string): string => (value.includes('\0') ? value.replaceAll('\0', '') : value);

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export interface PostgresOptions {
  url: string;
  /** Schema to create and use; lets tests (and tenants) share one database. */
  schema?: string | undefined;
  /** Told the progress of a migration (a backfill of rollups can take a while). */
  log?: MigrationLog | undefined;
}

export class PostgresDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  /** Rows this collector appended to trace_tail since it last moved it (see trace-index.ts). */
  #tailRows = 0;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(options: PostgresOptions): Promise<PostgresDriver> {
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
      throw new CollectorError('SIGHTLINE_ERR_STORE_URL', `schema must be a lower-case identifier, got ${schema}`);
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 8,
      types,
      // Named so operators (and tests) can find its sessions in pg_stat_activity; a URL's ?application_name= wins.
      application_name: 'sightline-collector',
      // A server that accepts no connection must fail the write (503), not hang the requests waiting on it.
      connectionTimeoutMillis: 10_000,
      ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client losing its server must not crash the collector; the next query reconnects.
    pool.on('error', () => {});
    const driver = new PostgresDriver(pool);
    // Lost mid-migration, the next query fails and so does the start-up.
    let lease: PgLease | undefined;
    try {
      lease = await PgLease.take(pool);
      const client = lease.client;
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        const statements = [...schemaStatements('postgres'), PG_HISTOGRAM_MERGE_FUNCTION, ...rollupSchemaStatements('postgres'), ...anomalySchemaStatements('postgres'), ...traceIndexStatements('postgres'), VERSION_TABLE_SQL];
        for (const statement of statements) await client.query(statement);
        // Other collectors wait on the lock meanwhile, so none writes events the backfill would miss.
        await migrate(driver, options.log ?? (() => {}));
        const { rows: [tail] } = await client.query<{ n: number }>('SELECT COUNT(*) AS n FROM trace_tail');
        driver.#tailRows = Number(tail?.n ?? 0);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } catch (error) {
      lease?.release();
      await pool.end();
      throw error;
    }
    lease.release();
    return driver;
  }

  async all<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    const result = await this.#pool.query(numbered(sql), params as unknown[]);
    return result.rows as Row[];
  }

  async run(sql: string, params: readonly unknown[]): Promise<number> {
    const result = await this.#pool.query(numbered(sql), params as unknown[]);
    return result.rowCount ?? 0;
  }

  storedText(value: string): string {
    return cleanText(value);
  }

  async insert(batch: EventBatch, rollups: readonly RollupRows[]): Promise<void> {
    // Its connection dying between two queries (a server restart, pg_terminate_backend) fails the write, not the collector.
    const lease = await PgLease.take(this.#pool);
    const client = lease.client;
    let merge = false;
    let added = 0;
    try {
      await client.query('BEGIN');
      for (const table of TABLES) {
        const rows = batch[table.name] as unknown[];
        const width = table.columns.length;
        const rowsPerStatement = Math.floor(MAX_PARAMS / width);
        for (let start = 0; start < rows.length; start += rowsPerStatement) {
          const chunk = rows.slice(start, start + rowsPerStatement);
          const params: unknown[] = [];
          const tuples: string[] = [];
          for (const row of chunk) {
            const base = params.length;
            for (const value of table.values(row)) params.push(clean(value));
            tuples.push(`(${table.columns.map((_, i) => `$${base + i + 1}`).join(', ')})`);
          }
          await client.query(
            `INSERT INTO ${table.name} (${table.columns.map(([name]) => name).join(', ')}) VALUES ${tuples.join(', ')}`,
            params,
          );
        }
      }
      // The batch's trace keys, appended; every TAIL_MERGE_ROWS moved into trace_rows, sorted.
      const tail = tailRows(batch);
      const rowsPerTailStatement = Math.floor(MAX_PARAMS / TAIL_COLUMNS.length);
      for (let start = 0; start < tail.length; start += rowsPerTailStatement) {
        const chunk = tail.slice(start, start + rowsPerTailStatement);
        const tuples = chunk.map((_, r) => `($${r * 3 + 1}, $${r * 3 + 2}, $${r * 3 + 3})`);
        await client.query(`INSERT INTO trace_tail (${TAIL_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, chunk.flat().map(clean));
      }
      if (this.#tailRows + tail.length >= TAIL_MERGE_ROWS) {
        // One collector moves the tail at a time (two at once could wait on each other's keys);
        // the others leave it and count on.
        const { rows: [lock] } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [TAIL_LOCK_KEY]);
        merge = lock?.ok === true;
        if (merge) for (const statement of mergeTailStatements('postgres')) await client.query(statement);
      }
      added = tail.length;
      // In key order (rollupBatch sorts), so two collectors upserting the same keys cannot deadlock.
      for (const rollup of rollups) {
        const width = rollupColumns(rollup.def).length;
        const rowsPerStatement = Math.floor(MAX_PARAMS / width);
        for (let start = 0; start < rollup.rows.length; start += rowsPerStatement) {
          const chunk = rollup.rows.slice(start, start + rowsPerStatement);
          const params: unknown[] = [];
          for (const row of chunk) for (const value of row) params.push(clean(value));
          await client.query(numbered(upsertSql(rollup.def, rollup.level, chunk.length)), params);
        }
      }
      await client.query('COMMIT');
      // Counted once committed: a failed write leaves the tail as it was.
      this.#tailRows = merge ? 0 : this.#tailRows + added;
    } catch (error) {
      if (!lease.lost) await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      lease.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
