import type { EventBatch } from '../model/event.js';
import type { RollupRows } from './rollups.js';

/**
 * The little each database must do; all query SQL is shared and written with `?`
 * placeholders, which the PostgreSQL driver numbers. Result column names are lower case.
 */
export interface SqlDriver {
  readonly kind: 'sqlite' | 'postgres';
  all<Row = Record<string, unknown>>(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; resolves to the number of rows changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
  /** Inserts every row of the batch and upserts its rollup rows, all in one transaction. */
  insert(batch: EventBatch, rollups: readonly RollupRows[]): Promise<void>;
  /** How the driver stores text (PostgreSQL drops NUL); rollup keys are merged after it. */
  storedText(value: string): string;
  close(): Promise<void>;
}
