import type { EventBatch } from '../model/event.js';

/**
 * The little each database must do; all query SQL is shared and written with `?`
 * placeholders, which the PostgreSQL driver numbers. Result column names are lower case.
 */
export interface SqlDriver {
  readonly kind: 'sqlite' | 'postgres';
  all<Row = Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; resolves to the number of rows changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
  /** Inserts every row of the batch in one transaction. */
  insert(batch: EventBatch): Promise<void>;
  close(): Promise<void>;
}
