/**
 * SQLite calls become db/sqlite spans, on real database files in a temp directory:
 * better-sqlite3 (prepare, run/get/all/iterate, exec, transactions) and node:sqlite where
 * Node has it (23+; Node 20 has none, and nothing must break there).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, flush, start, withTransaction } from '../src/index.js';
import { byName, expectLinked, shipped, traceOf } from './helpers/exit-spans.js';
import { IntakeServer } from './helpers/intake-server.js';

const intake = new IntakeServer();
const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'sightline-sqlite-'));
const nodeMajor = Number(process.versions.node.split('.')[0]);
let Database: any;

async function traced(fn: () => unknown) {
  let id = '';
  await withTransaction('sqlite test', async (tx) => {
    id = tx.id;
    await fn();
  });
  await flush();
  return traceOf(intake, id);
}

beforeAll(async () => {
  await intake.start();
  start({ serverUrl: intake.url, flushIntervalMs: 20, spanCompressionEnabled: false, metricsIntervalMs: 0 });
  Database = require(require('./helpers/better-sqlite3-name.cjs'));
});

afterAll(async () => {
  await close();
  await intake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('better-sqlite3', () => {
  it('records exec, run, get, all and iterate with statement, file name and rows', async () => {
    const db = new Database(join(dir, 'people.db'));
    let all: unknown;
    let iterated: string[] = [];
    const { tx, spans } = await traced(() => {
      db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, city TEXT)');
      db.prepare("INSERT INTO people (name, city) VALUES ('Ann', 'Oslo'), (?, ?)").run('Bo', 'Rome');
      db.prepare('SELECT name FROM people WHERE id = ?').get(1);
      all = db.prepare("SELECT name FROM people WHERE city <> 'Paris' ORDER BY id").all();
      iterated = [...db.prepare('SELECT name FROM people ORDER BY name DESC').iterate()].map((r: any) => r.name);
    });
    db.close();
    expect(all).toEqual([{ name: 'Ann' }, { name: 'Bo' }]);
    expect(iterated).toEqual(['Bo', 'Ann']);
    expect(spans.map((s) => s.name)).toEqual([
      'CREATE TABLE people',
      'INSERT INTO people',
      'SELECT FROM people',
      'SELECT FROM people',
      'SELECT FROM people',
    ]);
    expectLinked(spans, tx);
    for (const s of spans) {
      expect(s).toMatchObject({ type: 'db', subtype: 'sqlite', action: 'query', outcome: 'success' });
      expect(s.context.db.instance).toBe('people.db');
      expect(s.context.service.target).toEqual({ type: 'sqlite', name: 'people.db' });
    }
    expect(spans[1]!.context.db).toMatchObject({ statement: 'INSERT INTO people (name, city) VALUES (?, ?), (?, ?)', rows_affected: 2 });
    expect(spans[2]!.context.db).toMatchObject({ statement: 'SELECT name FROM people WHERE id = ?', rows_affected: 1 });
    expect(spans[3]!.context.db).toMatchObject({ statement: "SELECT name FROM people WHERE city <> ? ORDER BY id", rows_affected: 2 });
    expect(spans[4]!.context.db.rows_affected).toBe(2);
  });

  it('shows the statements of a transaction() inside it, BEGIN and COMMIT included', async () => {
    const db = new Database(join(dir, 'tx.db'));
    db.exec('CREATE TABLE items (n INTEGER)');
    const insert = db.prepare('INSERT INTO items (n) VALUES (?)');
    const insertMany = db.transaction((ns: number[]) => {
      for (const n of ns) insert.run(n);
    });
    const { tx, spans } = await traced(() => insertMany([1, 2]));
    db.close();
    expect(spans.map((s) => s.name)).toEqual(['BEGIN', 'INSERT INTO items', 'INSERT INTO items', 'COMMIT']);
    expectLinked(spans, tx);
  });

  it('ends a failing statement with outcome failure and captures the error, which the app still gets', async () => {
    const db = new Database(join(dir, 'fail.db'));
    let caught: any = null;
    const { tx, spans } = await traced(() => {
      try {
        db.exec('INSERT INTO missing_table VALUES (1)');
      } catch (err) {
        caught = err;
      }
    });
    db.close();
    expect(caught?.code).toBe('SQLITE_ERROR');
    expect(spans).toHaveLength(1);
    expectLinked(spans, tx);
    expect(spans[0]).toMatchObject({ name: 'INSERT INTO missing_table', outcome: 'failure' });
    const error = shipped(intake, 'error').find((e) => e.parent_id === spans[0]!.id);
    expect(error?.exception.message).toContain('missing_table');
  });

  it('ends an iterate() span when the loop breaks early', async () => {
    const db = new Database(join(dir, 'iter.db'));
    db.exec('CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (1), (2), (3)');
    const { spans } = await traced(() => {
      for (const row of db.prepare('SELECT v FROM n').iterate()) if ((row as any).v === 1) break;
    });
    db.close();
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ name: 'SELECT FROM n', outcome: 'success' });
  });
});

describe.skipIf(nodeMajor < 23)('node:sqlite', () => {
  it('records exec and statement calls', async () => {
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as any;
    const db = new DatabaseSync(join(dir, 'builtin.db'));
    let rows: unknown;
    const { tx, spans } = await traced(() => {
      db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)');
      db.prepare('INSERT INTO people (name) VALUES (?)').run('Ann');
      rows = db.prepare("SELECT name FROM people WHERE name = 'Ann'").all();
    });
    db.close();
    expect((rows as Array<{ name: string }>).map((r) => r.name)).toEqual(['Ann']); // null-prototype rows
    expect(spans.map((s) => s.name)).toEqual(['CREATE TABLE people', 'INSERT INTO people', 'SELECT FROM people']);
    expectLinked(spans, tx);
    expect(byName(spans, 'INSERT INTO people').context.db).toMatchObject({ instance: 'builtin.db', rows_affected: 1 });
    expect(byName(spans, 'SELECT FROM people').context.db.statement).toBe('SELECT name FROM people WHERE name = ?');
  });
});

if (nodeMajor < 23) console.warn(`skipping node:sqlite tests: Node ${process.versions.node} has no node:sqlite the agent instruments (23+)`);
