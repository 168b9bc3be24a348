import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.SIGHTLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether PostgreSQL answers. Under CI=true it must: a missing database is a failure there,
 * not a skip.
 */
export async function postgresAvailable(): Promise<{ ok: boolean; reason: string }> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true, reason: '' };
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI=true but ${PG_URL} failed: ${(error as Error).message}`);
    return { ok: false, reason: `PostgreSQL at ${PG_URL} is not reachable (${(error as Error).message})` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A schema name of this test run's own, so parallel runs never see each other's rows. */
export const uniqueSchema = (): string => `sightline_test_${randomBytes(6).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** `use` with a client of its own on `schema` (a migration test's own SQL), ended after. */
export async function withSchemaClient<T>(schema: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`SET search_path = ${schema}`);
    return await use(client);
  } finally {
    await client.end();
  }
}
