/**
 * Adaptive protection: `maxTransactionsPerSecond` caps the transactions recorded (shipped
 * with their spans) per second, and samples the rest out, while RED metrics keep counting
 * every request exactly. Real HTTP requests to a real node:http server, a real intake.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, flush, getStats, start, startTransaction } from '../src/index.js';
import { IntakeServer } from './helpers/intake-server.js';
import { forTransaction, metricsets, sumOf } from './helpers/metricsets.js';

const CAP = 25;
const intake = new IntakeServer();
let server: Server;
let appUrl = '';

beforeAll(async () => {
  await intake.start();
  start({
    serverUrl: intake.url,
    serviceName: 'adaptive-sampling',
    maxTransactionsPerSecond: CAP,
    metricsIntervalMs: 100,
    flushIntervalMs: 20,
    captureExceptions: false,
    logLevel: 'error',
  });
  server = createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 503 : 200;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await close();
  await new Promise((r) => server.close(r));
  await intake.close();
});

/** The most a cap lets through while `elapsedMs` passed: one full window per second started. */
function allowedFor(elapsedMs: number): number {
  return CAP * (1 + Math.ceil(elapsedMs / 1000));
}

function shipped(name: string): number {
  return intake.events.filter((e) => e.kind === 'transaction' && (e.event as { name?: string }).name === name).length;
}

async function load(path: string, requests: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests) {
      next++;
      const res = await fetch(`${appUrl}${path}`);
      await res.text();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe('maxTransactionsPerSecond under overload', () => {
  it('records at most the cap per second, and RED still counts every request and every failure exactly', async () => {
    const before = getStats()!.tracer;
    const startedAt = Date.now();
    await Promise.all([load('/', 400, 16), load('/fail', 100, 4)]);
    const elapsedMs = Date.now() - startedAt;
    await flush();
    await new Promise((r) => setTimeout(r, 150)); // one more metrics interval
    await flush();

    const stats = getStats()!.tracer;
    const started = stats.transactionsStarted - before.transactionsStarted;
    const sampled = stats.transactionsSampled - before.transactionsSampled;
    expect(started).toBe(500);
    // Sampled down: the cap, not the load, decides how many are recorded…
    expect(sampled).toBeGreaterThanOrEqual(CAP);
    expect(sampled).toBeLessThanOrEqual(allowedFor(elapsedMs));
    expect(shipped('GET unknown route')).toBe(sampled);
    // …while the metrics count all 500 requests, and all 100 failures.
    const sets = metricsets(intake);
    const name = forTransaction('GET unknown route');
    expect(sumOf(sets, 'transactions_total', name)).toBe(500);
    expect(sumOf(sets, 'transaction_errors_total', name)).toBe(100);
    expect(sumOf(sets, 'transaction_duration_seconds_count', name)).toBe(500);
  });

  it('caps continued traces too: an upstream that sampled does not override the protection', () => {
    const before = getStats()!.tracer;
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const startedAt = Date.now();
    for (let i = 0; i < 300; i++) startTransaction('GET /continued', 'request', { traceparent }).end();
    const elapsedMs = Date.now() - startedAt;
    const sampled = getStats()!.tracer.transactionsSampled - before.transactionsSampled;
    expect(sampled).toBeLessThanOrEqual(allowedFor(elapsedMs));
    expect(getStats()!.tracer.transactionsStarted - before.transactionsStarted).toBe(300);
  });

  it('records again once the overload is over (the next second has a fresh allowance)', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const before = getStats()!.tracer;
    for (let i = 0; i < 5; i++) startTransaction('GET /quiet', 'request').end();
    expect(getStats()!.tracer.transactionsSampled - before.transactionsSampled).toBe(5);
    await flush();
    expect(shipped('GET /quiet')).toBe(5);
  });
});
