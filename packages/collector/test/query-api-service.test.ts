import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postIntake, startTestCollector, type TestCollector } from './helpers.js';
import { BASE_MS, seedPayloads } from './seed.js';

const RANGE = `from=${BASE_MS - 60_000}&to=${BASE_MS + 60 * 60_000}`;
const CART = encodeURIComponent('GET /cart');

describe('query API v1: service-level series, samples and error counts over time', () => {
  let collector: TestCollector;
  let api: (path: string) => Promise<{ status: number; body: any }>;
  beforeAll(async () => {
    collector = await startTestCollector();
    for (const payload of seedPayloads()) expect((await postIntake(collector.url, payload)).status).toBe(202);
    await collector.flush();
    api = (path) => getJson(`${collector.url}/api/v1${path}`);
  });
  afterAll(async () => collector.close());

  it('gives services their throughput, error rate and percentiles', async () => {
    const { body } = await api(`/services?${RANGE}`);
    const checkout = body.items.find((s: any) => s.name === 'checkout');
    // 121 transactions: 100 × GET /cart (10 failures), 20 × POST /pay, 1 failed GET /users/:id.
    expect(checkout).toMatchObject({ transactionCount: 121, errorRate: Number((11 / 121).toFixed(4)) });
    expect(checkout.throughputPerMin).toBeCloseTo(121 / 61, 3);
    expect(checkout.avgMs).toBeCloseTo((5050 + 4000 + 350) / 121, 2);
    expect(checkout.p99Ms / 200).toBeGreaterThan(0.978);
    expect(checkout.p99Ms / 200).toBeLessThan(1.022);
  });

  it('gives a service-wide time series with p50, p95 and p99 over all its groups', async () => {
    const from = BASE_MS - (BASE_MS % 60_000);
    const { status, body } = await api(`/services/checkout/timeseries?from=${from}&to=${from + 20 * 60_000}&interval=1m`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ service: 'checkout', intervalMs: 60_000 });
    expect(body.points).toHaveLength(20);
    expect(body.points.reduce((sum: number, p: any) => sum + p.count, 0)).toBe(121);
    // Minute 0: GET /cart 20, 40, 60, 80, 100 ms, POST /pay 200 ms, and GET /users/:id 350 ms when 5 s later is still in it.
    const slowInFirst = (BASE_MS % 60_000) + 5_000 < 60_000;
    expect(body.points[0]).toMatchObject({ count: slowInFirst ? 7 : 6, throughputPerMin: slowInFirst ? 7 : 6 });
    expect(body.points[0].p99Ms / (slowInFirst ? 350 : 200)).toBeGreaterThan(0.978);
    expect(body.points[0].p99Ms / (slowInFirst ? 350 : 200)).toBeLessThan(1.022);
    expect(body.points[0].p50Ms / (slowInFirst ? 80 : 60)).toBeGreaterThan(0.978);
    expect(body.points[0].p50Ms / (slowInFirst ? 80 : 60)).toBeLessThan(1.022);
  });

  it('adds p50 and p99 beside avg and p95 in a group time series', async () => {
    const { body } = await api(`/services/checkout/transactions/${CART}/timeseries?${RANGE}&interval=1h`);
    const point = body.points.find((p: any) => p.count > 0);
    expect(Object.keys(point)).toEqual(expect.arrayContaining(['avgMs', 'p50Ms', 'p95Ms', 'p99Ms']));
  });

  it('gives a service-wide distribution with a sample trace per bucket', async () => {
    const { body } = await api(`/services/checkout/distribution?${RANGE}`);
    expect(body.buckets.reduce((sum: number, b: any) => sum + b.count, 0)).toBe(121);
    for (const bucket of body.buckets) expect(bucket.sampleTraceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('lists sample transactions of a latency range, most recent first', async () => {
    const { status, body } = await api(`/services/checkout/transactions/${CART}/samples?${RANGE}&minMs=10&maxMs=20&limit=5`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ service: 'checkout', name: 'GET /cart', minMs: 10, maxMs: 20 });
    expect(body.items).toHaveLength(5);
    for (const item of body.items) {
      expect(item.durationMs).toBeGreaterThanOrEqual(10);
      expect(item.durationMs).toBeLessThan(20);
    }
    const times = body.items.map((t: any) => t.timestampMs);
    expect(times).toEqual(times.slice().sort((a: number, b: number) => b - a));
  });

  it('counts an error group over time, in its own series and in the list', async () => {
    const list = await api(`/errors?${RANGE}&countsOverTime=true&interval=10m`);
    expect(list.body.countsOverTime).toEqual({ startMs: Math.floor((BASE_MS - 60_000) / 600_000) * 600_000, intervalMs: 600_000 });
    const users = list.body.items.find((g: any) => g.type === 'TypeError');
    expect(users.countsOverTime.reduce((a: number, b: number) => a + b, 0)).toBe(3);
    const { status, body } = await api(`/errors/${users.groupId}/timeseries?${RANGE}&interval=10m`);
    expect(status).toBe(200);
    expect(body.points.map((p: any) => p.count)).toEqual(users.countsOverTime);
    expect(body.points[0].timestampMs).toBe(list.body.countsOverTime.startMs);
    expect((await api(`/errors?${RANGE}`)).body.items[0].countsOverTime).toBeUndefined();
  });

  it.each([
    ['/services/checkout/transactions/x/samples?minMs=abc', /minMs must be/],
    ['/services/checkout/transactions/x/samples?minMs=20&maxMs=10', /must be below/],
    ['/services/checkout/transactions/x/samples?limit=1000', /limit must be/],
    ['/services/checkout/timeseries?interval=soon', /interval/],
  ])('answers %s with a clear 400', async (path, message) => {
    const { status, body } = await api(path);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(message);
  });

  it('answers the series of an unknown error group with 404', async () => {
    expect((await api('/errors/ffffffffffffffffffffffffffffffff/timeseries')).status).toBe(404);
  });
});
