import type Database from 'better-sqlite3';
import { BetterSqlite3 } from './better-sqlite3.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventBatch } from '../model/event.js';
import type { SqlDriver } from './sql-driver.js';
import { schemaStatements, TABLES } from './schema.js';

/**
 * SQLite through better-sqlite3. Calls are synchronous, so a write blocks the event loop
 * for one batch; batches of ~1000 rows in one transaction take a few milliseconds in WAL
 * mode, which keeps intake responsive while writing tens of thousands of events a second.
 */
export class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #inserts: Array<{ key: keyof EventBatch; statement: Database.Statement; values: (row: any) => unknown[] }>;
  readonly #insertBatch: (batch: EventBatch) => void;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new BetterSqlite3(path);
    this.#db.pragma('journal_mode = WAL');
    // WAL with NORMAL sync loses at most the last transactions on power loss, never corrupts.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    // The trace_id index takes random keys, so each batch dirties pages all over it. A larger
    // cache and rarer checkpoints let a page be written once for many batches (measured about
    // twice the insert rate at a few hundred thousand rows; see bench/collector-ingest.js).
    this.#db.pragma('cache_size = -65536');
    this.#db.pragma('wal_autocheckpoint = 10000');
    for (const statement of schemaStatements('sqlite')) this.#db.exec(statement);
    this.#inserts = TABLES.map((table) => ({
      key: table.name,
      statement: this.#db.prepare(
        `INSERT INTO ${table.name} (${table.columns.map(([name]) => name).join(', ')}) ` +
          `VALUES (${table.columns.map(() => '?').join(', ')})`,
      ),
      values: table.values,
    }));
    this.#insertBatch = this.#db.transaction((batch: EventBatch) => {
      for (const insert of this.#inserts) {
        for (const row of batch[insert.key]) insert.statement.run(insert.values(row));
      }
    });
  }

  async all<Row>(sql: string, params: readonly unknown[]): Promise<Row[]> {
    return this.#db.prepare(sql).all(...params) as Row[];
  }

  async run(sql: string, params: readonly unknown[]): Promise<number> {
    return this.#db.prepare(sql).run(...params).changes;
  }

  async insert(batch: EventBatch): Promise<void> {
    this.#insertBatch(batch);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
