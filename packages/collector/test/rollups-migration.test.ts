import { BetterSqlite3 as Database } from '../src/store/better-sqlite3.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type EventBatch, type Store } from '../src/index.js';
import { SCHEMA_VERSION } from '../src/store/migrate.js';
import { schemaStatements, TABLES } from '../src/store/schema.js';
import { dropSchema, PG_URL, postgresAvailable, uniqueSchema } from './pg.js';
import { dataset, START_MS } from './rollup-suite.js';

const data = dataset(11, 3000);
const ALL = { fromMs: START_MS - 86_400_000, toMs: START_MS + 86_400_000 };
const PAGE = { limit: 100, offset: 0 };

/** The figures a store gives for the seeded data, for comparing two stores. */
async function figures(store: Store) {
  const services = await store.services(ALL, PAGE);
  const groups = await store.transactionGroups({ ...ALL, service: 'cart' }, PAGE);
  const errors = await store.errorGroups(ALL, PAGE);
  // Half-hour points and a range with ragged ends read the ten-minute rollups.
  const ragged = { fromMs: ALL.fromMs + 7 * 60_000 + 1234, toMs: ALL.toMs - 23 * 60_000 - 567 };
  const series = await store.serviceTimeseries({ ...ragged, service: 'cart' }, 1_800_000);
  const errorCounts = await store.errorGroups(ragged, PAGE, 1_800_000);
  const raggedServices = await store.services(ragged, PAGE);
  return { services, groups, errors, series, errorCounts, raggedServices };
}

/** A database as schema 3 left it: no ten-minute rollups. */
function downgradeToVersion3(db: InstanceType<typeof Database>): void {
  for (const table of ['tx', 'err', 'metric']) db.exec(`DELETE FROM rollup_${table}_10m`);
  db.exec('UPDATE sightline_schema SET version = 3');
}

/** Rows of every event table in insert order, as a collector before rollups wrote them. */
function eventRows(batch: EventBatch): Array<{ table: string; columns: string[]; values: unknown[][] }> {
  return TABLES.map((table) => ({
    table: table.name,
    columns: table.columns.map(([name]) => name),
    values: (batch[table.name] as unknown[]).map((row) => table.values(row)),
  }));
}

const everything: EventBatch = {
  transactions: data.transactions, spans: [], errors: data.errors, metrics: [
    { service: 'metrics-only', environment: 'prod', name: 'heap', value: 1, labels: '{}', timestampUs: START_MS * 1000, doc: '{}' },
  ], logs: [],
};

describe('rollup migration: SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-migrate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('backfills the rollups of a database written before them, once, and answers as if written with them', async () => {
    const old = new Database(join(dir, 'old.db'));
    for (const statement of schemaStatements('sqlite')) old.exec(statement);
    for (const { table, columns, values } of eventRows(everything)) {
      const insert = old.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      old.transaction(() => values.forEach((row) => insert.run(row)))();
    }
    old.close();

    const log: string[] = [];
    const migrated = await openStore(join(dir, 'old.db'), { log: (message) => log.push(message) });
    const fresh = await openStore(join(dir, 'fresh.db'));
    await fresh.write(everything);
    try {
      expect(log.join('\n')).toMatch(/backfilling from 3,\d{3} transactions/);
      expect(log.join('\n')).toMatch(/transactions done in/);
      expect(await figures(migrated)).toEqual(await figures(fresh));
      expect((await migrated.services(ALL, PAGE)).map((s) => s.name)).toContain('metrics-only');
    } finally {
      await migrated.close();
      await fresh.close();
    }
    const db = new Database(join(dir, 'old.db'));
    expect(db.prepare('SELECT version FROM sightline_schema').all()).toEqual([{ version: SCHEMA_VERSION }]);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
    db.close();

    const again: string[] = [];
    const reopened = await openStore(join(dir, 'old.db'), { log: (message) => again.push(message) });
    expect(again).toEqual([]);
    expect((await reopened.services(ALL, PAGE))[0]!.transactionCount).toBe(data.transactions.filter((t) => t.service === 'cart').length);
    await reopened.close();
  });
});

describe('ten-minute rollup migration (schema 3 to 4): SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-migrate-10m-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fills the ten-minute rollups from the minute ones, and answers as a database written with them', async () => {
    const path = join(dir, 'v3.db');
    const written = await openStore(path);
    for (const batch of data.batches) await written.write(batch);
    await written.close();
    const old = new Database(path);
    downgradeToVersion3(old);
    old.close();

    // Without the ten-minute rows a database answers differently, so the comparison below can fail.
    const log: string[] = [];
    const migrated = await openStore(path, { log: (message) => log.push(message) });
    const fresh = await openStore(join(dir, 'fresh.db'));
    for (const batch of data.batches) await fresh.write(batch);
    try {
      expect(log.join('\n')).toMatch(/rollup_tx_10m filled from [\d,]+ rows of rollup_tx_1m/);
      expect(log.join('\n')).toMatch(/rollup_err_10m filled from/);
      const want = await figures(fresh);
      expect(want.series.some((p) => p.count > 0)).toBe(true);
      expect(await figures(migrated)).toEqual(want);
    } finally {
      await migrated.close();
      await fresh.close();
    }
    const db = new Database(path);
    expect(db.prepare('SELECT version FROM sightline_schema').all()).toEqual([{ version: SCHEMA_VERSION }]);
    const tenMinuteRows = db.prepare('SELECT COUNT(*) AS n FROM rollup_tx_10m').get() as { n: number };
    expect(tenMinuteRows.n).toBeGreaterThan(0);
    db.close();
  });
});

const availability = await postgresAvailable();
if (!availability.ok) console.warn(`skipping the PostgreSQL rollup migration and concurrency tests: ${availability.reason}`);

describe.skipIf(!availability.ok)('rollups on a shared PostgreSQL', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('backfills the rollups of a database written before them', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`SET search_path = ${schema}`);
      for (const statement of schemaStatements('postgres')) await client.query(statement);
      for (const { table, columns, values } of eventRows(everything)) {
        for (let start = 0; start < values.length; start += 500) {
          const chunk = values.slice(start, start + 500);
          const params = chunk.flat();
          const tuples = chunk.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
          await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params);
        }
      }
    } finally {
      await client.end();
    }
    const freshSchema = uniqueSchema();
    schemas.push(freshSchema);
    const log: string[] = [];
    const migrated = await openStore(PG_URL, { pgSchema: schema, log: (message) => log.push(message) });
    const fresh = await openStore(PG_URL, { pgSchema: freshSchema });
    await fresh.write(everything);
    try {
      expect(log.join('\n')).toMatch(/backfilling from 3,\d{3} transactions/);
      expect(await figures(migrated)).toEqual(await figures(fresh));
    } finally {
      await migrated.close();
      await fresh.close();
    }
  });

  it('fills the ten-minute rollups of a schema 3 database from its minute rollups', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const written = await openStore(PG_URL, { pgSchema: schema });
    for (const batch of data.batches) await written.write(batch);
    await written.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      for (const table of ['tx', 'err', 'metric']) await client.query(`DELETE FROM ${schema}.rollup_${table}_10m`);
      await client.query(`UPDATE ${schema}.sightline_schema SET version = 3`);
    } finally {
      await client.end();
    }
    const freshSchema = uniqueSchema();
    schemas.push(freshSchema);
    const log: string[] = [];
    const migrated = await openStore(PG_URL, { pgSchema: schema, log: (message) => log.push(message) });
    const fresh = await openStore(PG_URL, { pgSchema: freshSchema });
    for (const batch of data.batches) await fresh.write(batch);
    try {
      expect(log.join('\n')).toMatch(/rollup_tx_10m filled from [\d,]+ rows of rollup_tx_1m/);
      expect(await figures(migrated)).toEqual(await figures(fresh));
    } finally {
      await migrated.close();
      await fresh.close();
    }
  });

  it('keeps exact counts when two collectors upsert the same rollup rows at once', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const [a, b] = await Promise.all([openStore(PG_URL, { pgSchema: schema }), openStore(PG_URL, { pgSchema: schema })]);
    try {
      // Both write every batch, in opposite orders, several at a time: the same minute and hour rows all along.
      const batches = data.batches;
      const writeAll = async (store: Store, list: EventBatch[]) => {
        for (let i = 0; i < list.length; i += 4) await Promise.all(list.slice(i, i + 4).map((batch) => store.write(batch)));
      };
      await Promise.all([writeAll(a, batches), writeAll(b, batches.slice().reverse())]);
      const single = uniqueSchema();
      schemas.push(single);
      const reference = await openStore(PG_URL, { pgSchema: single });
      try {
        for (const batch of batches) {
          await reference.write(batch);
          await reference.write(batch);
        }
        const shared = await figures(a);
        expect(shared.services.map((s) => s.transactionCount)).toEqual(
          ['cart', 'search', 'users'].map((service) => 2 * data.transactions.filter((t) => t.service === service).length),
        );
        expect(shared.errors.reduce((sum, g) => sum + g.count, 0)).toBe(2 * data.errors.length);
        expect(shared).toEqual(await figures(reference));
        expect(await figures(b)).toEqual(shared);
      } finally {
        await reference.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
