import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorFingerprint, type EventBatch, type Store, type TransactionRow } from '../src/index.js';

/** How a backend under test is opened and thrown away. */
export interface StoreFactory {
  open(): Promise<Store>;
  /** Removes whatever open() created (file, schema); called once, after close(). */
  destroy(): Promise<void>;
}

const T0_MS = Date.UTC(2025, 0, 31, 12, 0, 0);
const ALL = { fromMs: T0_MS - 86_400_000, toMs: T0_MS + 86_400_000 };
const PAGE = { limit: 100, offset: 0 };

function tx(i: number, overrides: Partial<TransactionRow> = {}): TransactionRow {
  const row: TransactionRow = {
    id: `t${i}`, traceId: `trace${i % 5}`, parentId: null, service: 'api', environment: 'prod', name: 'GET /a', type: 'request',
    result: 'HTTP 2xx', outcome: 'success', timestampUs: (T0_MS + i * 1000) * 1000, durationMs: i, sampled: true, doc: '',
    ...overrides,
  };
  row.doc = JSON.stringify({ id: row.id, trace_id: row.traceId, name: row.name, duration: row.durationMs, timestamp: row.timestampUs });
  return row;
}

function batch(): EventBatch {
  const transactions = Array.from({ length: 100 }, (_, i) => tx(i + 1, { outcome: (i + 1) % 4 === 0 ? 'failure' : 'success' }));
  transactions.push(tx(200, { service: 'web', environment: 'dev', name: 'GET /', durationMs: 7 }));
  transactions.push(tx(300, { name: 'O\u0000dd name', timestampUs: (T0_MS - 40 * 86_400_000) * 1000 }));
  const error = (id: string, message: string, atMs: number) => ({
    id, traceId: 'trace1', transactionId: 't1', parentId: 't1', service: 'api', environment: 'prod',
    fingerprint: errorFingerprint('api', 'TypeError', 'f (a.js)', message), exceptionType: 'TypeError', message, culprit: 'f (a.js)',
    handled: false, timestampUs: atMs * 1000, doc: JSON.stringify({ id, exception: { message, stacktrace: [{ lineno: 3, context_line: 'boom()' }] } }),
  });
  return {
    transactions,
    spans: [{
      id: 's1', traceId: 'trace1', transactionId: 't1', parentId: 't1', service: 'api', environment: 'prod', name: 'SELECT 1', type: 'db',
      subtype: 'postgresql', action: 'query', outcome: 'success', timestampUs: (T0_MS + 1500) * 1000, durationMs: 0.5,
      doc: JSON.stringify({ id: 's1', name: 'SELECT 1' }),
    }],
    errors: [error('e1', 'id 1 missing', T0_MS + 10), error('e2', 'id 2 missing', T0_MS + 20)],
    metrics: [1, 2, 3].map((v) => ({
      service: 'api', environment: 'prod', name: 'heap', value: v * 10, labels: '{"host":"h"}', timestampUs: (T0_MS + v * 1000) * 1000, doc: '{}',
    })),
    logs: [{ service: 'api', environment: 'prod', level: 'warn', message: 'careful', traceId: null, timestampUs: T0_MS * 1000, doc: '{}' }],
  };
}

/** The one storage test suite; every backend must pass it unchanged. */
export function defineStoreSuite(name: string, factory: (() => StoreFactory) | null, skipReason = ''): void {
  if (factory === null) console.warn(`skipping the ${name} store suite: ${skipReason}`);
  describe.skipIf(factory === null)(`store: ${name}`, () => {
    let store: Store;
    let current: StoreFactory;
    beforeAll(async () => {
      current = factory!();
      store = await current.open();
      await store.write(batch());
    });
    afterAll(async () => {
      await store?.close();
      await current?.destroy();
    });

    it('lists services with environments and counts', async () => {
      expect(await store.services(ALL, PAGE)).toEqual([
        {
          name: 'api', environments: ['prod'], transactionCount: 100, errorCount: 2, lastSeenMs: T0_MS + 100_000,
          throughputPerMin: 0.035, errorRate: 0.25, avgMs: 50.5, p50Ms: 49.452, p95Ms: 94.711, p99Ms: 98.905,
        },
        {
          name: 'web', environments: ['dev'], transactionCount: 1, errorCount: 0, lastSeenMs: T0_MS + 200_000,
          throughputPerMin: 0, errorRate: 0, avgMs: 7, p50Ms: 7.039, p95Ms: 7.039, p99Ms: 7.039,
        },
      ]);
    });

    it('gives each service its transaction counts over time when asked', async () => {
      const filter = { fromMs: T0_MS, toMs: T0_MS + 120_000 };
      const [api] = await store.services(filter, PAGE, 60_000);
      expect(api!.countsOverTime).toEqual([59, 41]);
      const points = await store.serviceTimeseries({ ...filter, service: 'api' }, 60_000);
      expect(points.map((p) => p.count)).toEqual(api!.countsOverTime);
      // The list read per interval gives the same totals as read at once.
      const { countsOverTime: _counts, ...totals } = api!;
      const [alone] = await store.services(filter, PAGE);
      expect(totals).toEqual(alone);
      expect(alone!.countsOverTime).toBeUndefined();
    });

    it('aggregates transaction groups', async () => {
      const [group] = await store.transactionGroups({ ...ALL, service: 'api' }, PAGE);
      expect(group).toMatchObject({ name: 'GET /a', type: 'request', count: 100, errorRate: 0.25, avgMs: 50.5 });
      expect(group!.p99Ms).toBeGreaterThan(97);
      expect(group!.p99Ms).toBeLessThan(101.5);
    });

    it('buckets a time series and a distribution', async () => {
      const filter = { fromMs: T0_MS, toMs: T0_MS + 120_000, service: 'api', name: 'GET /a' };
      const points = await store.transactionTimeseries(filter, 60_000);
      expect(points.map((p) => p.count)).toEqual([59, 41]);
      const buckets = await store.transactionDistribution(filter);
      expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(100);
    });

    it('returns a trace, and null for an unknown one', async () => {
      const trace = await store.trace('trace1');
      expect(trace!.transactions.map((t) => t.id)).toContain('t1');
      expect(trace!.spans).toEqual([{ id: 's1', name: 'SELECT 1' }]);
      expect(trace!.errors.map((e) => e.id)).toEqual(['e1', 'e2']);
      expect(await store.trace('nope')).toBeNull();
    });

    it('groups errors and finds the latest of a group', async () => {
      const groups = await store.errorGroups(ALL, PAGE);
      expect(groups).toHaveLength(1);
      expect(groups[0]).toMatchObject({ count: 2, type: 'TypeError', handled: false, firstSeenMs: T0_MS + 10, lastSeenMs: T0_MS + 20 });
      const detail = await store.errorGroup(groups[0]!.groupId, ALL);
      expect(detail!.latest).toMatchObject({ id: 'e2' });
      expect(await store.errorGroup('0'.repeat(32), ALL)).toBeNull();
    });

    it('filters by environment and pages', async () => {
      expect((await store.slowestTransactions({ ...ALL, environment: 'dev' }, PAGE)).map((t) => t.name)).toEqual(['GET /']);
      const second = await store.slowestTransactions({ ...ALL, service: 'api' }, { limit: 2, offset: 2 });
      expect(second.map((t) => t.durationMs)).toEqual([98, 97]);
    });

    it('returns metric series', async () => {
      const points = await store.metricSeries({ ...ALL, name: 'heap' }, PAGE);
      expect(points.map((p) => p.value)).toEqual([10, 20, 30]);
      expect(points[0]!.labels).toEqual({ host: 'h' });
      // Averaged per interval: samples at +1 s and +2 s share the first 2-second interval.
      const averaged = await store.metricSeries({ ...ALL, name: 'heap' }, PAGE, 2_000);
      expect(averaged.map((p) => [p.timestampMs - T0_MS, p.value, p.count])).toEqual([[0, 10, 1], [2_000, 25, 2]]);
      expect(averaged[0]!.labels).toEqual({ host: 'h' });
    });

    it('stores text with NUL characters instead of failing the batch', async () => {
      const old = await store.slowestTransactions({ fromMs: 0, toMs: T0_MS - 86_400_000 }, PAGE);
      expect(old).toHaveLength(1);
      expect(old[0]!.name).toMatch(/^O\u0000?dd name$/);
    });

    it('deletes events older than the retention cutoff', async () => {
      expect(await store.deleteOlderThan(T0_MS - 86_400_000)).toBe(1);
      expect(await store.slowestTransactions({ fromMs: 0, toMs: T0_MS - 86_400_000 }, PAGE)).toEqual([]);
    });
  });
}
