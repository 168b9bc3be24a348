/**
 * The agent's own metrics, shipped to a real intake: RED per transaction name equal to the
 * transactions made, breakdown by span type, runtime health, all valid metricsets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, flush, getStats, start, startTransaction, withSpan } from '../src/index.js';
import { IntakeServer } from './helpers/intake-server.js';
import { forTransaction, lastWith, metricsets, sumOf, waitUntil } from './helpers/metricsets.js';
import { schemaErrors } from './helpers/spec.js';

const intake = new IntakeServer();

beforeAll(async () => {
  await intake.start();
  start({ serverUrl: intake.url, serviceName: 'metrics-agent', metricsIntervalMs: 100, flushIntervalMs: 20, captureExceptions: false, logLevel: 'error' });
});

afterAll(async () => {
  await close();
  await intake.close();
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('RED metrics', () => {
  it('count every transaction by name and type, failures as errors, durations in a histogram', async () => {
    for (let i = 0; i < 120; i++) {
      const tx = startTransaction('GET /users/:id', 'request');
      tx.setOutcome(i % 10 === 0 ? 'failure' : 'success');
      tx.end('HTTP 2xx');
    }
    for (let i = 0; i < 30; i++) startTransaction('POST /orders', 'request').end();
    for (let i = 0; i < 7; i++) {
      const job = startTransaction('nightly-report', 'job');
      job.setOutcome('failure');
      job.end();
    }
    await flush();
    const sets = metricsets(intake);
    const users = forTransaction('GET /users/:id');
    expect(sumOf(sets, 'transactions_total', users)).toBe(120);
    expect(sumOf(sets, 'transaction_errors_total', users)).toBe(12);
    expect(sumOf(sets, 'transaction_duration_seconds_count', users)).toBe(120);
    expect(sumOf(sets, 'transactions_total', forTransaction('POST /orders'))).toBe(30);
    expect(sumOf(sets, 'transaction_errors_total', forTransaction('POST /orders'))).toBe(0);
    expect(sumOf(sets, 'transactions_total', forTransaction('nightly-report', 'job'))).toBe(7);
    expect(sumOf(sets, 'transaction_errors_total', forTransaction('nightly-report', 'job'))).toBe(7);

    const hist = lastWith(sets, 'transaction_duration_seconds', users)!.samples.transaction_duration_seconds!;
    expect(hist.type).toBe('histogram');
    expect(hist.unit).toBe('s');
    expect(hist.values!.length).toBe(hist.counts!.length);
    // Transactions ended at once fall in the first bucket (0-5 ms), shown as its midpoint.
    expect(hist.values![0]).toBe(0.0025);
    expect(getStats()!.tracer.transactionsStarted).toBeGreaterThanOrEqual(157);
  });

  it('carry no tags of their own: the transaction is in the metricset, as Elastic sends it', async () => {
    const set = lastWith(metricsets(intake), 'transactions_total', forTransaction('POST /orders'))!;
    expect(set.transaction).toEqual({ name: 'POST /orders', type: 'request' });
    expect(set.tags).toBeUndefined();
    expect(Number.isInteger(set.timestamp)).toBe(true);
    expect(Math.abs(set.timestamp / 1000 - Date.now())).toBeLessThan(60_000);
  });
});

describe('breakdown', () => {
  it('sums span self time by span type, and the transaction’s own time as "app"', async () => {
    const tx = startTransaction('GET /breakdown', 'request');
    const { runWithActive } = await import('../src/trace/context.js');
    await runWithActive(tx, async () => {
      await withSpan('SELECT users', async () => sleep(30), 'db');
      await withSpan('SELECT orders', async () => sleep(30), 'db');
      await withSpan('render', async () => sleep(5), 'template');
    });
    await sleep(5);
    tx.end();
    await flush();
    const sets = metricsets(intake).filter((m) => m.transaction?.name === 'GET /breakdown' && m.span !== undefined);
    const db = sets.find((m) => m.span!.type === 'db')!;
    expect(db.samples.span_self_time_count_total!.value).toBe(2);
    expect(db.samples.span_self_time_seconds_total!.value).toBeGreaterThanOrEqual(0.05);
    expect(db.samples.span_self_time_seconds_total!.unit).toBe('s');
    const app = sets.find((m) => m.span!.type === 'app')!;
    expect(app.samples.span_self_time_count_total!.value).toBe(1);
    // The transaction's self time excludes its spans' time.
    expect(app.samples.span_self_time_seconds_total!.value).toBeLessThan(tx.durationMs / 1000 - 0.05);
    expect(sets.find((m) => m.span!.type === 'template')).toBeDefined();
  });
});

describe('runtime metrics', () => {
  it('report CPU, memory, event-loop delay and utilisation, handles and requests, plausibly', async () => {
    await sleep(250);
    await flush();
    const set = lastWith(metricsets(intake), 'process_resident_memory_bytes')!;
    const v = (name: string): number => {
      const sample = set.samples[name];
      expect(sample, name).toBeDefined();
      return sample!.value!;
    };
    expect(set.tags).toBeUndefined();
    expect(set.transaction).toBeUndefined();
    expect(v('process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    expect(set.samples.process_resident_memory_bytes!.unit).toBe('byte');
    expect(v('nodejs_heap_used_bytes')).toBeGreaterThan(0);
    expect(v('nodejs_heap_used_bytes')).toBeLessThanOrEqual(v('nodejs_heap_total_bytes'));
    expect(v('nodejs_external_memory_bytes')).toBeGreaterThan(0);
    expect(v('nodejs_array_buffers_bytes')).toBeGreaterThanOrEqual(0);
    expect(v('nodejs_eventloop_delay_p50_seconds')).toBeGreaterThan(0);
    expect(v('nodejs_eventloop_delay_p99_seconds')).toBeGreaterThanOrEqual(v('nodejs_eventloop_delay_p50_seconds'));
    expect(v('nodejs_eventloop_delay_max_seconds')).toBeGreaterThanOrEqual(v('nodejs_eventloop_delay_p99_seconds'));
    expect(v('nodejs_eventloop_delay_mean_seconds')).toBeGreaterThan(0);
    expect(v('nodejs_eventloop_utilization_ratio')).toBeGreaterThanOrEqual(0);
    expect(v('nodejs_eventloop_utilization_ratio')).toBeLessThanOrEqual(1);
    expect(v('process_cpu_utilization_ratio')).toBeGreaterThanOrEqual(0);
    expect(v('nodejs_active_handles')).toBeGreaterThan(0);
    expect(v('nodejs_active_requests')).toBeGreaterThanOrEqual(0);
    // CPU seconds are counters: each metricset carries the CPU used since the one before.
    const sets = metricsets(intake);
    const cpu = sumOf(sets, 'process_cpu_user_seconds_total') + sumOf(sets, 'process_cpu_system_seconds_total');
    expect(cpu).toBeGreaterThan(0);
    const used = process.cpuUsage();
    expect(cpu).toBeLessThanOrEqual((used.user + used.system) / 1e6);
  });

  it('count GC pauses by kind after allocations', async () => {
    const keep: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      keep.push(new Array(10_000).fill(i));
      if (keep.length > 20) keep.shift();
    }
    await sleep(150);
    await flush();
    const sets = metricsets(intake);
    const minor = sumOf(sets, 'nodejs_gc_duration_seconds_count', (m) => m.tags?.kind === 'minor');
    expect(minor).toBeGreaterThan(0);
    const set = lastWith(sets, 'nodejs_gc_duration_seconds', (m) => m.tags?.kind === 'minor')!;
    expect(set.samples.nodejs_gc_duration_seconds!.type).toBe('histogram');
    expect(set.samples.nodejs_gc_duration_seconds_sum!.value).toBeGreaterThan(0);
  });
});

describe('metricsets', () => {
  it('are all valid against the intake v2 schema', () => {
    const sets = metricsets(intake);
    expect(sets.length).toBeGreaterThan(5);
    for (const m of sets) expect(schemaErrors('metricset', m)).toBe('');
  });

  it('are sent on the interval, without a flush', async () => {
    const before = metricsets(intake).length;
    await waitUntil(() => metricsets(intake).length > before);
    expect(metricsets(intake).length).toBeGreaterThan(before);
  });
});
