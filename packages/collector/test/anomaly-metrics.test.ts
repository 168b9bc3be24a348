/**
 * Anomaly detection on metric series (`anomalyMetrics`) against real databases: SQLite
 * always, PostgreSQL under CI=true (skipped elsewhere with the reason printed). Planted
 * spikes in a gauge and in a running total's rate are flagged at their bucket with typical
 * and actual; nothing in warm-up, on steady noisy series or on metrics not watched; a restart
 * resumes from the stored models; the bound on series; the option's coded error; the API's
 * filters and the CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyDetector, type DetectorOptions } from '../src/anomaly/detector.js';
import { decodeMetricModel } from '../src/anomaly/metric-model.js';
import { resolveOptions } from '../src/config.js';
import { emptyBatch, type MetricRow } from '../src/model/event.js';
import { openStore, startCollector, type RunningCollector, type Store } from '../src/index.js';
import type { AnomalyRecord } from '../src/store/anomaly-store.js';
import { sightline } from './cli-helpers.js';
import { dropSchema, PG_URL, postgresAvailable, uniqueSchema } from './pg.js';

const BUCKET_MS = 10_000;
const T0 = Math.floor(Date.UTC(2025, 0, 6, 12) / BUCKET_MS) * BUCKET_MS;
const WATCHED = ['app.queue.depth', 'custom.*'];
/** Bucket 40: the queue depth of queue=a spikes and the request total's rate doubles. */
const SPIKE = 40;
/** Bucket 52 (after a restart at 45): queue=a's depth dips. */
const DIP = 52;
/** Bucket 5, inside the warm-up: custom.early spikes. */
const EARLY_SPIKE = 5;
const SUM_START = '1736164800000000000';

/** A seeded Gaussian (mulberry32 + Box-Muller), so every run sees the same noise. */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

const row = (name: string, labels: Record<string, string>, value: number, atMs: number, doc = `{"type":"gauge","value":${value}}`): MetricRow => ({
  service: 'shop', environment: 'prod', name, value, labels: JSON.stringify(labels), timestampUs: atMs * 1000, doc,
});

/** The metrics of bucket i: three samples of each series, 1 s, 4 s and 7 s into it. */
function metricsAt(i: number, noise: () => number, total: { value: number }): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const offsetMs of [1000, 4000, 7000]) {
    const at = T0 + i * BUCKET_MS + offsetMs;
    const a = 50 + (i === SPIKE ? 30 : 0) - (i === DIP ? 30 : 0) + 2 * noise();
    rows.push(row('app.queue.depth', { queue: 'a' }, a, at));
    // Same name, another label set: its own series, steady.
    rows.push(row('app.queue.depth', { queue: 'b' }, 5 + noise(), at));
    rows.push(row('custom.steady', { host: 'x' }, 0.25 + 0.02 * noise(), at));
    rows.push(row('custom.early', {}, 10 + (i === EARLY_SPIKE ? 30 : 0) + noise(), at));
    // Not watched: the same spike teaches nothing and raises nothing.
    rows.push(row('other.depth', { queue: 'a' }, a, at));
    // An OTLP cumulative sum: a running total growing 10/s (20/s in the spike's bucket), judged as its rate.
    total.value += (i === SPIKE ? 20 : 10) * (offsetMs === 1000 ? 4 : 3) + noise();
    const doc = JSON.stringify({ type: 'sum', unit: '1', startTimeUnixNano: SUM_START, timeUnixNano: `${at}000000`, asDouble: total.value });
    rows.push(row('custom.requests', { route: '/' }, total.value, at, doc));
  }
  return rows;
}

function detector(store: Store, clock: { now: number }, extra: Partial<DetectorOptions> = {}): AnomalyDetector {
  return new AnomalyDetector(store.anomalies, {
    bucketMs: BUCKET_MS, graceMs: 1000, warmupBuckets: 10, threshold: 50, now: () => clock.now, historyMs: 0,
    metrics: WATCHED, onError: (error) => { throw error; }, ...extra,
  });
}

interface World {
  clock: { now: number };
  noise: () => number;
  total: { value: number };
}

const world = (): World => ({ clock: { now: T0 }, noise: gaussian(7), total: { value: 1000 } });

/** Writes buckets [from, to) and lets the detector run after each one's grace. */
async function drive(store: Store, d: AnomalyDetector, w: World, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const batch = emptyBatch();
    batch.metrics.push(...metricsAt(i, w.noise, w.total));
    await store.write(batch);
    w.clock.now = T0 + (i + 1) * BUCKET_MS + 1500;
    await d.runDue();
  }
}

const bucketOf = (a: AnomalyRecord) => (a.bucketStartMs - T0) / BUCKET_MS;
const all = (store: Store) => store.anomalies.anomalies({ fromMs: 0, toMs: T0 + 1000 * BUCKET_MS, minScore: 0, limit: 1000 });

async function bucketsSeen(store: Store, name: string, labels: string): Promise<number> {
  const rows = await store.anomalies.loadMetricModels(BUCKET_MS);
  const found = rows.find((r) => r.key.name === name && r.key.labels === labels);
  return found === undefined ? -1 : decodeMetricModel(found.state, BUCKET_MS)!.series.n;
}

/** The whole story on one database: 45 buckets, a restart, 15 more. */
async function story(open: () => Promise<Store>): Promise<void> {
  const w = world();
  let store = await open();
  await drive(store, detector(store, w.clock), w, 0, 45);
  let found = await all(store);
  // The detector starts with the bucket in progress at its first run: bucket 1.
  expect(await bucketsSeen(store, 'app.queue.depth', '{"queue":"a"}')).toBe(44);
  expect(found.map((a) => [bucketOf(a), a.metric, a.labels]).sort()).toEqual([
    [SPIKE, 'app.queue.depth', { queue: 'a' }],
    [SPIKE, 'custom.requests', { route: '/' }],
  ]);
  const depth = found.find((a) => a.metric === 'app.queue.depth')!;
  expect(depth).toMatchObject({ service: 'shop', environment: 'prod', transactionType: '', transactionName: '', bucketMs: BUCKET_MS, explanation: null });
  expect(depth.score).toBeGreaterThanOrEqual(50);
  expect(depth.typical).toBeGreaterThan(46);
  expect(depth.typical).toBeLessThan(54);
  expect(depth.actual).toBeGreaterThan(74);
  // The running total's rate per second (from the last sample of the bucket before): 10 typical, 20 in the spike.
  const rate = found.find((a) => a.metric === 'custom.requests')!;
  expect(rate.typical).toBeGreaterThan(9);
  expect(rate.typical).toBeLessThan(11);
  expect(rate.actual).toBeGreaterThan(15);
  // Not watched: no model either.
  expect(await bucketsSeen(store, 'other.depth', '{"queue":"a"}')).toBe(-1);
  await store.close();

  // A restart: the same database, a new detector. The models resume where they stopped, so
  // the dip 7 buckets later is judged (a model learning afresh would still be in its warm-up).
  store = await open();
  await drive(store, detector(store, w.clock), w, 45, 60);
  expect(await bucketsSeen(store, 'app.queue.depth', '{"queue":"a"}')).toBe(59);
  found = await all(store);
  const after = found.filter((a) => bucketOf(a) >= 45);
  expect(after.map((a) => [bucketOf(a), a.metric, a.labels])).toEqual([[DIP, 'app.queue.depth', { queue: 'a' }]]);
  expect(after[0]!.actual).toBeLessThan(after[0]!.typical - 20);
  await store.close();
}

/**
 * 50 buckets stored while no detector ran (the spike of bucket 40 among them), then a fresh
 * detector from bucket 50: the dip of bucket 52 is what it reports, if anything.
 */
async function startedOnHistory(store: Store, historyMs?: number): Promise<{ found: unknown[]; seen: number }> {
  const w = world();
  for (let i = 0; i < 50; i++) {
    const batch = emptyBatch();
    batch.metrics.push(...metricsAt(i, w.noise, w.total));
    await store.write(batch);
  }
  w.clock.now = T0 + 50 * BUCKET_MS + 1500;
  const fresh = detector(store, w.clock, { historyMs });
  await fresh.runDue();
  await drive(store, fresh, w, 50, 54);
  return {
    found: (await all(store)).map((a) => [bucketOf(a), a.metric, a.labels]),
    seen: await bucketsSeen(store, 'app.queue.depth', '{"queue":"a"}'),
  };
}

async function checkStartedOnHistory(open: () => Promise<Store>): Promise<void> {
  let store = await open();
  try {
    // Fitted from the stored samples: judged at once; the spike in the history is not reported.
    expect(await startedOnHistory(store, undefined)).toEqual({ found: [[DIP, 'app.queue.depth', { queue: 'a' }]], seen: 54 });
  } finally {
    await store.close();
  }
  store = await open();
  try {
    // Without history (historyMs 0) each series waits out its warm-up and the dip goes unseen.
    expect(await startedOnHistory(store, 0)).toEqual({ found: [], seen: 4 });
  } finally {
    await store.close();
  }
}

describe('metric series on SQLite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sightline-anomaly-metrics-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('flags the planted spike and dip at their buckets, nothing else, and resumes after a restart', async () => {
    const file = join(dir, 'sightline.db');
    await story(() => openStore(file));
  });

  it('a detector started on an existing database fits new series from their stored samples', async () => {
    await checkStartedOnHistory(() => openStore(':memory:'));
  });

  it('watches at most maxMetricSeries series and counts the others as left out', async () => {
    const store = await openStore(':memory:');
    const w = world();
    const told: Array<[number, number]> = [];
    try {
      await drive(store, detector(store, w.clock, { maxMetricSeries: 2, onMetricSeries: (watched, leftOut) => void told.push([watched, leftOut]) }), w, 0, 3);
      // Five watched series each bucket (two label sets of app.queue.depth, three custom.*): two are taken, in name order.
      expect(told).toEqual([[2, 3], [2, 3]]);
      const keys = (await store.anomalies.loadMetricModels(BUCKET_MS)).map((r) => `${r.key.name} ${r.key.labels}`).sort();
      expect(keys).toEqual(['app.queue.depth {"queue":"a"}', 'app.queue.depth {"queue":"b"}']);
    } finally {
      await store.close();
    }
  });
});

const pg = await postgresAvailable();
if (!pg.ok) console.log(`anomaly-metrics.test.ts: ${pg.reason}; the PostgreSQL tests are skipped (they always run when CI=true)`);

describe.skipIf(!pg.ok)('metric series on PostgreSQL', () => {
  const schema = uniqueSchema();
  afterAll(() => dropSchema(schema));

  it('flags the planted spike and dip at their buckets, nothing else, and resumes after a restart', async () => {
    await story(() => openStore(PG_URL, { pgSchema: schema }));
  });
});

describe.skipIf(!pg.ok)('metric series on an existing PostgreSQL database', () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('a detector started on an existing database fits new series from their stored samples', async () => {
    await checkStartedOnHistory(async () => {
      schemas.push(uniqueSchema());
      return openStore(PG_URL, { pgSchema: schemas[schemas.length - 1] });
    });
  });
});

describe('the anomalyMetrics option', () => {
  it.each([[['a*b']], [['']], [['has space']], ['x,,y'], [Array.from({ length: 101 }, (_, i) => `m${i}`)]])(
    'rejects %j with a coded error at start-up',
    async (value) => {
      expect(() => resolveOptions({ anomalyMetrics: value as string[] })).toThrow(/SIGHTLINE_ERR_COLLECTOR_OPTION: anomalyMetrics/);
      await expect(startCollector({ port: 0, db: ':memory:', anomalyMetrics: value as string[] })).rejects.toMatchObject({ code: 'SIGHTLINE_ERR_COLLECTOR_OPTION' });
    },
  );

  it('takes names, prefixes and a comma-separated string', () => {
    expect(resolveOptions({ anomalyMetrics: 'system.cpu.total.norm.pct, custom.*' }).anomalyMetrics).toEqual(['system.cpu.total.norm.pct', 'custom.*']);
    expect(resolveOptions({}).anomalyMetrics).toEqual([]);
  });

  it('sightline collector --anomaly-metrics and $SIGHTLINE_ANOMALY_METRICS refuse a bad value', async () => {
    const flag = await sightline(['collector', '--db', ':memory:', '--port', '0', '--anomaly-metrics', 'a*b']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("'*' may only end a name");
    const env = await sightline(['collector', '--db', ':memory:', '--port', '0'], { SIGHTLINE_ANOMALY_METRICS: 'ok.name,,' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('anomalyMetrics: an entry is empty');
  });
});

describe('GET /api/v1/anomalies with metric series, and sightline anomalies', () => {
  let collector: RunningCollector;
  const at = Date.now() - 120_000;
  beforeAll(async () => {
    collector = await startCollector({ port: 0, db: ':memory:', anomalyBucket: '1m', anomalyMetrics: WATCHED });
    await collector.store.anomalies.insertAnomalies([
      {
        service: 'shop', environment: 'prod', transactionType: 'request', transactionName: 'GET /sql-group', bucketMs: 60_000, bucketStartMs: at,
        metric: 'latency_mean', score: 87.5, probability: 2e-9, typical: 4.2, actual: 13.1, explanation: [],
      },
      ...[{ queue: 'a' }, { queue: 'b' }].map((labels, i) => ({
        service: 'shop', environment: '', transactionType: '', transactionName: '', labels, bucketMs: 60_000, bucketStartMs: at,
        metric: 'app.queue.depth', score: 70 - i, probability: 1e-7, typical: 50, actual: 80 + i, explanation: null,
      })),
    ]);
  });
  afterAll(() => collector.close());

  const get = async (query: string) => {
    const response = await fetch(`${collector.url}/api/v1/anomalies?${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as { detection: any; items: any[] };
  };

  it('filters by metric name; a metric series carries its labels and no transaction', async () => {
    const body = await get('service=shop&metric=app.queue.depth');
    expect(body.detection.metrics).toEqual(WATCHED);
    expect(body.items).toHaveLength(2);
    expect(body.items[0]).toMatchObject({
      score: 70, typical: 50, actual: 80, metric: 'app.queue.depth', transaction: null, explanation: null,
      series: { kind: 'metric', service: 'shop', environment: null, transactionType: null, transactionName: null, metric: 'app.queue.depth', labels: { queue: 'a' } },
    });
    expect(body.items[1].series.labels).toEqual({ queue: 'b' });
    // Two label sets of one metric in one bucket are two records.
    expect((await get('metric=latency_mean')).items.map((a) => a.series.kind)).toEqual(['transaction']);
  });

  it('filters by kind and by transaction, which leaves metric series out', async () => {
    expect((await get('kind=metric')).items.map((a) => a.metric)).toEqual(['app.queue.depth', 'app.queue.depth']);
    expect((await get('kind=transaction')).items.map((a) => a.metric)).toEqual(['latency_mean']);
    expect((await get(`transaction=${encodeURIComponent('GET /sql-group')}`)).items.map((a) => a.metric)).toEqual(['latency_mean']);
    expect((await get('transaction=%7B%22queue%22%3A%22a%22%7D')).items).toEqual([]);
    expect((await get('metric=nothing.like.this')).items).toEqual([]);
    for (const query of ['kind=span', `metric=${'x'.repeat(1025)}`]) {
      expect((await fetch(`${collector.url}/api/v1/anomalies?${query}`)).status).toBe(400);
    }
  });

  it('sightline anomalies shows a metric series by name and labels, and --metric filters', async () => {
    const run = await sightline(['anomalies', '--url', collector.url, '--since', '1h', '--metric', 'app.queue.depth'], { COLUMNS: '200' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('app.queue.depth {queue=a}');
    expect(run.stdout).toContain('50 → 80');
    expect(run.stdout).not.toContain('latency_mean');
  });
});
