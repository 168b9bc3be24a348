/**
 * The people table in PostgreSQL through `pg` (a pool). Like the SQLite store, the driver is
 * required only when the store opens, after the agent has started. An optional schema keeps
 * parallel runs (the tests) apart; both demo apps create the table under one advisory lock.
 */
import { createRequire } from 'node:module';
import type * as Pg from 'pg';
import { READ_LIMIT, randomPerson, type CityCount, type PeopleStore, type Person } from './people.js';

const require = createRequire(import.meta.url);
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Any fixed number: the lock only orders the demo's own start-ups. */
const SETUP_LOCK = 4_242_001;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`DEMO_PG_SCHEMA must be a lower-case SQL name (a-z, 0-9, _), got '${schema}'`);
  return schema;
}

export async function openPostgresPeople(connectionString: string, schema?: string): Promise<PeopleStore> {
  const pg = require('pg') as typeof Pg;
  const pool = new pg.Pool({
    connectionString,
    max: 5,
    ...(schema === undefined ? {} : { options: `-c search_path=${checkSchemaName(schema)}` }),
  });
  // An idle client that loses its connection must not crash the app.
  pool.on('error', () => {});
  const setup = await pool.connect();
  try {
    await setup.query('BEGIN');
    await setup.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK]);
    if (schema !== undefined) await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await setup.query('CREATE TABLE IF NOT EXISTS people (id SERIAL PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL)');
    await setup.query('COMMIT');
  } catch (err) {
    await setup.query('ROLLBACK').catch(() => {});
    await pool.end().catch(() => {});
    throw err;
  } finally {
    setup.release();
  }

  return {
    kind: 'postgresql',
    async insertFive() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const ids: number[] = [];
        for (let i = 0; i < 5; i++) {
          const { name, city } = randomPerson();
          const res = await client.query<{ id: number }>('INSERT INTO people (name, city) VALUES ($1, $2) RETURNING id', [name, city]);
          ids.push(res.rows[0]!.id);
        }
        await client.query('COMMIT');
        return ids;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async readRecent() {
      const res = await pool.query<Person>('SELECT id, name, city FROM people ORDER BY id DESC LIMIT $1', [READ_LIMIT]);
      return res.rows;
    },
    async countByCity() {
      const res = await pool.query<{ city: string; count: string }>(
        'SELECT city, COUNT(*) AS count FROM people GROUP BY city ORDER BY count DESC',
      );
      return res.rows.map((r) => ({ city: r.city, count: Number(r.count) }));
    },
    async stall(ms) {
      await pool.query('SELECT pg_sleep($1)', [ms / 1000]);
    },
    async close() {
      await pool.end();
    },
  };
}

/** Drops a schema the demo created (for tests that ran it against a shared database). */
export async function dropPostgresSchema(connectionString: string, schema: string): Promise<void> {
  const pg = require('pg') as typeof Pg;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${checkSchemaName(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
