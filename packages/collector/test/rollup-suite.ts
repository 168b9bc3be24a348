import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorFingerprint, type ErrorRow, type EventBatch, type Store, type TransactionRow } from '../src/index.js';
import { durationBucket, percentilesFromBuckets } from '../src/model/duration-buckets.js';
import type { StoreFactory } from './store-suite.js';

/**
 * Rollups against the events they summarise: a seeded dataset over three hours, several
 * services, names and environments, written in uneven batches, is queried through the
 * Store over ranges that do not fall on minute or hour boundaries; every count must equal
 * the count over the raw events, every percentile the bucket percentile of the raw
 * durations (and so be within ±2.2% of the exact one).
 */
export const START_MS = Date.UTC(2025, 2, 3, 9, 17, 41, 250);
const SPAN_MS = 3 * 3_600_000;
const SERVICES = ['cart', 'search', 'users'];
const NAMES = ['GET /a', 'GET /b/:id', 'POST /c', 'DELETE /d'];
const QUANTILES = [0.5, 0.95, 0.99];

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Dataset {
  transactions: TransactionRow[];
  errors: ErrorRow[];
  batches: EventBatch[];
}

export function dataset(seed = 7, count = 6000): Dataset {
  const next = random(seed);
  const transactions: TransactionRow[] = [];
  const errors: ErrorRow[] = [];
  for (let i = 0; i < count; i++) {
    const service = SERVICES[Math.floor(next() * SERVICES.length)]!;
    const timestampUs = Math.round((START_MS + next() * SPAN_MS) * 1000);
    const row: TransactionRow = {
      id: `tx${i.toString(16).padStart(14, '0')}`, traceId: `trace${i.toString(16).padStart(27, '0')}`, parentId: null,
      service, environment: next() < 0.8 ? 'prod' : 'staging', name: NAMES[Math.floor(next() * NAMES.length)]!, type: 'request',
      result: 'HTTP 2xx', outcome: next() < 0.1 ? 'failure' : 'success', timestampUs,
      durationMs: Math.round(Math.exp(next() * 9 - 2) * 1000) / 1000, sampled: true, doc: '{}',
    };
    transactions.push(row);
    if (row.outcome === 'failure' && next() < 0.5) {
      const kind = next() < 0.7 ? 'TimeoutError' : 'TypeError';
      const message = `${kind === 'TimeoutError' ? 'timed out after' : 'no user'} ${Math.floor(next() * 1000)}`;
      errors.push({
        id: `err${i}`, traceId: row.traceId, transactionId: row.id, parentId: row.id, service, environment: row.environment,
        fingerprint: errorFingerprint(service, kind, 'f (a.js)', message), exceptionType: kind, message, culprit: 'f (a.js)',
        handled: kind === 'TypeError', timestampUs: timestampUs + 5, doc: JSON.stringify({ id: `err${i}`, message }),
      });
    }
  }
  // Uneven batches in arrival order, so rollup rows are upserted many times over.
  const batches: EventBatch[] = [];
  for (let start = 0, size = 37; start < count; start += size, size = (size * 7) % 911 + 13) {
    const slice = transactions.slice(start, start + size);
    const ids = new Set(slice.map((t) => t.id));
    batches.push({ transactions: slice, spans: [], errors: errors.filter((e) => ids.has(e.transactionId!)), metrics: [], logs: [] });
  }
  return { transactions, errors, batches };
}

const inRange = (row: { timestampUs: number }, fromMs: number, toMs: number) =>
  row.timestampUs >= fromMs * 1000 && row.timestampUs < toMs * 1000;

/** Nearest-rank percentiles read from the same log buckets the collector uses. */
function bucketPercentiles(durations: number[]): number[] {
  const counts = new Map<number, number>();
  for (const d of durations) counts.set(durationBucket(d), (counts.get(durationBucket(d)) ?? 0) + 1);
  const buckets = [...counts].sort((a, b) => a[0] - b[0]).map(([bucket, count]) => ({ bucket, count }));
  return percentilesFromBuckets(buckets, QUANTILES);
}

function exactPercentiles(durations: number[]): number[] {
  const sorted = durations.slice().sort((a, b) => a - b);
  return QUANTILES.map((q) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!);
}

/** Ranges that start and end off minute and hour boundaries, one inside a single minute, one aligned. */
export const RANGES: Array<[string, number, number]> = [
  ['odd bounds over hours', START_MS + 1_234_567, START_MS + SPAN_MS - 4_321_987],
  ['everything', START_MS - 3_600_000, START_MS + SPAN_MS + 3_600_000],
  ['inside one minute', Date.UTC(2025, 2, 3, 10, 5, 3), Date.UTC(2025, 2, 3, 10, 5, 49)],
  ['aligned to hours', Date.UTC(2025, 2, 3, 10), Date.UTC(2025, 2, 3, 12)],
  ['a few minutes', Date.UTC(2025, 2, 3, 10, 58, 30), Date.UTC(2025, 2, 3, 11, 4, 10)],
];

export function defineRollupSuite(name: string, factory: (() => StoreFactory) | null, skipReason = ''): void {
  if (factory === null) console.warn(`skipping the ${name} rollup suite: ${skipReason}`);
  describe.skipIf(factory === null)(`rollups: ${name}`, () => {
    const data = dataset();
    let store: Store;
    let current: StoreFactory;
    beforeAll(async () => {
      current = factory!();
      store = await current.open();
      for (const batch of data.batches) await store.write(batch);
    });
    afterAll(async () => {
      await store?.close();
      await current?.destroy();
    });

    it.each(RANGES)('services over %s equal the raw events', async (_label, fromMs, toMs) => {
      const services = await store.services({ fromMs, toMs }, { limit: 100, offset: 0 });
      const rows = data.transactions.filter((t) => inRange(t, fromMs, toMs));
      const expected = SERVICES.map((service) => {
        const own = rows.filter((t) => t.service === service);
        return { service, own, errors: data.errors.filter((e) => e.service === service && inRange(e, fromMs, toMs)).length };
      }).filter((s) => s.own.length > 0 || s.errors > 0);
      expect(services.map((s) => s.name)).toEqual(expected.map((s) => s.service));
      for (const [i, s] of services.entries()) {
        const { own, errors } = expected[i]!;
        expect(s.transactionCount).toBe(own.length);
        expect(s.errorCount).toBe(errors);
        expect(s.environments).toEqual([...new Set(own.map((t) => t.environment!))].sort());
        expect(s.lastSeenMs).toBe(Math.floor(Math.max(...own.map((t) => t.timestampUs), ...data.errors.filter((e) => e.service === s.name && inRange(e, fromMs, toMs)).map((e) => e.timestampUs)) / 1000));
        expect(s.errorRate).toBeCloseTo(own.filter((t) => t.outcome === 'failure').length / own.length, 4);
        expect([s.p50Ms, s.p95Ms, s.p99Ms]).toEqual(bucketPercentiles(own.map((t) => t.durationMs)));
      }
    });

    it.each(RANGES)('transaction groups over %s equal the raw events, percentiles within 2.2%%', async (_label, fromMs, toMs) => {
      for (const service of SERVICES) {
        const groups = await store.transactionGroups({ fromMs, toMs, service }, { limit: 100, offset: 0 });
        const rows = data.transactions.filter((t) => t.service === service && inRange(t, fromMs, toMs));
        expect(groups.map((g) => g.name).sort()).toEqual([...new Set(rows.map((t) => t.name))].sort());
        for (const group of groups) {
          const own = rows.filter((t) => t.name === group.name);
          expect(group.count).toBe(own.length);
          expect(group.errorRate).toBeCloseTo(own.filter((t) => t.outcome === 'failure').length / own.length, 4);
          expect(group.avgMs).toBeCloseTo(own.reduce((sum, t) => sum + t.durationMs, 0) / own.length, 2);
          const durations = own.map((t) => t.durationMs);
          expect([group.p50Ms, group.p95Ms, group.p99Ms]).toEqual(bucketPercentiles(durations));
          const exact = exactPercentiles(durations);
          [group.p50Ms, group.p95Ms, group.p99Ms].forEach((value, q) => {
            expect(Math.abs(value / exact[q]! - 1)).toBeLessThanOrEqual(0.0221);
          });
          // The sample is the most recent transaction in the group's median latency bucket.
          const sorted = own.slice().sort((a, b) => durationBucket(a.durationMs) - durationBucket(b.durationMs));
          const median = durationBucket(sorted[Math.ceil(sorted.length / 2) - 1]!.durationMs);
          const latest = own.filter((t) => durationBucket(t.durationMs) === median).reduce((a, b) => (b.timestampUs > a.timestampUs ? b : a));
          expect(group.sampleTraceId).toBe(latest.traceId);
        }
        const sums = groups.map((g) => g.avgMs * g.count);
        expect(sums).toEqual(sums.slice().sort((a, b) => b - a));
      }
    });

    it.each([['1m', 60_000], ['30s', 30_000], ['5m', 300_000], ['1h', 3_600_000], ['7s', 7_000]] as const)(
      'time series at %s: counts per slot equal the raw events, p50/p95/p99 from the same buckets',
      async (_label, intervalMs) => {
        const [, fromMs, toMs] = RANGES[0]!;
        const filter = { fromMs, toMs, service: 'cart', name: 'GET /a' };
        const points = await store.transactionTimeseries(filter, intervalMs);
        const service = await store.serviceTimeseries({ fromMs, toMs, service: 'cart' }, intervalMs);
        expect(points[0]!.timestampMs).toBe(Math.floor(fromMs / intervalMs) * intervalMs);
        expect(service.map((p) => p.timestampMs)).toEqual(points.map((p) => p.timestampMs));
        for (const [i, point] of points.entries()) {
          const slot = (t: TransactionRow) => inRange(t, Math.max(fromMs, point.timestampMs), Math.min(toMs, point.timestampMs + intervalMs));
          const own = data.transactions.filter((t) => t.service === 'cart' && t.name === 'GET /a' && slot(t));
          const all = data.transactions.filter((t) => t.service === 'cart' && slot(t));
          expect(point.count).toBe(own.length);
          expect(service[i]!.count).toBe(all.length);
          if (own.length > 0) {
            expect([point.p50Ms, point.p95Ms, point.p99Ms]).toEqual(bucketPercentiles(own.map((t) => t.durationMs)));
            expect(point.errorRate).toBeCloseTo(own.filter((t) => t.outcome === 'failure').length / own.length, 4);
          } else {
            expect(point).toMatchObject({ avgMs: null, p50Ms: null, p95Ms: null, p99Ms: null });
          }
          if (all.length > 0) expect(service[i]!.p99Ms).toBe(bucketPercentiles(all.map((t) => t.durationMs))[2]);
        }
      },
    );

    it('distributions (per group and per service) hold every transaction in its bucket, with a sample from it', async () => {
      const [, fromMs, toMs] = RANGES[0]!;
      const own = data.transactions.filter((t) => t.service === 'search' && inRange(t, fromMs, toMs));
      for (const [buckets, rows] of [
        [await store.serviceDistribution({ fromMs, toMs, service: 'search' }), own],
        [await store.transactionDistribution({ fromMs, toMs, service: 'search', name: 'POST /c' }), own.filter((t) => t.name === 'POST /c')],
      ] as const) {
        expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(rows.length);
        for (const bucket of buckets) {
          const inBucket = rows.filter((t) => durationBucket(t.durationMs) === durationBucket((bucket.fromMs + bucket.toMs) / 2));
          expect(bucket.count).toBe(inBucket.length);
          expect(inBucket.map((t) => t.traceId)).toContain(bucket.sampleTraceId);
        }
      }
    });

    it('lists samples of a latency range, most recent first', async () => {
      const [, fromMs, toMs] = RANGES[1]!;
      for (const [minMs, maxMs] of [[10, 12], [1, 100], [undefined, 0.5], [500, undefined]] as const) {
        const samples = await store.transactionSamples({ fromMs, toMs, service: 'users', name: 'GET /b/:id', minMs, maxMs }, 5);
        const expected = data.transactions
          .filter((t) => t.service === 'users' && t.name === 'GET /b/:id' && inRange(t, fromMs, toMs))
          .filter((t) => (minMs === undefined || t.durationMs >= minMs) && (maxMs === undefined || t.durationMs < maxMs))
          .sort((a, b) => b.timestampUs - a.timestampUs)
          .slice(0, 5);
        expect(samples.map((s) => s.id)).toEqual(expected.map((t) => t.id));
        expect(expected.length).toBeGreaterThan(0);
      }
    });

    it.each(RANGES)('services over %s with counts over time: the same totals, and each interval counted from the events', async (_label, fromMs, toMs) => {
      const page = { limit: 100, offset: 0 };
      for (const intervalMs of [600_000, 3_600_000]) {
        const withCounts = await store.services({ fromMs, toMs }, page, intervalMs);
        expect(withCounts.map(({ countsOverTime: _c, ...rest }) => rest)).toEqual(await store.services({ fromMs, toMs }, page));
        const first = Math.floor(fromMs / intervalMs);
        for (const service of withCounts) {
          const own = data.transactions.filter((t) => t.service === service.name && inRange(t, fromMs, toMs));
          expect(service.countsOverTime).toEqual(service.countsOverTime!.map((_, i) =>
            own.filter((t) => inRange(t, (first + i) * intervalMs, (first + i + 1) * intervalMs)).length));
        }
      }
    });

    it.each(RANGES)('error groups over %s: counts, first and last seen, counts over time', async (_label, fromMs, toMs) => {
      const intervalMs = 600_000;
      const groups = await store.errorGroups({ fromMs, toMs }, { limit: 100, offset: 0 }, intervalMs);
      const rows = data.errors.filter((e) => inRange(e, fromMs, toMs));
      expect(groups.length).toBe(new Set(rows.map((e) => e.fingerprint)).size);
      for (const group of groups) {
        const own = rows.filter((e) => e.fingerprint === group.groupId);
        expect(group.count).toBe(own.length);
        expect(group.firstSeenMs).toBe(Math.floor(Math.min(...own.map((e) => e.timestampUs)) / 1000));
        expect(group.lastSeenMs).toBe(Math.floor(Math.max(...own.map((e) => e.timestampUs)) / 1000));
        expect(group.message).toBe(own.map((e) => e.message).sort()[0]);
        expect(group.countsOverTime!.reduce((a, b) => a + b, 0)).toBe(own.length);
        const points = await store.errorTimeseries(group.groupId, { fromMs, toMs }, intervalMs);
        expect(points!.map((p) => p.count)).toEqual(group.countsOverTime);
        for (const point of points!) {
          expect(point.count).toBe(own.filter((e) => inRange(e, point.timestampMs, point.timestampMs + intervalMs)).length);
        }
      }
      expect(groups.map((g) => g.lastSeenMs)).toEqual(groups.map((g) => g.lastSeenMs).sort((a, b) => b - a));
    });

    it('answers an unknown error group with null', async () => {
      expect(await store.errorTimeseries('f'.repeat(32), { fromMs: 0, toMs: START_MS + SPAN_MS }, 3_600_000)).toBeNull();
    });
  });
}
