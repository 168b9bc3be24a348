/**
 * The custom metrics API: counters, gauges, histograms, their label and name rules (coded
 * errors when defined, never a throw when used), the exposition of them read back by a
 * parser, served by node:http, Express and Fastify, and their metricsets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsHandler, metrics, SightlineError } from '../src/index.js';
import { logger, type LogLevel } from '../src/log.js';
import { DeltaTracker, histogramShape, toMetricsets, type Metricset } from '../src/metrics/metricset.js';
import { OTHER_NAME, RedMetrics } from '../src/metrics/red.js';
import { MAX_SERIES, Registry, userRegistry } from '../src/metrics/registry.js';
import { family, get, histogramSeries, openMetricsToText, parseText, valueOf } from './helpers/prometheus-text.js';
import { schemaErrors } from './helpers/spec.js';

const logged: Array<[LogLevel, string]> = [];
logger.setSink((level, message) => logged.push([level, message]));

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SightlineError);
    return (err as SightlineError).code;
  }
  return null;
}

describe('counter', () => {
  it('goes up by inc(), per label set, and ignores (and says once) a negative inc', () => {
    const c = metrics.counter({ name: 'orders_placed_total', help: 'Orders placed.', labelNames: ['country', 'express'] });
    c.inc({ country: 'fr', express: true });
    c.inc({ country: 'fr', express: true }, 2);
    c.labels({ country: 'de', express: false }).inc(5);
    c.inc({ country: 'de', express: false }, -3);
    c.inc({ country: 'de', express: false }, Number.NaN);
    c.inc({ country: 'de', express: false }, -1);
    expect(c.get({ country: 'fr', express: 'true' })).toBe(3);
    expect(c.get({ country: 'de', express: false })).toBe(5);
    expect(logged.filter(([, m]) => m.includes('orders_placed_total: inc(')).length).toBe(1);
  });

  it('coerces label values instead of throwing: numbers, booleans, null, objects, missing ones', () => {
    const c = metrics.counter({ name: 'coerced_total', help: 'x', labelNames: ['a', 'b'] });
    c.inc({ a: 1, b: null });
    c.inc({ a: '1', b: '' });
    c.inc({ a: 1 });
    c.inc({ a: { toString: () => 'obj' }, b: undefined });
    c.inc({ a: { toString: () => { throw new Error('no'); } } } as never);
    expect(c.get({ a: '1', b: '' })).toBe(3);
    expect(c.get({ a: 'obj' })).toBe(1);
    expect(c.get({ a: '[unprintable]' })).toBe(1);
    c.inc({ a: 'new', nope: 'x' });
    expect(logged.some(([, m]) => m.includes('has no label "nope"'))).toBe(true);
  });

  it('keeps at most MAX_SERIES label sets and drops later ones, said once', () => {
    const c = metrics.counter({ name: 'wide_total', help: 'x', labelNames: ['id'] });
    for (let i = 0; i < MAX_SERIES + 50; i++) c.inc({ id: i });
    expect(c.snapshot().series.length).toBe(MAX_SERIES);
    expect(c.get({ id: MAX_SERIES + 10 })).toBe(0);
    expect(logged.filter(([, m]) => m.includes('wide_total has 2000 label sets')).length).toBe(1);
  });
});

describe('gauge', () => {
  it('is set, incremented and decremented, and read by a collect callback', async () => {
    const g = metrics.gauge({ name: 'queue_depth', help: 'Jobs waiting.', labelNames: ['queue'] });
    g.set({ queue: 'mail' }, 10);
    g.inc({ queue: 'mail' });
    g.dec({ queue: 'mail' }, 4);
    g.labels({ queue: 'sms' }).set(2);
    g.set({ queue: 'sms' }, 'x' as never);
    expect(g.get({ queue: 'mail' })).toBe(7);
    expect(g.get({ queue: 'sms' })).toBe(2);
    let calls = 0;
    const pool = metrics.gauge({
      name: 'pool_free_connections',
      help: 'Free connections.',
      async collect() {
        calls++;
        await Promise.resolve();
        this.set(42);
      },
    });
    const snapshots = await userRegistry.collect();
    expect(calls).toBe(1);
    expect(snapshots.find((f) => f.name === 'pool_free_connections')!.series[0]!.value).toBe(42);
    expect(pool.get()).toBe(42);
  });
});

describe('histogram', () => {
  it('counts observations into fixed buckets (le: upper bound included), with sum and count', () => {
    const h = metrics.histogram({ name: 'payload_bytes', help: 'Payload size.', unit: 'bytes', buckets: [100, 1000, 10_000] });
    for (const v of [50, 100, 101, 999, 5000, 20_000, 20_000]) h.observe(v);
    h.observe(Number.NaN);
    const s = h.snapshot().series[0]!;
    expect(s.counts).toEqual([2, 2, 1, 2]);
    expect(s.count).toBe(7);
    expect(s.sum).toBe(50 + 100 + 101 + 999 + 5000 + 40_000);
  });

  it('times work with startTimer, labels given at the start and the end', async () => {
    const h = metrics.histogram({ name: 'job_duration_seconds', help: 'Job time.', unit: 'seconds', labelNames: ['job', 'status'] });
    const end = h.startTimer({ job: 'export' });
    await new Promise((r) => setTimeout(r, 20));
    const seconds = end({ status: 'ok' });
    expect(seconds).toBeGreaterThanOrEqual(0.015);
    const bound = h.labels({ job: 'import', status: 'ok' }).startTimer();
    expect(bound()).toBeGreaterThanOrEqual(0);
    const s = h.snapshot().series.find((x) => x.labelValues[0] === 'export')!;
    expect(s.labelValues).toEqual(['export', 'ok']);
    expect(s.count).toBe(1);
    expect(s.sum).toBe(seconds);
  });

  it('offers linear and exponential buckets', () => {
    expect(metrics.linearBuckets(0.1, 0.1, 3).map((b) => +b.toFixed(3))).toEqual([0.1, 0.2, 0.3]);
    expect(metrics.exponentialBuckets(1, 2, 4)).toEqual([1, 2, 4, 8]);
    expect(codeOf(() => metrics.exponentialBuckets(0, 2, 4))).toBe('SIGHTLINE_ERR_INVALID_ARGUMENT');
  });
});

describe('definition errors are coded, at definition time', () => {
  const bad: Array<[string, () => unknown]> = [
    ['a name with a dash', () => metrics.counter({ name: 'api-calls_total', help: 'x' })],
    ['a name starting with a digit', () => metrics.gauge({ name: '1st_gauge', help: 'x' })],
    ['an empty name', () => metrics.gauge({ name: '', help: 'x' })],
    ['a missing help', () => metrics.gauge({ name: 'no_help' } as never)],
    ['a label with a dot', () => metrics.counter({ name: 'ok_total', help: 'x', labelNames: ['http.method'] })],
    ['a label with the reserved __ prefix', () => metrics.counter({ name: 'ok2_total', help: 'x', labelNames: ['__name'] })],
    ['the label le', () => metrics.histogram({ name: 'h1', help: 'x', labelNames: ['le'] })],
    ['a label given twice', () => metrics.counter({ name: 'ok3_total', help: 'x', labelNames: ['a', 'a'] })],
    ['labelNames not an array', () => metrics.counter({ name: 'ok4_total', help: 'x', labelNames: 'a' as never })],
    ['buckets out of order', () => metrics.histogram({ name: 'h2', help: 'x', buckets: [1, 0.5] })],
    ['no buckets', () => metrics.histogram({ name: 'h3', help: 'x', buckets: [] })],
    ['a NaN bucket', () => metrics.histogram({ name: 'h4', help: 'x', buckets: [Number.NaN] })],
    ['a bad unit', () => metrics.gauge({ name: 'g_unit', help: 'x', unit: 'kilo bytes' })],
    ['a collect that is no function', () => metrics.gauge({ name: 'g_collect', help: 'x', collect: 5 as never })],
  ];
  for (const [what, define] of bad) {
    it(`rejects ${what}`, () => {
      expect(codeOf(define)).toBe('SIGHTLINE_ERR_INVALID_ARGUMENT');
    });
  }

  it('says what to do in the message', () => {
    expect(() => metrics.counter({ name: 'api-calls_total', help: 'x' })).toThrow(/Rename it \(e\.g\. "api_calls_total"\) or pass `sanitize: true`/);
  });

  it('returns the first metric for the same definition, and rejects another kind by the same name', () => {
    const a = metrics.counter({ name: 'same_total', help: 'x', labelNames: ['k'] });
    expect(metrics.counter({ name: 'same_total', help: 'x', labelNames: ['k'] })).toBe(a);
    expect(codeOf(() => metrics.gauge({ name: 'same_total', help: 'x', labelNames: ['k'] }))).toBe('SIGHTLINE_ERR_INVALID_ARGUMENT');
    expect(codeOf(() => metrics.counter({ name: 'same_total', help: 'x', labelNames: ['other'] }))).toBe('SIGHTLINE_ERR_INVALID_ARGUMENT');
  });

  it('repairs names and labels instead with sanitize: true', () => {
    const c = metrics.counter({ name: 'api.requests-total', help: 'x', labelNames: ['http.method', '__x', '9lives'], sanitize: true });
    expect(c.name).toBe('api_requests_total');
    expect(c.labelNames).toEqual(['http_method', '_x', '_9lives']);
    expect(metrics.gauge({ name: '2fast', help: 'x', sanitize: true }).name).toBe('_2fast');
  });
});

describe('exposition of custom metrics', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer(createMetricsHandler());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is read back by a Prometheus parser with the values set, escaped label values intact', async () => {
    const c = metrics.counter({ name: 'escapes_total', help: 'Help with a \\ backslash\nand a newline.', labelNames: ['v'] });
    const tricky = 'quote " backslash \\ newline \n end';
    c.inc({ v: tricky }, 4);
    const res = await get(url);
    expect(res.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseText(res.body);
    expect(valueOf(family(families, 'escapes_total'), { v: tricky })).toBe(4);
    expect(family(families, 'escapes_total').help).toBe('Help with a \\ backslash\nand a newline.');
    expect(valueOf(family(families, 'orders_placed_total'), { country: 'fr', express: 'true' })).toBe(3);
    expect(valueOf(family(families, 'queue_depth'), { queue: 'mail' })).toBe(7);
    expect(valueOf(family(families, 'pool_free_connections'))).toBe(42);
    const payload = histogramSeries(res.body, 'payload_bytes', {});
    expect(payload.buckets).toEqual([['100', 2], ['1000', 4], ['10000', 5], ['+Inf', 7]]);
    expect(payload.count).toBe(7);
    // Without a running agent there are no agent metrics.
    expect(families.find((f) => f.name === 'transactions_total')).toBeUndefined();
  });

  it('is OpenMetrics when asked, with counters as _total and a UNIT where the name ends with it', async () => {
    const res = await get(url, 'application/openmetrics-text; version=1.0.0');
    expect(res.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(res.body).toContain('# TYPE orders_placed counter\n');
    expect(res.body).toContain('# UNIT payload_bytes bytes\n');
    expect(res.body).toContain('payload_bytes_bucket{le="100.0"} 2\n');
    const families = parseText(openMetricsToText(res.body));
    expect(valueOf(family(families, 'orders_placed_total'), { country: 'de' })).toBe(5);
  });

  it('mounts in Express', async () => {
    const app = express();
    app.get('/metrics', createMetricsHandler());
    const s = await new Promise<Server>((r) => {
      const srv = app.listen(0, '127.0.0.1', () => r(srv));
    });
    try {
      const res = await get(`http://127.0.0.1:${(s.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(200);
      expect(valueOf(family(parseText(res.body), 'queue_depth'), { queue: 'sms' })).toBe(2);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });

  it('mounts in Fastify', async () => {
    const app = Fastify();
    app.get('/metrics', createMetricsHandler());
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = app.server.address() as AddressInfo;
      const res = await get(`http://127.0.0.1:${address.port}/metrics`, 'application/openmetrics-text');
      expect(res.status).toBe(200);
      expect(res.contentType).toContain('openmetrics');
      expect(valueOf(family(parseText(openMetricsToText(res.body)), 'queue_depth'), { queue: 'sms' })).toBe(2);
    } finally {
      await app.close();
    }
  });
});

describe('metricsets of custom metrics', () => {
  it('carry deltas for counters and histograms, values for gauges, and validate against the schema', async () => {
    const registry = new Registry();
    const deltas = new DeltaTracker();
    const c = registry.getOrCreate(metrics.counter({ name: 'signups_total', help: 'x', labelNames: ['plan'] }));
    const h = registry.getOrCreate(metrics.histogram({ name: 'render_seconds', help: 'x', unit: 'seconds', labelNames: ['plan'], buckets: [0.1, 1] }));
    const g = registry.getOrCreate(metrics.gauge({ name: 'users_online', help: 'x' }));
    const report = async (): Promise<Metricset[]> => {
      const out: Metricset[] = [];
      deltas.begin();
      toMetricsets('test', await registry.collect(), deltas, Date.now() * 1000, out);
      deltas.end();
      return out;
    };
    c.inc({ plan: 'pro' }, 3);
    h.observe({ plan: 'pro' }, 0.05);
    h.observe({ plan: 'pro' }, 0.5);
    h.observe({ plan: 'pro' }, 5);
    g.set(12);
    const first = await report();
    for (const m of first) expect(schemaErrors('metricset', m)).toBe('');
    const pro = first.find((m) => m.tags?.plan === 'pro')!;
    expect(pro.samples.signups_total).toEqual({ value: 3 });
    expect(pro.samples.render_seconds).toEqual({ type: 'histogram', unit: 's', values: [0.05, 0.55, 1], counts: [1, 1, 1] });
    expect(pro.samples.render_seconds_count).toEqual({ value: 3 });
    expect(pro.samples.render_seconds_sum!.value).toBeCloseTo(5.55);
    expect(first.find((m) => m.tags === undefined)!.samples.users_online).toEqual({ type: 'gauge', value: 12 });

    c.inc({ plan: 'pro' });
    const second = await report();
    const pro2 = second.find((m) => m.tags?.plan === 'pro')!;
    expect(pro2.samples.signups_total).toEqual({ value: 1 });
    expect(pro2.samples.render_seconds).toEqual({ type: 'histogram', unit: 's', values: [], counts: [] });
    for (const m of second) expect(schemaErrors('metricset', m)).toBe('');

    // Nothing happened to the counters: only the gauge's metricset is sent.
    const third = await report();
    expect(third.map((m) => Object.keys(m.samples))).toEqual([['users_online']]);
  });

  it('shape histograms as the intake wants: bucket midpoints, the +Inf bucket at the last bound', () => {
    expect(histogramShape([1, 2, 4], [0, 3, 0, 2])).toEqual({ values: [1.5, 4], counts: [3, 2] });
    expect(histogramShape([0.005, 0.01], [7, 0, 0])).toEqual({ values: [0.0025], counts: [7] });
  });
});

describe('RedMetrics.record', () => {
  it('folds names past the limit into _other, said once', () => {
    const red = new RedMetrics(new Registry(), 3);
    for (let i = 0; i < 10; i++) red.record({ name: `GET /item/${i}`, type: 'request', durationMs: 12, outcome: i === 9 ? 'failure' : 'success' });
    red.record({ name: 'GET /item/0', type: 'request', durationMs: 12, outcome: 'success' });
    expect(red.requests.get({ transaction_name: 'GET /item/0', transaction_type: 'request' })).toBe(2);
    expect(red.requests.get({ transaction_name: OTHER_NAME, transaction_type: 'request' })).toBe(7);
    expect(red.errors.get({ transaction_name: OTHER_NAME, transaction_type: 'request' })).toBe(1);
    expect(red.requests.snapshot().series.length).toBe(4);
    expect(logged.filter(([, m]) => m.includes('distinct transaction names')).length).toBe(1);
  });
});
