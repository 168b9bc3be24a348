import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postIntake, startTestCollector, type TestCollector } from './helpers.js';
import { BASE_MS, seedPayloads, TRACE_ID, TX_ID } from './seed.js';

const RANGE = `from=${BASE_MS - 60_000}&to=${BASE_MS + 60 * 60_000}`;

describe('query API v1 on a seeded database', () => {
  let collector: TestCollector;
  let api: (path: string) => Promise<{ status: number; body: any }>;
  beforeAll(async () => {
    collector = await startTestCollector();
    for (const payload of seedPayloads()) expect((await postIntake(collector.url, payload)).status).toBe(202);
    await collector.flush();
    api = (path) => getJson(`${collector.url}/api/v1${path}`);
  });
  afterAll(async () => collector.close());

  it('lists services with their environments and counts', async () => {
    const { status, body } = await api(`/services?${RANGE}`);
    expect(status).toBe(200);
    expect(body.items).toEqual([
      expect.objectContaining({ name: 'checkout', environments: ['production'], transactionCount: 121, errorCount: 4 }),
      expect.objectContaining({ name: 'search', environments: ['staging'], transactionCount: 10, errorCount: 0 }),
    ]);
  });

  it('filters services by environment', async () => {
    const { body } = await api(`/services?${RANGE}&environment=staging`);
    expect(body.items.map((s: any) => s.name)).toEqual(['search']);
  });

  it('groups transactions by name with count, throughput, error rate and percentiles', async () => {
    const { body } = await api(`/services/checkout/transactions?${RANGE}`);
    const cart = body.items.find((g: any) => g.name === 'GET /cart');
    expect(cart).toMatchObject({ type: 'request', count: 100, errorRate: 0.1 });
    expect(cart.throughputPerMin).toBeCloseTo(100 / 61, 3);
    expect(cart.avgMs).toBeCloseTo(50.5, 5);
    // Log buckets: each percentile within 2.5% of the exact nearest-rank value.
    expect(cart.p50Ms / 50).toBeGreaterThan(0.975);
    expect(cart.p50Ms / 50).toBeLessThan(1.025);
    expect(cart.p95Ms / 95).toBeGreaterThan(0.975);
    expect(cart.p95Ms / 95).toBeLessThan(1.025);
    expect(cart.p99Ms / 99).toBeGreaterThan(0.975);
    expect(cart.p99Ms / 99).toBeLessThan(1.025);
    expect(cart.sampleTraceId).toMatch(/^[0-9a-f]{32}$/);
    // Ordered by total time spent: POST /pay (20 × 200 ms) before GET /cart (5050 ms).
    expect(body.items.map((g: any) => g.name)).toEqual(['GET /cart', 'POST /pay', 'GET /users/:id']);
  });

  it('pages transaction groups with limit and offset, or the cursor it hands out', async () => {
    const first = await api(`/services/checkout/transactions?${RANGE}&limit=2`);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.page).toMatchObject({ limit: 2, offset: 0, nextOffset: 2 });
    const byCursor = await api(`/services/checkout/transactions?${RANGE}&limit=2&cursor=${first.body.page.nextCursor}`);
    const byOffset = await api(`/services/checkout/transactions?${RANGE}&limit=2&offset=2`);
    expect(byCursor.body.items).toEqual(byOffset.body.items);
    expect(byCursor.body.items.map((g: any) => g.name)).toEqual(['GET /users/:id']);
    expect(byCursor.body.page.nextCursor).toBeNull();
  });

  it('gives a time series per interval, zero-filled', async () => {
    const from = new Date(BASE_MS - (BASE_MS % 60_000)).toISOString();
    const to = new Date(BASE_MS - (BASE_MS % 60_000) + 20 * 60_000).toISOString();
    const { status, body } = await api(`/services/checkout/transactions/${encodeURIComponent('GET /cart')}/timeseries?from=${from}&to=${to}&interval=1m`);
    expect(status).toBe(200);
    expect(body.intervalMs).toBe(60_000);
    expect(body.points).toHaveLength(20);
    expect(body.points.reduce((sum: number, p: any) => sum + p.count, 0)).toBe(100);
    expect(body.points[0]).toMatchObject({ count: 5, throughputPerMin: 5 });
  });

  it('gives the latency distribution in buckets that add up to the count', async () => {
    const { body } = await api(`/services/checkout/transactions/${encodeURIComponent('GET /cart')}/distribution?${RANGE}`);
    expect(body.buckets.reduce((sum: number, b: any) => sum + b.count, 0)).toBe(100);
    for (const bucket of body.buckets) expect(bucket.fromMs).toBeLessThan(bucket.toMs);
    expect(body.buckets[0].fromMs).toBeLessThanOrEqual(1);
    expect(body.buckets.at(-1).toMs).toBeGreaterThan(100);
  });

  it('returns one trace with its transactions, spans and errors', async () => {
    const { status, body } = await api(`/traces/${TRACE_ID}`);
    expect(status).toBe(200);
    expect(body.transactions.map((t: any) => t.id)).toEqual([TX_ID]);
    expect(body.spans.map((s: any) => s.name)).toEqual(['SELECT * FROM users', 'GET upstream']);
    expect(body.errors.map((e: any) => e.id)).toEqual(['e000000000000003']);
    expect(body.spans[0].service.name).toBe('checkout');
  });

  it('lists the slowest transactions', async () => {
    const { body } = await api(`/traces?${RANGE}&service=checkout&limit=3`);
    expect(body.items.map((t: any) => t.durationMs)).toEqual([350, 200, 200]);
    expect(body.items[0]).toMatchObject({ traceId: TRACE_ID, name: 'GET /users/:id', outcome: 'failure' });
  });

  it('groups errors whose messages differ only in numbers and ids', async () => {
    const { body } = await api(`/errors?${RANGE}&service=checkout`);
    expect(body.items).toHaveLength(2);
    const users = body.items.find((g: any) => g.type === 'TypeError');
    expect(users).toMatchObject({ count: 3, culprit: 'getUser (src/users.js)', handled: false, service: 'checkout' });
    expect(users.firstSeenMs).toBe(BASE_MS + 1_000);
    expect(users.lastSeenMs).toBe(BASE_MS + 5_300);
    expect(body.items.find((g: any) => g.type === 'TimeoutError').count).toBe(1);
  });

  it('returns an error group with its latest occurrence, frames and source lines', async () => {
    const groups = await api(`/errors?${RANGE}`);
    const users = groups.body.items.find((g: any) => g.type === 'TypeError');
    const { status, body } = await api(`/errors/${users.groupId}`);
    expect(status).toBe(200);
    expect(body.count).toBe(3);
    expect(body.latest.id).toBe('e000000000000003');
    const frames = body.latest.exception.stacktrace;
    expect(frames).toHaveLength(4);
    expect(frames[0]).toMatchObject({ lineno: 42, context_line: expect.stringContaining('throw new TypeError') });
    expect(frames[0].pre_context).toHaveLength(2);
  });

  it('returns metric series by name', async () => {
    const { body } = await api(`/metrics?${RANGE}&service=checkout&name=system.cpu.total.norm.pct`);
    expect(body.items.map((p: any) => p.value)).toEqual([0.25, 0.5, 0.75]);
    expect(body.items[0].labels).toEqual({ host: 'a' });
  });

  it('narrows by time range given as ISO or epoch ms', async () => {
    const iso = await api(`/services/search/transactions?from=${new Date(BASE_MS).toISOString()}&to=${new Date(BASE_MS + 5 * 60_000).toISOString()}`);
    const epoch = await api(`/services/search/transactions?from=${BASE_MS}&to=${BASE_MS + 5 * 60_000}`);
    expect(iso.body.items[0].count).toBe(5);
    expect(epoch.body.items).toEqual(iso.body.items);
  });

  it.each([
    ['/services?from=yesterday', /from must be/],
    ['/services?from=2000&to=1000', /must be before/],
    ['/services?limit=0', /limit must be/],
    ['/services?limit=abc', /limit must be/],
    ['/services?offset=-1', /offset must be/],
    ['/services?cursor=nonsense', /cursor/],
    ['/services/checkout/transactions/x/timeseries?interval=fast', /interval/],
    ['/traces/not%20an%20id', /not a valid id/],
  ])('answers %s with a clear 400', async (path, message) => {
    const { status, body } = await api(path);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(message);
  });

  it('answers unknown trace ids, error groups and endpoints with 404', async () => {
    expect((await api('/traces/ffffffffffffffffffffffffffffffff')).status).toBe(404);
    expect((await api('/errors/ffffffffffffffffffffffffffffffff')).status).toBe(404);
    expect((await api('/nothing/here')).status).toBe(404);
  });
});
