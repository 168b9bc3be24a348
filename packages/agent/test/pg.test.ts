/**
 * PostgreSQL queries through `pg` become db/postgresql spans, checked on what the agent
 * ships to a real intake server: Client and Pool, callbacks, promises and query streams,
 * failures with the error captured, and the app getting its results and errors unchanged.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, flush, start, withTransaction } from '../src/index.js';
import { byName, expectLinked, shipped, traceOf } from './helpers/exit-spans.js';
import { IntakeServer } from './helpers/intake-server.js';
import { POSTGRES_URL, serviceTestsRun } from './helpers/services.js';

const TABLE = 'sightline_pg_people';
const run = await serviceTestsRun('postgres');
const intake = new IntakeServer();
const require = createRequire(import.meta.url);
let pg: any;

async function traced(fn: () => Promise<unknown>) {
  let id = '';
  await withTransaction('pg test', async (tx) => {
    id = tx.id;
    await fn();
  });
  await flush();
  return traceOf(intake, id);
}

describe.skipIf(!run)('pg', () => {
  beforeAll(async () => {
    await intake.start();
    start({ serverUrl: intake.url, flushIntervalMs: 20, spanCompressionEnabled: false, metricsIntervalMs: 0 });
    pg = require('pg'); // after start(), so the hook sees it
    const c = new pg.Client(POSTGRES_URL);
    await c.connect();
    await c.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await c.query(`CREATE TABLE ${TABLE} (id serial PRIMARY KEY, name text, city text)`);
    await c.end();
  });

  afterAll(async () => {
    if (pg) {
      const c = new pg.Client(POSTGRES_URL);
      await c.connect();
      await c.query(`DROP TABLE IF EXISTS ${TABLE}`);
      await c.end();
    }
    await close();
    await intake.close();
  });

  it('records a promise query with the statement sanitized, database, user, rows and destination', async () => {
    const client = new pg.Client(POSTGRES_URL);
    await client.connect();
    let rows: unknown;
    const { tx, spans } = await traced(async () => {
      await client.query(`INSERT INTO ${TABLE} (name, city) VALUES ('Ann', 'Oslo'), ($1, $2)`, ['Bo', 'Rome']);
      rows = (await client.query(`SELECT name FROM ${TABLE} WHERE city = 'Oslo'`)).rows;
    });
    await client.end();
    expect(rows).toEqual([{ name: 'Ann' }]);
    expect(spans).toHaveLength(2);
    expectLinked(spans, tx);
    const insert = byName(spans, `INSERT INTO ${TABLE}`);
    expect(insert).toMatchObject({ type: 'db', subtype: 'postgresql', action: 'query', outcome: 'success' });
    expect(insert.context.db).toEqual({
      type: 'sql',
      instance: 'test',
      user: 'postgres',
      statement: `INSERT INTO ${TABLE} (name, city) VALUES (?, ?), ($1, $2)`,
      rows_affected: 2,
    });
    expect(insert.context.destination).toMatchObject({ address: '127.0.0.1', port: 5432, service: { resource: 'postgresql/test' } });
    expect(insert.context.service.target).toEqual({ type: 'postgresql', name: 'test' });
    const select = byName(spans, `SELECT FROM ${TABLE}`);
    expect(select.context.db.statement).toBe(`SELECT name FROM ${TABLE} WHERE city = ?`);
    expect(select.context.db.rows_affected).toBe(1);
    expect(tx.span_count.started).toBe(2);
  });

  it('records callback queries, and the callback runs in the caller’s transaction', async () => {
    const client = new pg.Client(POSTGRES_URL);
    await client.connect();
    const { currentTransaction } = await import('../src/index.js');
    let seenTx: unknown = null;
    let txId = '';
    const { tx, spans } = await traced(
      () =>
        new Promise<void>((resolve, reject) => {
          txId = currentTransaction()!.id;
          client.query(`SELECT count(*) FROM ${TABLE}`, (err: Error | null) => {
            seenTx = currentTransaction()?.id;
            if (err) reject(err);
            else resolve();
          });
        }),
    );
    await client.end();
    expect(seenTx).toBe(txId);
    expect(spans.map((s) => s.name)).toEqual([`SELECT FROM ${TABLE}`]);
    expectLinked(spans, tx);
  });

  it('records Pool queries (promise and callback)', async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    const { tx, spans } = await traced(async () => {
      await pool.query(`UPDATE ${TABLE} SET city = $1 WHERE name = $2`, ['Paris', 'Bo']);
      await new Promise<void>((resolve, reject) =>
        pool.query(`DELETE FROM ${TABLE} WHERE name = 'nobody'`, (err: Error | null) => (err ? reject(err) : resolve())),
      );
    });
    await pool.end();
    expect(spans.map((s) => s.name).sort()).toEqual([`DELETE FROM ${TABLE}`, `UPDATE ${TABLE}`]);
    expectLinked(spans, tx);
    expect(byName(spans, `UPDATE ${TABLE}`).context.db.rows_affected).toBe(1);
    expect(byName(spans, `DELETE FROM ${TABLE}`).context.db.rows_affected).toBe(0);
  });

  it('records a query stream when it has been read to the end', async () => {
    const QueryStream = require('pg-query-stream');
    const client = new pg.Client(POSTGRES_URL);
    await client.connect();
    const names: string[] = [];
    const { tx, spans } = await traced(async () => {
      const stream = client.query(new QueryStream(`SELECT name FROM ${TABLE} ORDER BY name`));
      for await (const row of stream) names.push(row.name);
    });
    await client.end();
    expect(names).toEqual(['Ann', 'Bo']);
    expect(spans.map((s) => s.name)).toEqual([`SELECT FROM ${TABLE}`]);
    expect(spans[0]!.outcome).toBe('success');
    expectLinked(spans, tx);
  });

  it('records a pg.Query object that reports by events', async () => {
    const client = new pg.Client(POSTGRES_URL);
    await client.connect();
    let rowsSeen = 0;
    const { tx, spans } = await traced(
      () =>
        new Promise<void>((resolve, reject) => {
          const q = client.query(new pg.Query(`SELECT id FROM ${TABLE}`));
          q.on('row', () => rowsSeen++);
          q.on('end', () => resolve());
          q.on('error', reject);
        }),
    );
    await client.end();
    expect(rowsSeen).toBe(2);
    expect(spans.map((s) => s.name)).toEqual([`SELECT FROM ${TABLE}`]);
    expectLinked(spans, tx);
  });

  it('ends a failing query with outcome failure and captures the error, which the app still gets', async () => {
    const client = new pg.Client(POSTGRES_URL);
    await client.connect();
    let caught: any = null;
    const { tx, spans } = await traced(async () => {
      try {
        await client.query('SELECT * FROM sightline_pg_no_such_table');
      } catch (err) {
        caught = err;
      }
    });
    await client.end();
    expect(caught?.code).toBe('42P01');
    expect(spans).toHaveLength(1);
    expectLinked(spans, tx);
    expect(spans[0]).toMatchObject({ name: 'SELECT FROM sightline_pg_no_such_table', outcome: 'failure' });
    await flush();
    const error = shipped(intake, 'error').find((e) => e.parent_id === spans[0]!.id);
    expect(error).toBeDefined();
    expect(error!.transaction_id).toBe(tx.id);
    expect(error!.trace_id).toBe(tx.trace_id);
    expect(error!.exception.handled).toBe(true);
    expect(error!.exception.message).toContain('sightline_pg_no_such_table');
  });

  it('records nothing outside a transaction', async () => {
    const before = shipped(intake, 'span').length;
    const client = new pg.Client(POSTGRES_URL);
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
    await flush();
    expect(shipped(intake, 'span').length).toBe(before);
  });
});
