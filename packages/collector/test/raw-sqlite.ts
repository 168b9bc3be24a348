import { BetterSqlite3 as Database } from '../src/store/better-sqlite3.js';

/** `use` with a connection of its own to the SQLite file at `path` (a migration test's own SQL), closed after. */
export function withSqlite<T>(path: string, use: (db: InstanceType<typeof Database>) => T): T {
  const db = new Database(path);
  try {
    return use(db);
  } finally {
    db.close();
  }
}
