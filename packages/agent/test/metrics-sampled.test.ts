/**
 * At sample rate 0.1, RED metrics stay exact (they count every transaction, not the
 * recorded ones), in the metricsets and in the Prometheus exposition served on metricsPort.
 */
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, flush, getStats, start, startTransaction } from '../src/index.js';
import { IntakeServer } from './helpers/intake-server.js';
import { forTransaction, metricsets, sumOf } from './helpers/metricsets.js';
import { family, get, histogramSeries, openMetricsToText, parseText, valueOf } from './helpers/prometheus-text.js';
import { schemaErrors } from './helpers/spec.js';

const intake = new IntakeServer();
let metricsUrl = '';

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  await intake.start();
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  start({
    serverUrl: intake.url,
    serviceName: 'metrics-sampled',
    sampleRate: 0.1,
    metricsIntervalMs: 100,
    flushIntervalMs: 20,
    metricsPort: port,
    globalLabels: 'region=eu,tier=web',
    captureExceptions: false,
    logLevel: 'error',
  });
});

afterAll(async () => {
  await close();
  await intake.close();
});

const MADE = { checkout: 500, search: 300, failedCheckouts: 37 };

describe('RED at sample rate 0.1', () => {
  it('counts every transaction, sampled or not, exactly', async () => {
    for (let i = 0; i < MADE.checkout; i++) {
      const tx = startTransaction('POST /checkout', 'request');
      if (i < MADE.failedCheckouts) tx.setOutcome('failure');
      tx.end();
    }
    for (let i = 0; i < MADE.search; i++) startTransaction('GET /search', 'request').end();
    await flush();
    const stats = getStats()!.tracer;
    // Most were not recorded…
    expect(stats.transactionsUnsampled).toBeGreaterThan(600);
    const shipped = intake.events.filter((e) => e.kind === 'transaction').length;
    expect(shipped).toBeLessThan(200);
    // …and every one was counted.
    const sets = metricsets(intake);
    expect(sumOf(sets, 'transactions_total', forTransaction('POST /checkout'))).toBe(MADE.checkout);
    expect(sumOf(sets, 'transaction_errors_total', forTransaction('POST /checkout'))).toBe(MADE.failedCheckouts);
    expect(sumOf(sets, 'transaction_duration_seconds_count', forTransaction('POST /checkout'))).toBe(MADE.checkout);
    expect(sumOf(sets, 'transactions_total', forTransaction('GET /search'))).toBe(MADE.search);
    for (const m of sets) expect(schemaErrors('metricset', m)).toBe('');
  });
});

describe('Prometheus exposition on metricsPort', () => {
  it('serves text format 0.0.4 that a Prometheus parser reads back, with the same RED numbers', async () => {
    const res = await get(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseText(res.body);
    const requests = family(families, 'transactions_total');
    expect(requests.type).toBe('COUNTER');
    expect(valueOf(requests, { transaction_name: 'POST /checkout', transaction_type: 'request' })).toBe(MADE.checkout);
    expect(valueOf(requests, { transaction_name: 'GET /search' })).toBe(MADE.search);
    expect(valueOf(family(families, 'transaction_errors_total'), { transaction_name: 'POST /checkout' })).toBe(MADE.failedCheckouts);

    expect(family(families, 'transaction_duration_seconds').type).toBe('HISTOGRAM');
    const series = histogramSeries(res.body, 'transaction_duration_seconds', { transaction_name: 'POST /checkout', transaction_type: 'request' });
    expect(series.count).toBe(MADE.checkout);
    expect(series.buckets.map(([le]) => le)).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    const cumulative = series.buckets.map(([, n]) => n);
    expect([...cumulative].sort((a, b) => a - b)).toEqual(cumulative);
    expect(cumulative.at(-1)).toBe(MADE.checkout);
    expect(series.sum).toBeGreaterThanOrEqual(0);

    // Global labels are on every series; runtime metrics are there too.
    expect(requests.metrics.every((m) => m.labels?.region === 'eu' && m.labels?.tier === 'web')).toBe(true);
    expect(valueOf(family(families, 'process_resident_memory_bytes'))).toBeGreaterThan(0);
    expect(family(families, 'nodejs_gc_duration_seconds').type).toBe('HISTOGRAM');
  });

  it('serves OpenMetrics 1.0 when the Accept header asks for it', async () => {
    const accept = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    const res = await get(metricsUrl, accept);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(res.body).toContain('# TYPE transactions counter\n');
    expect(res.body).toContain('# UNIT transaction_duration_seconds seconds\n');
    expect(res.body).toMatch(/transaction_duration_seconds_bucket\{[^}]*le="1\.0"\}/);
    const families = parseText(openMetricsToText(res.body));
    expect(valueOf(family(families, 'transactions_total'), { transaction_name: 'POST /checkout' })).toBe(MADE.checkout);
  });

  it('answers text/plain to a plain Accept, 404 off /metrics, 405 to a POST, headers only to HEAD', async () => {
    expect((await get(metricsUrl, 'text/plain')).contentType).toContain('version=0.0.4');
    expect((await get(metricsUrl, 'application/openmetrics-text;q=0.2, text/plain')).contentType).toContain('version=0.0.4');
    expect((await get(metricsUrl.replace('/metrics', '/other'))).status).toBe(404);
    expect((await get(metricsUrl, undefined, 'POST')).status).toBe(405);
    const head = await get(metricsUrl, undefined, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('is not traced: scrapes are no transactions of the app', async () => {
    const before = getStats()!.tracer.transactionsStarted;
    await get(metricsUrl);
    expect(getStats()!.tracer.transactionsStarted).toBe(before);
  });
});
