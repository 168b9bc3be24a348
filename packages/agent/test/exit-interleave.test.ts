/**
 * Concurrent requests, each making queries (pg and mysql2 pools with fewer connections
 * than requests, so clients are handed across requests; better-sqlite3) and outgoing
 * calls (http.get, fetch): every span lands in the transaction that made it, and every
 * upstream call carries its own request's trace id.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, flush, start, withTransaction } from '../src/index.js';
import { Upstream, expectLinked, shipped } from './helpers/exit-spans.js';
import { IntakeServer } from './helpers/intake-server.js';
import { MARIADB_URL, POSTGRES_URL, serviceTestsRun } from './helpers/services.js';

const REQUESTS = 24;
const runPg = await serviceTestsRun('postgres');
const runMysql = await serviceTestsRun('mariadb');
const intake = new IntakeServer();
const upstream = new Upstream();
const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'sightline-interleave-'));

beforeAll(async () => {
  await intake.start();
  await upstream.start();
  start({ serverUrl: intake.url, flushIntervalMs: 20, spanCompressionEnabled: false, metricsIntervalMs: 0 });
});

afterAll(async () => {
  await close();
  await Promise.all([intake.close(), upstream.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function get(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
}

describe('interleaved requests', () => {
  it('keeps every span in its own transaction', async () => {
    const pg = runPg ? require('pg') : null;
    const mysql = runMysql ? require('mysql2') : null;
    const Database = require(require('./helpers/better-sqlite3-name.cjs'));
    const pgPool = pg ? new pg.Pool({ connectionString: POSTGRES_URL, max: 2 }) : null;
    const mysqlPool = mysql ? mysql.createPool({ uri: MARIADB_URL, connectionLimit: 2 }) : null;
    const db = new Database(join(dir, 'interleave.db'));
    db.exec('CREATE TABLE hits (n INTEGER)');
    const insert = db.prepare('INSERT INTO hits (n) VALUES (?)');
    const base = `http://127.0.0.1:${upstream.port}`;

    const ids: string[] = new Array(REQUESTS);
    await Promise.all(
      Array.from({ length: REQUESTS }, (_, k) =>
        withTransaction(`request ${k}`, async (tx) => {
          ids[k] = tx.id;
          // Yield first, so the requests really run interleaved.
          await new Promise((r) => setImmediate(r));
          const work: Array<Promise<unknown>> = [get(`${base}/http/${k}`), fetch(`${base}/fetch/${k}`).then((r) => r.text())];
          if (pgPool) {
            work.push(
              new Promise<void>((resolve, reject) =>
                pgPool.query('SELECT $1::int AS k, pg_sleep(0.001)', [k], (err: Error | null) => (err ? reject(err) : resolve())),
              ),
            );
          }
          if (mysqlPool) {
            work.push(
              new Promise<void>((resolve, reject) =>
                mysqlPool.query('SELECT ? AS k, SLEEP(0.001)', [k], (err: Error | null) => (err ? reject(err) : resolve())),
              ),
            );
          }
          await Promise.all(work);
          insert.run(k);
          // A second round, made from inside the callbacks' continuation.
          if (pgPool) await pgPool.query('SELECT $1::int AS again', [k]);
        }),
      ),
    );
    await flush();
    await pgPool?.end();
    if (mysqlPool) await new Promise((r) => mysqlPool.end(r));
    db.close();

    const perTx = 3 + (pgPool ? 2 : 0) + (mysqlPool ? 1 : 0);
    const txs = shipped(intake, 'transaction');
    const spans = shipped(intake, 'span');
    for (let k = 0; k < REQUESTS; k++) {
      const tx = txs.find((t) => t.id === ids[k])!;
      expect(tx, `request ${k}`).toBeDefined();
      const mine = spans.filter((s) => s.transaction_id === tx.id);
      expect(mine.map((s) => `${s.subtype} ${s.name}`), `request ${k}`).toHaveLength(perTx);
      expectLinked(mine, tx);
      expect(tx.span_count.started).toBe(perTx);
      // The upstream saw this request's trace, from this request's own spans.
      for (const path of [`/http/${k}`, `/fetch/${k}`]) {
        const tp = upstream.saw(path).traceparent!;
        expect(tp.split('-')[1]).toBe(tx.trace_id);
        expect(mine.map((s) => s.id)).toContain(tp.split('-')[2]);
      }
    }
    expect(spans.filter((s) => !ids.includes(s.transaction_id))).toEqual([]);
  });
});
