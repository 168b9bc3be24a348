import type Database from 'better-sqlite3';
import { BetterSqlite3 } from './better-sqlite3.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventBatch } from '../model/event.js';
import { mergeEncoded } from '../model/histogram.js';
import { anomalySchemaStatements } from './anomaly-store.js';
import { migrate, SCHEMA_VERSION, VERSION_TABLE_SQL, type MigrationLog } from './migrate.js';
import { rollupSchemaStatements, rollupTable, upsertSql, type RollupRows } from './rollups.js';
import type { SqlDriver } from './sql-driver.js';
import { schemaStatements, TABLES } from './schema.js';
import { mergeTailStatements, TAIL_COLUMNS, TAIL_MERGE_ROWS, tailRows, traceIndexStatements } from './trace-index.js';

/** Rows per multi-row INSERT: one call into SQLite for many rows (at most 14 columns × 32 = 448 parameters). */
const ROWS_PER_INSERT = 32;

/**
 * SQLite through better-sqlite3. Calls are synchronous, so a write blocks the event loop
 * for one batch; batches of ~1000 rows in one transaction take a few milliseconds in WAL
 * mode, which keeps intake responsive while writing tens of thousands of events a second.
 */
export class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #inserts: Array<{
    key: keyof EventBatch; one: Database.Statement; many: Database.Statement; values: (row: any) => unknown[];
    /** The multi-row statement's parameters, refilled for each run (bound before run returns). */
    params: unknown[];
  }>;
  readonly #upserts = new Map<string, Database.Statement>();
  readonly #insertBatch: (batch: EventBatch, rollups: readonly RollupRows[], tail: unknown[][], mergeTail: boolean) => void;
  /** Rows in trace_tail (see trace-index.ts). */
  #tailRows: number;

  /** Opens (creating or migrating) the database file. */
  static async open(path: string, log: MigrationLog): Promise<SqliteDriver> {
    const driver = new SqliteDriver(path);
    try {
      await migrate(driver, log);
    } catch (error) {
      await driver.close();
      throw error;
    }
    return driver;
  }

  private constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new BetterSqlite3(path);
    this.#db.pragma('journal_mode = WAL');
    // WAL with NORMAL sync loses at most the last transactions on power loss, never corrupts.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    // Indexes with random keys (errors' trace_id; trace_rows while the tail moves in) dirty pages
    // all over them. A larger cache and rarer checkpoints let a page be written once for many
    // batches (measured about twice the insert rate at a few hundred thousand rows).
    this.#db.pragma('cache_size = -65536');
    this.#db.pragma('wal_autocheckpoint = 10000');
    this.#db.function('sightline_hist_merge', { deterministic: true }, (current, incoming) =>
      mergeEncoded(current as string | null, incoming as string | null));
    // One transaction: each table or index of a new file is one page, written to the WAL once
    // (a commit per statement, and the migrations' no-op steps after it, wrote the first page
    // again each time: 612 KB of WAL before the first event, now 217 KB). A new file is at the
    // current version: there is nothing older in it to migrate.
    this.#db.transaction(() => {
      const fresh = (this.#db.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number }).n === 0;
      for (const statement of [...schemaStatements('sqlite'), ...rollupSchemaStatements('sqlite'), ...anomalySchemaStatements('sqlite'), ...traceIndexStatements('sqlite'), VERSION_TABLE_SQL]) {
        this.#db.exec(statement);
      }
      if (fresh) this.#db.prepare('INSERT INTO sightline_schema (id, version) VALUES (1, ?)').run(SCHEMA_VERSION);
    })();
    this.#inserts = TABLES.map((table) => {
      const sql = (rows: number) =>
        `INSERT INTO ${table.name} (${table.columns.map(([name]) => name).join(', ')}) VALUES ` +
        Array.from({ length: rows }, () => `(${table.columns.map(() => '?').join(', ')})`).join(', ');
      return {
        key: table.name, one: this.#db.prepare(sql(1)), many: this.#db.prepare(sql(ROWS_PER_INSERT)), values: table.values,
        params: Array.from({ length: table.columns.length * ROWS_PER_INSERT }, () => null),
      };
    });
    const tailSql = (rows: number) =>
      `INSERT INTO trace_tail (${TAIL_COLUMNS.join(', ')}) VALUES ` + Array.from({ length: rows }, () => '(?, ?, ?)').join(', ');
    const tailOne = this.#db.prepare(tailSql(1));
    const tailMany = this.#db.prepare(tailSql(ROWS_PER_INSERT));
    const tailParams: unknown[] = Array.from({ length: TAIL_COLUMNS.length * ROWS_PER_INSERT }, () => null);
    const mergeTail = mergeTailStatements('sqlite').map((sql) => this.#db.prepare(sql));
    this.#tailRows = (this.#db.prepare('SELECT COUNT(*) AS n FROM trace_tail').get() as { n: number }).n;
    this.#insertBatch = this.#db.transaction((batch: EventBatch, rollups: readonly RollupRows[], tail: unknown[][], merge: boolean) => {
      for (const insert of this.#inserts) {
        const rows = batch[insert.key] as unknown[];
        let next = 0;
        // Rows go in in the batch's order (rowid_ order is the order events arrived).
        const params = insert.params;
        for (; next + ROWS_PER_INSERT <= rows.length; next += ROWS_PER_INSERT) {
          let k = 0;
          for (let i = next; i < next + ROWS_PER_INSERT; i++) {
            const values = insert.values(rows[i]);
            for (let j = 0; j < values.length; j++) params[k++] = values[j];
          }
          insert.many.run(params);
        }
        for (; next < rows.length; next++) insert.one.run(insert.values(rows[next]));
      }
      // The batch's trace keys, appended; every TAIL_MERGE_ROWS moved into trace_rows, sorted.
      let next = 0;
      for (; next + ROWS_PER_INSERT <= tail.length; next += ROWS_PER_INSERT) {
        let k = 0;
        for (let i = next; i < next + ROWS_PER_INSERT; i++) for (const value of tail[i]!) tailParams[k++] = value;
        tailMany.run(tailParams);
      }
      for (; next < tail.length; next++) tailOne.run(tail[next]);
      if (merge) for (const statement of mergeTail) statement.run();
      for (const rollup of rollups) {
        const statement = this.#upsert(rollup);
        for (const row of rollup.rows) statement.run(row);
      }
    });
  }

  async all<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.#db.prepare(sql).all(...params) as Row[];
  }

  async run(sql: string, params: readonly unknown[]): Promise<number> {
    return this.#db.prepare(sql).run(...params).changes;
  }

  async insert(batch: EventBatch, rollups: readonly RollupRows[]): Promise<void> {
    const tail = tailRows(batch);
    const merge = this.#tailRows + tail.length >= TAIL_MERGE_ROWS;
    this.#insertBatch(batch, rollups, tail, merge);
    // Counted once committed: a failed write leaves the tail as it was.
    this.#tailRows = merge ? 0 : this.#tailRows + tail.length;
  }

  storedText(value: string): string {
    return value;
  }

  /** One prepared single-row upsert per rollup table: SQLite runs them as fast as a multi-row one. */
  #upsert(rollup: RollupRows): Database.Statement {
    const table = rollupTable(rollup.def, rollup.level);
    let statement = this.#upserts.get(table);
    if (statement === undefined) {
      statement = this.#db.prepare(upsertSql(rollup.def, rollup.level, 1));
      this.#upserts.set(table, statement);
    }
    return statement;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
