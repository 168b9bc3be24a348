import { afterAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../src/index.js';
import { getJson, postIntake, testdata } from './helpers.js';
import { dropSchema, PG_URL, postgresAvailable, uniqueSchema } from './pg.js';
import { BASE_MS, seedPayloads } from './seed.js';

const availability = await postgresAvailable();
if (!availability.ok) console.warn(`skipping the shared PostgreSQL collector test: ${availability.reason}`);

describe.skipIf(!availability.ok)('several collectors sharing one PostgreSQL', () => {
  const schema = uniqueSchema();
  const collectors: RunningCollector[] = [];
  afterAll(async () => {
    await Promise.all(collectors.map((c) => c.close()));
    await dropSchema(schema);
  });

  it('start together, and each answers queries with what all of them took in', async () => {
    collectors.push(...(await Promise.all([1, 2].map(() => startCollector({ port: 0, db: PG_URL, pgSchema: schema })))));
    const [a, b] = collectors as [RunningCollector, RunningCollector];
    const [checkout, search] = seedPayloads();
    expect((await postIntake(a.url, checkout)).status).toBe(202);
    expect((await postIntake(b.url, search)).status).toBe(202);
    expect((await postIntake(b.url, testdata('errors.ndjson'))).body).toEqual({ accepted: 5 });
    await Promise.all([a.flush(), b.flush()]);
    const range = `from=${BASE_MS - 60_000}&to=${BASE_MS + 3_600_000}`;
    for (const collector of collectors) {
      const services = await getJson(`${collector.url}/api/v1/services?${range}`);
      expect(services.body.items.map((s: any) => [s.name, s.transactionCount])).toEqual([['checkout', 121], ['search', 10]]);
    }
    const errors = await getJson(`${a.url}/api/v1/errors?from=0&to=${Date.now() + 86_400_000}&limit=100`);
    expect(errors.body.items.reduce((sum: number, g: any) => sum + g.count, 0)).toBe(9);
  });
});
