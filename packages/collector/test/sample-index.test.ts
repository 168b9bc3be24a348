import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type EventBatch, type Store, type TransactionRow } from '../src/index.js';
import { durationBucket } from '../src/model/duration-buckets.js';
import { SAMPLE_GROUP_BUCKETS } from '../src/store/schema.js';
import { dropSchema, PG_URL, postgresAvailable, uniqueSchema, withSchemaClient } from './pg.js';
import { withSqlite } from './raw-sqlite.js';

// Transaction samples are found through an index on runs of latency buckets (schema 6), not on each bucket.

const T0_US = Date.UTC(2025, 0, 31, 12, 0, 0) * 1000;
const EMPTY: EventBatch = { transactions: [], spans: [], errors: [], metrics: [], logs: [] };
const RANGE = { fromMs: T0_US / 1000 - 1000, toMs: T0_US / 1000 + 3_600_000 };

/** Durations over ~40 buckets, runs of a few buckets sharing an index run, some buckets rare. */
const durations = Array.from({ length: 400 }, (_, i) => 1 + ((i * 37) % 100) * 0.35 + (i % 53 === 0 ? 900 : 0));
const rows: TransactionRow[] = durations.map((durationMs, i) => ({
  id: `tx${String(i).padStart(3, '0')}`, traceId: `trace${i}`, parentId: null, service: 'web', environment: 'prod',
  name: i % 3 === 0 ? 'POST /pay' : 'GET /', type: 'request', result: 'HTTP 2xx', outcome: 'success',
  // Some share a timestamp, so the id breaks ties.
  timestampUs: T0_US + Math.floor(i / 2) * 1000, durationMs, sampled: true, doc: JSON.stringify({ id: `tx${i}` }),
}));

/** What the samples must be, worked out from the rows: newest first, then by id. */
function expectedSamples(name: string, minMs: number | undefined, maxMs: number | undefined, limit: number): string[] {
  const low = minMs === undefined ? 0 : durationBucket(minMs);
  const high = maxMs === undefined ? Infinity : durationBucket(maxMs);
  return rows
    .filter((r) => r.name === name && durationBucket(r.durationMs) >= low && durationBucket(r.durationMs) <= high)
    .filter((r) => (minMs === undefined || r.durationMs >= minMs) && (maxMs === undefined || r.durationMs < maxMs))
    .sort((a, b) => b.timestampUs - a.timestampUs || (a.id < b.id ? -1 : 1))
    .slice(0, limit)
    .map((r) => r.id);
}

async function expectSamples(store: Store): Promise<void> {
  const buckets = [...new Set(durations.map(durationBucket))].sort((a, b) => a - b);
  expect(buckets.length).toBeGreaterThan(3 * SAMPLE_GROUP_BUCKETS);
  for (const name of ['GET /', 'POST /pay']) {
    for (const durationMs of [1, 2.05, 7.3, 18, 35.6, 950]) {
      // One bucket, as the UI asks: [its lower bound, its upper bound).
      const bucket = durationBucket(durationMs);
      const minMs = 2 ** ((bucket - 1) / 16) / 1000;
      const maxMs = 2 ** (bucket / 16) / 1000;
      const got = await store.transactionSamples({ ...RANGE, service: 'web', name, minMs, maxMs }, 5);
      expect(got.map((s) => s.id)).toEqual(expectedSamples(name, minMs, maxMs, 5));
    }
    // Ranges over several runs, and open ends.
    for (const [minMs, maxMs] of [[2, 20], [5, undefined], [undefined, 3], [undefined, undefined]] as const) {
      const got = await store.transactionSamples({ ...RANGE, service: 'web', name, minMs, maxMs }, 7);
      expect(got.map((s) => s.id)).toEqual(expectedSamples(name, minMs, maxMs, 7));
    }
  }
  // Every bucket of the distribution has as its sample the latest transaction in it (of the group with most in it).
  const distribution = await store.transactionDistribution({ ...RANGE, service: 'web', name: 'GET /' });
  expect(distribution.length).toBeGreaterThan(3 * SAMPLE_GROUP_BUCKETS);
  for (const bucket of distribution) {
    const inBucket = rows.filter((r) => r.name === 'GET /' && durationBucket(r.durationMs) === durationBucket((bucket.fromMs + bucket.toMs) / 2));
    const latestUs = Math.max(...inBucket.map((r) => r.timestampUs));
    expect(inBucket.filter((r) => r.timestampUs === latestUs).map((r) => r.traceId)).toContain(bucket.sampleTraceId);
  }
}

/** The database as schema version 5 left it: the index on each bucket, not on runs of them. */
const DOWNGRADE = [
  'DROP INDEX transactions_sample_runs',
  'CREATE INDEX transactions_service_name_duration_bucket_timestamp_us ON transactions (service, name, duration_bucket, timestamp_us)',
  'UPDATE sightline_schema SET version = 5',
];

interface Backend {
  open(): Promise<Store>;
  downgradeToVersion5(): Promise<void>;
  /** Names of the transactions table's indexes that include duration_bucket. */
  bucketIndexes(): Promise<string[]>;
  destroy(): Promise<void>;
}

function defineSampleIndexSuite(name: string, backend: (() => Backend) | null, skipReason: string): void {
  if (backend === null) console.warn(`skipping the ${name} sample index tests: ${skipReason}`);
  describe.skipIf(backend === null)(`sample index: ${name}`, () => {
    let current: Backend;
    afterAll(async () => current?.destroy());

    it('finds the samples of a bucket, of a range and of each distribution bucket as the rows say', async () => {
      current = backend!();
      const store = await current.open();
      try {
        await store.write({ ...EMPTY, transactions: rows.slice(0, 150) });
        await store.write({ ...EMPTY, transactions: rows.slice(150) });
        await expectSamples(store);
        expect(await current.bucketIndexes()).toEqual(['transactions_sample_runs']);
      } finally {
        await store.close();
      }
    });

    it('opens a schema 5 database, replaces its bucket index and answers the same', async () => {
      await current.downgradeToVersion5();
      expect(await current.bucketIndexes()).toEqual(['transactions_service_name_duration_bucket_timestamp_us']);
      const migrated = await current.open();
      try {
        expect(await current.bucketIndexes()).toEqual(['transactions_sample_runs']);
        await expectSamples(migrated);
      } finally {
        await migrated.close();
      }
    });
  });
}

defineSampleIndexSuite('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-samples-'));
  const path = join(dir, 'samples.db');
  const raw = <T>(use: Parameters<typeof withSqlite<T>>[1]): T => withSqlite(path, use);
  return {
    open: () => openStore(path),
    downgradeToVersion5: async () => raw((db) => DOWNGRADE.forEach((sql) => db.exec(sql))),
    bucketIndexes: async () =>
      raw((db) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transactions' AND sql LIKE '%duration_bucket%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
}, '');

const availability = await postgresAvailable();
defineSampleIndexSuite('PostgreSQL', availability.ok ? () => {
  const schema = uniqueSchema();
  const raw = <T>(use: (client: pg.Client) => Promise<T>): Promise<T> => withSchemaClient(schema, use);
  return {
    open: () => openStore(PG_URL, { pgSchema: schema }),
    downgradeToVersion5: () => raw(async (client) => {
      for (const sql of DOWNGRADE) await client.query(sql);
    }),
    bucketIndexes: () => raw(async (client) => (await client.query(
      "SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND tablename = 'transactions' AND indexdef LIKE '%duration_bucket%' ORDER BY indexname",
      [schema],
    )).rows.map((r) => r.name as string)),
    destroy: () => dropSchema(schema),
  };
} : null, availability.reason);
