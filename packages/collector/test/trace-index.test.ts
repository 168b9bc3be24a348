import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type EventBatch, type SpanRow, type Store, type TransactionRow } from '../src/index.js';
import { TAIL_MERGE_ROWS } from '../src/store/trace-index.js';
import { dropSchema, PG_URL, postgresAvailable, uniqueSchema, withSchemaClient } from './pg.js';
import { withSqlite } from './raw-sqlite.js';

// Traces are found through trace_tail and trace_rows (trace-index.ts), not a trace_id index.

const T0_US = Date.UTC(2025, 0, 31, 12, 0, 0) * 1000;
const EMPTY: EventBatch = { transactions: [], spans: [], errors: [], metrics: [], logs: [] };

function tx(id: string, traceId: string, service: string, atUs: number): TransactionRow {
  return {
    id, traceId, parentId: null, service, environment: 'prod', name: 'GET /', type: 'request', result: 'HTTP 2xx',
    outcome: 'success', timestampUs: atUs, durationMs: 5, sampled: true, doc: JSON.stringify({ id, service }),
  };
}

function span(id: string, traceId: string, transactionId: string, service: string, atUs: number): SpanRow {
  return {
    id, traceId, transactionId, parentId: transactionId, service, environment: 'prod', name: 'SELECT 1', type: 'db',
    subtype: 'postgresql', action: 'query', outcome: 'success', timestampUs: atUs, durationMs: 1, doc: JSON.stringify({ id, service }),
  };
}

/**
 * A distributed trace over two services (the second's transaction lost, its span kept), a
 * second trace at the very same timestamps, and two spans starting in the same microsecond.
 */
const traces: EventBatch = {
  ...EMPTY,
  transactions: [tx('front', 'dist', 'web', T0_US), tx('other', 'near', 'web', T0_US)],
  spans: [
    span('call', 'dist', 'front', 'web', T0_US + 100),
    span('twin-a', 'dist', 'front', 'web', T0_US + 200),
    span('twin-b', 'dist', 'front', 'web', T0_US + 200),
    span('orphan', 'dist', 'lost-tx', 'api', T0_US + 150),
    span('other-span', 'near', 'other', 'web', T0_US + 100),
  ],
};

/** `count` transactions, each its own trace, in batches of 5000: enough to move the tail into trace_rows. */
async function writeFiller(store: Store, count: number, startUs: number): Promise<void> {
  for (let start = 0; start < count; start += 5000) {
    const transactions = Array.from({ length: Math.min(5000, count - start) }, (_, i) =>
      tx(`f${start + i}`, `filler${start + i}`, 'filler', startUs + (start + i) * 10));
    await store.write({ ...EMPTY, transactions });
  }
}

const ids = (docs: Array<Record<string, unknown>>) => docs.map((doc) => doc.id);

async function expectTraces(store: Store): Promise<void> {
  const dist = await store.trace('dist');
  expect(ids(dist!.transactions)).toEqual(['front']);
  // Oldest first; the twins in arrival order; the span whose transaction never came is there.
  expect(ids(dist!.spans)).toEqual(['call', 'orphan', 'twin-a', 'twin-b']);
  const near = await store.trace('near');
  expect(ids(near!.transactions)).toEqual(['other']);
  expect(ids(near!.spans)).toEqual(['other-span']);
  expect(await store.trace('missing')).toBeNull();
}

interface Backend {
  open(log?: (message: string) => void): Promise<Store>;
  /** Makes the database look as schema version 4 left it: trace_id indexes, no trace keys. */
  downgradeToVersion4(): Promise<void>;
  /** Names of the event tables' indexes on trace_id. */
  traceIdIndexes(): Promise<string[]>;
  destroy(): Promise<void>;
}

function defineTraceIndexSuite(name: string, backend: (() => Backend) | null, skipReason: string): void {
  if (backend === null) console.warn(`skipping the ${name} trace index tests: ${skipReason}`);
  describe.skipIf(backend === null)(`trace index: ${name}`, () => {
    let current: Backend;
    afterAll(async () => current?.destroy());

    it('finds a trace from its keys in the tail, after they move into trace_rows, and after reopening', async () => {
      current = backend!();
      const store = await current.open();
      try {
        await store.write(traces);
        await expectTraces(store);
        await writeFiller(store, TAIL_MERGE_ROWS + 100, T0_US + 1_000_000);
        await expectTraces(store);
        expect(ids((await store.trace(`filler${TAIL_MERGE_ROWS + 50}`))!.transactions)).toEqual([`f${TAIL_MERGE_ROWS + 50}`]);
        expect(ids((await store.trace('filler7'))!.transactions)).toEqual(['f7']);
      } finally {
        await store.close();
      }
      const reopened = await current.open();
      try {
        await expectTraces(reopened);
        expect(await current.traceIdIndexes()).toEqual([]);
      } finally {
        await reopened.close();
      }
    });

    it('deletes the trace keys of events past retention with them', async () => {
      const store = await current.open();
      try {
        await store.write({ ...EMPTY, transactions: [tx('late', 'dist', 'web', T0_US + 5_000_000)] });
        await store.deleteOlderThan(T0_US / 1000 + 1000);
        expect(await store.trace('near')).toBeNull();
        const dist = await store.trace('dist');
        expect(ids(dist!.transactions)).toEqual(['late']);
        expect(dist!.spans).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('opens a schema 4 database, indexes its traces and drops the trace_id indexes', async () => {
      await current.destroy();
      current = backend!();
      const store = await current.open();
      await store.write(traces);
      await writeFiller(store, 3000, T0_US + 1_000_000);
      await store.close();
      await current.downgradeToVersion4();
      expect(await current.traceIdIndexes()).toEqual(['spans_trace_id', 'transactions_trace_id']);
      const log: string[] = [];
      const migrated = await current.open((message) => log.push(message));
      try {
        expect(log.join('\n')).toMatch(/traces: [\d,]+ trace keys indexed/);
        await expectTraces(migrated);
        expect(ids((await migrated.trace('filler2999'))!.transactions)).toEqual(['f2999']);
        expect(await current.traceIdIndexes()).toEqual([]);
      } finally {
        await migrated.close();
      }
    });
  });
}

const DOWNGRADE = [
  'CREATE INDEX transactions_trace_id ON transactions (trace_id)',
  'CREATE INDEX spans_trace_id ON spans (trace_id)',
  'DELETE FROM trace_rows',
  'DELETE FROM trace_tail',
  'UPDATE sightline_schema SET version = 4',
];

defineTraceIndexSuite('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-traces-'));
  const path = join(dir, 'traces.db');
  const raw = <T>(use: Parameters<typeof withSqlite<T>>[1]): T => withSqlite(path, use);
  return {
    open: (log) => openStore(path, { log }),
    downgradeToVersion4: async () => raw((db) => DOWNGRADE.forEach((sql) => db.exec(sql))),
    traceIdIndexes: async () =>
      raw((db) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%trace_id' AND tbl_name IN ('transactions', 'spans') ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
}, '');

const availability = await postgresAvailable();
defineTraceIndexSuite('PostgreSQL', availability.ok ? () => {
  const schema = uniqueSchema();
  const raw = <T>(use: (client: pg.Client) => Promise<T>): Promise<T> => withSchemaClient(schema, use);
  return {
    open: (log) => openStore(PG_URL, { pgSchema: schema, log }),
    downgradeToVersion4: () => raw(async (client) => {
      for (const sql of DOWNGRADE) await client.query(sql);
    }),
    traceIdIndexes: () => raw(async (client) => (await client.query(
      "SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE '%trace_id' AND tablename IN ('transactions', 'spans') ORDER BY indexname",
      [schema],
    )).rows.map((r) => r.name as string)),
    destroy: () => dropSchema(schema),
  };
} : null, availability.reason);

