/**
 * The people table in a SQLite file through better-sqlite3. The driver is required only
 * when the store opens, after the app has started the agent, so that it is instrumented.
 */
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { READ_LIMIT, randomPerson, type CityCount, type PeopleStore, type Person } from './people.js';

const require = createRequire(import.meta.url);
// Node 24 changed node::ObjectWrap and better-sqlite3 12 then aborts when the GC frees a
// statement; 13 (Node-API) fixes that but crashes on Node 20. Both are installed.
const BETTER_SQLITE3 = Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-13' : 'better-sqlite3';

export function openSqlitePeople(file: string): PeopleStore {
  mkdirSync(dirname(file), { recursive: true });
  const Database = require(BETTER_SQLITE3) as typeof BetterSqlite3;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, city TEXT NOT NULL)');

  // SQLite has no sleep: a function that keeps the statement busy, as a slow query would.
  db.function('demo_stall', (ms) => {
    const until = performance.now() + Number(ms);
    while (performance.now() < until);
    return 1;
  });
  const stall = db.prepare<[number]>('SELECT demo_stall(?)');
  const insert = db.prepare<[string, string]>('INSERT INTO people (name, city) VALUES (?, ?)');
  const recent = db.prepare<[number], Person>('SELECT id, name, city FROM people ORDER BY id DESC LIMIT ?');
  const byCity = db.prepare<[], CityCount>('SELECT city, COUNT(*) AS count FROM people GROUP BY city ORDER BY count DESC');
  const insertFive = db.transaction(() => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { name, city } = randomPerson();
      ids.push(Number(insert.run(name, city).lastInsertRowid));
    }
    return ids;
  });

  return {
    kind: 'sqlite',
    async insertFive() {
      return insertFive.immediate();
    },
    async readRecent() {
      return recent.all(READ_LIMIT);
    },
    async countByCity() {
      return byCity.all();
    },
    async stall(ms) {
      stall.get(ms);
    },
    async close() {
      db.close();
    },
  };
}
