/**
 * MySQL/MariaDB queries through `mysql2` (its TracingChannels) become db/mysql spans,
 * checked on what the agent ships: callback and promise API, query and execute, pools,
 * failures with the error captured, and callbacks run in the caller's transaction.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, currentTransaction, flush, start, withTransaction } from '../src/index.js';
import { byName, expectLinked, shipped, traceOf } from './helpers/exit-spans.js';
import { IntakeServer } from './helpers/intake-server.js';
import { MARIADB_URL, serviceTestsRun } from './helpers/services.js';

const TABLE = 'sightline_mysql2_people';
const run = await serviceTestsRun('mariadb');
const intake = new IntakeServer();
const require = createRequire(import.meta.url);
let mysql: any;
let mysqlPromise: any;

async function traced(fn: () => Promise<unknown>) {
  let id = '';
  await withTransaction('mysql2 test', async (tx) => {
    id = tx.id;
    await fn();
  });
  await flush();
  return traceOf(intake, id);
}

describe.skipIf(!run)('mysql2', () => {
  beforeAll(async () => {
    await intake.start();
    start({ serverUrl: intake.url, flushIntervalMs: 20, spanCompressionEnabled: false, metricsIntervalMs: 0 });
    mysql = require('mysql2');
    mysqlPromise = require('mysql2/promise');
    const c = await mysqlPromise.createConnection(MARIADB_URL);
    await c.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await c.query(`CREATE TABLE ${TABLE} (id int AUTO_INCREMENT PRIMARY KEY, name varchar(50), city varchar(50))`);
    await c.end();
  });

  afterAll(async () => {
    if (mysqlPromise) {
      const c = await mysqlPromise.createConnection(MARIADB_URL);
      await c.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await c.end();
    }
    await close();
    await intake.close();
  });

  it('records promise-API query and execute with the statement sanitized, database, rows and destination', async () => {
    const conn = await mysqlPromise.createConnection(MARIADB_URL);
    let rows: unknown;
    const { tx, spans } = await traced(async () => {
      await conn.query(`INSERT INTO ${TABLE} (name, city) VALUES (?, ?), ('Bo', "Rome")`, ['Ann', 'Oslo']);
      [rows] = await conn.execute(`SELECT name FROM ${TABLE} WHERE city = ?`, ['Oslo']);
    });
    await conn.end();
    expect(rows).toEqual([{ name: 'Ann' }]);
    expect(spans).toHaveLength(2);
    expectLinked(spans, tx);
    const insert = byName(spans, `INSERT INTO ${TABLE}`);
    expect(insert).toMatchObject({ type: 'db', subtype: 'mysql', action: 'query', outcome: 'success' });
    // mysql2 formats the values into the text it sends; none of them reaches the span.
    expect(insert.context.db).toEqual({
      type: 'sql',
      instance: 'test',
      statement: `INSERT INTO ${TABLE} (name, city) VALUES (?, ?), (?, ?)`,
      rows_affected: 2,
    });
    expect(insert.context.destination).toMatchObject({ address: '127.0.0.1', port: 3306, service: { resource: 'mysql/test' } });
    const select = byName(spans, `SELECT FROM ${TABLE}`);
    expect(select.context.db.statement).toBe(`SELECT name FROM ${TABLE} WHERE city = ?`);
    expect(select.context.db.rows_affected).toBe(1);
  });

  it('records callback-API queries, and the callback runs in the caller’s transaction', async () => {
    const conn = mysql.createConnection(MARIADB_URL);
    let seen: string | undefined;
    let expected = '';
    const { tx, spans } = await traced(
      () =>
        new Promise<void>((resolve, reject) => {
          expected = currentTransaction()!.id;
          conn.query(`SELECT count(*) AS n FROM ${TABLE}`, (err: Error | null) => {
            seen = currentTransaction()?.id;
            if (err) reject(err);
            else resolve();
          });
        }),
    );
    await new Promise((r) => conn.end(r));
    expect(seen).toBe(expected);
    expect(spans.map((s) => s.name)).toEqual([`SELECT FROM ${TABLE}`]);
    expectLinked(spans, tx);
  });

  it('records pool queries (callback pool and promise pool)', async () => {
    const pool = mysql.createPool({ uri: MARIADB_URL, connectionLimit: 2 });
    const promisePool = mysqlPromise.createPool({ uri: MARIADB_URL, connectionLimit: 2 });
    const { tx, spans } = await traced(async () => {
      await new Promise<void>((resolve, reject) =>
        pool.query(`UPDATE ${TABLE} SET city = 'Paris' WHERE name = 'Bo'`, (err: Error | null) => (err ? reject(err) : resolve())),
      );
      await promisePool.query(`DELETE FROM ${TABLE} WHERE name = ?`, ['nobody']);
    });
    await new Promise((r) => pool.end(r));
    await promisePool.end();
    expect(spans.map((s) => s.name).sort()).toEqual([`DELETE FROM ${TABLE}`, `UPDATE ${TABLE}`]);
    expectLinked(spans, tx);
    expect(byName(spans, `UPDATE ${TABLE}`).context.db.rows_affected).toBe(1);
    expect(byName(spans, `DELETE FROM ${TABLE}`).context.db.rows_affected).toBe(0);
  });

  it('ends a failing query with outcome failure and captures the error, which the app still gets', async () => {
    const conn = await mysqlPromise.createConnection(MARIADB_URL);
    let caught: any = null;
    const { tx, spans } = await traced(async () => {
      try {
        await conn.query('SELECT * FROM sightline_mysql2_no_such_table');
      } catch (err) {
        caught = err;
      }
    });
    await conn.end();
    expect(caught?.code).toBe('ER_NO_SUCH_TABLE');
    expect(spans).toHaveLength(1);
    expectLinked(spans, tx);
    expect(spans[0]).toMatchObject({ name: 'SELECT FROM sightline_mysql2_no_such_table', outcome: 'failure' });
    await flush();
    const error = shipped(intake, 'error').find((e) => e.parent_id === spans[0]!.id);
    expect(error).toBeDefined();
    expect(error!.transaction_id).toBe(tx.id);
    expect(error!.exception.handled).toBe(true);
  });

  it('records a streamed (event emitter) query', async () => {
    const conn = mysql.createConnection(MARIADB_URL);
    let n = 0;
    const { tx, spans } = await traced(
      () =>
        new Promise<void>((resolve, reject) => {
          conn
            .query(`SELECT id FROM ${TABLE}`)
            .on('result', () => n++)
            .on('end', () => resolve())
            .on('error', reject);
        }),
    );
    await new Promise((r) => conn.end(r));
    expect(n).toBe(2);
    expect(spans.map((s) => s.name)).toEqual([`SELECT FROM ${TABLE}`]);
    expectLinked(spans, tx);
  });
});
