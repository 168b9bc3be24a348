import { resolve } from 'node:path';
import { CollectorError } from '../errors.js';
import { PostgresDriver } from './postgres.js';
import { SqliteDriver } from './sqlite.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Schema for PostgreSQL (created if missing); ignored for SQLite. */
  pgSchema?: string | undefined;
  /** Told the progress of a migration at start-up (e.g. rollups filled from existing events). */
  log?: ((message: string) => void) | undefined;
}

/**
 * Opens (and creates or migrates) the database at `location`: a postgres:// or
 * postgresql:// URL, or a SQLite file path (`:memory:` for a throwaway database).
 */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    return new SqlStore(await PostgresDriver.open({ url: location, schema: options.pgSchema, log: options.log }));
  }
  const sqlitePath = location.replace(/^sqlite:(\/\/)?/i, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(sqlitePath)) {
    throw new CollectorError(
      'SIGHTLINE_ERR_STORE_URL',
      `unsupported database ${JSON.stringify(location)}: give a SQLite file path or a postgres:// URL`,
    );
  }
  const path = location === ':memory:' ? location : resolve(sqlitePath);
  return new SqlStore(await SqliteDriver.open(path, options.log ?? (() => {})));
}
