/**
 * Shipping to the intake: an app's prom-client registry through the bridge, and metrics of
 * the custom API, as valid metricsets whose deltas add up to what the app counted.
 */
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPromClientRegistry, close, flush, metrics, SightlineError, start } from '../src/index.js';
import { IntakeServer } from './helpers/intake-server.js';
import { lastWith, metricsets, sumOf } from './helpers/metricsets.js';
import { schemaErrors } from './helpers/spec.js';

const intake = new IntakeServer();
const registry = new client.Registry();
let stopBridge: () => void = () => {};

beforeAll(async () => {
  await intake.start();
  start({ serverUrl: intake.url, serviceName: 'metrics-bridge', metricsIntervalMs: 100, flushIntervalMs: 20, captureExceptions: false, logLevel: 'error' });
});

afterAll(async () => {
  stopBridge();
  await close();
  await intake.close();
});

describe('prom-client bridge', () => {
  it('ships counters, gauges, histograms and summaries of a prom-client registry', async () => {
    const jobs = new client.Counter({ name: 'jobs_processed_total', help: 'Jobs.', labelNames: ['queue'], registers: [registry] });
    const depth = new client.Gauge({ name: 'jobs_waiting', help: 'Waiting.', registers: [registry] });
    const latency = new client.Histogram({ name: 'job_latency_seconds', help: 'Latency.', labelNames: ['queue'], buckets: [0.1, 1, 10], registers: [registry] });
    const size = new client.Summary({ name: 'job_size_bytes', help: 'Size.', registers: [registry] });
    stopBridge = addPromClientRegistry(registry);
    jobs.inc({ queue: 'mail' }, 5);
    depth.set(3);
    latency.observe({ queue: 'mail' }, 0.05);
    latency.observe({ queue: 'mail' }, 2);
    size.observe(100);
    await flush();
    jobs.inc({ queue: 'mail' }, 2);
    latency.observe({ queue: 'mail' }, 20);
    await flush();

    const sets = metricsets(intake);
    const mail = (m: { tags?: Record<string, string> }): boolean => m.tags?.queue === 'mail';
    expect(sumOf(sets, 'jobs_processed_total', mail)).toBe(7);
    expect(sumOf(sets, 'job_latency_seconds_count', mail)).toBe(3);
    const counts: number[] = [];
    for (const m of sets) if (mail(m) && m.samples.job_latency_seconds) counts.push(...m.samples.job_latency_seconds.counts!);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(lastWith(sets, 'jobs_waiting')!.samples.jobs_waiting).toEqual({ type: 'gauge', value: 3 });
    expect(lastWith(sets, 'job_size_bytes', (m) => m.tags?.quantile === '0.5')!.samples.job_size_bytes!.value).toBe(100);
    expect(sumOf(sets, 'job_size_bytes_count')).toBe(1);
    for (const m of sets) expect(schemaErrors('metricset', m)).toBe('');
  });

  it('stops shipping a registry when asked', async () => {
    stopBridge();
    const before = metricsets(intake).length;
    new client.Counter({ name: 'after_stop_total', help: 'x', registers: [registry] }).inc();
    await flush();
    expect(metricsets(intake).slice(before).some((m) => m.samples.after_stop_total !== undefined)).toBe(false);
  });

  it('refuses something that is not a prom-client registry, with a coded error', () => {
    expect(() => addPromClientRegistry({} as never)).toThrow(SightlineError);
    expect(() => addPromClientRegistry(null as never)).toThrow(/SIGHTLINE_ERR_INVALID_ARGUMENT/);
  });
});

describe('custom metrics', () => {
  it('ship with the agent’s, as deltas that add up to what was counted', async () => {
    const logins = metrics.counter({ name: 'logins_total', help: 'Logins.', labelNames: ['method'] });
    const carts = metrics.gauge({ name: 'open_carts', help: 'Open carts.' });
    const render = metrics.histogram({ name: 'render_seconds', help: 'Render.', unit: 'seconds', labelNames: ['page'] });
    for (let i = 0; i < 25; i++) logins.inc({ method: i % 5 === 0 ? 'sso' : 'password' });
    carts.set(9);
    render.observe({ page: 'home' }, 0.03);
    await flush();
    logins.inc({ method: 'sso' });
    await flush();
    const sets = metricsets(intake);
    expect(sumOf(sets, 'logins_total', (m) => m.tags?.method === 'sso')).toBe(6);
    expect(sumOf(sets, 'logins_total', (m) => m.tags?.method === 'password')).toBe(20);
    expect(lastWith(sets, 'open_carts')!.samples.open_carts!.value).toBe(9);
    const home = lastWith(sets, 'render_seconds', (m) => m.tags?.page === 'home')!;
    const { values, counts, ...rest } = home.samples.render_seconds!;
    expect(rest).toEqual({ type: 'histogram', unit: 's' });
    expect(counts).toEqual([1]);
    // The 25-50 ms bucket, shown as its midpoint.
    expect(values![0]).toBeCloseTo(0.0375, 10);
    for (const m of sets) expect(schemaErrors('metricset', m)).toBe('');
  });

  it('are not held up by a collect callback that never finishes', async () => {
    metrics.gauge({ name: 'never_ready', help: 'A gauge whose callback hangs.', collect: () => new Promise<void>(() => {}) });
    metrics.counter({ name: 'still_counted_total', help: 'x' }).inc(2);
    await flush();
    expect(sumOf(metricsets(intake), 'still_counted_total')).toBe(2);
  });
});
