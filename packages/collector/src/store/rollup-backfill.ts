import { emptyBatch } from '../model/event.js';
import { mergeEncoded } from '../model/histogram.js';
import type { MigrationLog } from './migrate.js';
import { rollupColumns, rollupTable, ROLLUPS, type RollupDef, type RollupLevel } from './rollups.js';
import type { SqlDriver } from './sql-driver.js';

/** Rows of the finer level read at once: six hours of them (a multiple of every coarser level). */
const WINDOW_MS = 6 * 3_600_000;

type Row = Record<string, unknown>;

/** One value merged into another by the column's rule, as the upsert would. */
function merge(rule: 'add' | 'min' | 'max' | 'histogram', current: unknown, incoming: unknown): unknown {
  if (incoming === null || incoming === undefined) return current;
  if (current === null || current === undefined) return incoming;
  switch (rule) {
    case 'add':
      return (current as number) + (incoming as number);
    case 'min':
      return (incoming as number | string) < (current as number | string) ? incoming : current;
    case 'max':
      return (incoming as number | string) > (current as number | string) ? incoming : current;
    case 'histogram':
      return mergeEncoded(current as string, incoming as string);
  }
}

/** PostgreSQL returns BIGINT as text: numbers back to numbers, text as stored. */
function valueOf(type: 'text' | 'int' | 'real', value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'text') return typeof value === 'string' ? value : JSON.stringify(value);
  return Number(value);
}

/**
 * Fills the rollups of level `to` from those of the finer level `from` (whose length divides
 * `to`'s), six hours at a time, through the same upserts as ingest. Starts by emptying
 * `to`, so an interrupted run is simply run again.
 */
export async function backfillLevel(db: SqlDriver, from: RollupLevel, to: RollupLevel, log: MigrationLog): Promise<void> {
  for (const def of ROLLUPS) {
    const source = rollupTable(def, from);
    await db.run(`DELETE FROM ${rollupTable(def, to)}`, []);
    const [bounds] = await db.all<Row>(`SELECT MIN(start_ms) AS first_ms, MAX(start_ms) AS last_ms FROM ${source}`, []);
    if (bounds === undefined || bounds.first_ms === null || bounds.first_ms === undefined) continue;
    const startedAt = performance.now();
    const firstMs = Math.floor(Number(bounds.first_ms) / WINDOW_MS) * WINDOW_MS;
    const lastMs = Number(bounds.last_ms);
    let read = 0;
    for (let windowMs = firstMs; windowMs <= lastMs; windowMs += WINDOW_MS) {
      const rows = await db.all<Row>(
        `SELECT ${rollupColumns(def).join(', ')} FROM ${source} WHERE start_ms >= ? AND start_ms < ?`,
        [windowMs, windowMs + WINDOW_MS],
      );
      if (rows.length === 0) continue;
      read += rows.length;
      await db.insert(emptyBatch(), [{ def, level: to, rows: coarser(def, to, rows) }]);
    }
    log(`rollups: ${rollupTable(def, to)} filled from ${read.toLocaleString('en')} rows of ${source} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  }
}

/** Rows of a finer level merged per key into rows of `level`, sorted by key like ingest's. */
function coarser(def: RollupDef, level: RollupLevel, rows: Row[]): unknown[][] {
  const merged = new Map<string, unknown[]>();
  for (const row of rows) {
    const key = def.keys.map(([name, type]) => valueOf(type, row[name]));
    const startMs = Math.floor(Number(row.start_ms) / level.ms) * level.ms;
    const id = `${key.join('\u0000')}\u0000${startMs}`;
    const values = def.values.map(([name, type]) => valueOf(type, row[name]));
    const current = merged.get(id);
    if (current === undefined) {
      merged.set(id, [...key, startMs, ...values]);
      continue;
    }
    const offset = def.keys.length + 1;
    def.values.forEach(([, , rule], i) => {
      current[offset + i] = merge(rule, current[offset + i], values[i]);
    });
  }
  return [...merged.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, row]) => row);
}
