/** The transport when things go wrong: a failing or absent server, a full queue, events that will not serialise. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Transport, TransportOptions } from '../src/transport/transport.js';
import { IntakeServer } from './helpers/intake-server.js';
import { captureLog, FAST, makeTransport, sleep } from './helpers/transport-fixtures.js';

let server: IntakeServer;
let url: string;
let log: ReturnType<typeof captureLog>;
const transports: Transport[] = [];

function transport(options: Parameters<typeof makeTransport>[0] = {}, transportOptions: TransportOptions = FAST): Transport {
  const t = makeTransport({ serverUrl: url, ...options }, transportOptions);
  transports.push(t);
  return t;
}

function ids(): unknown[] {
  return server.events.map((e) => e.event.id);
}

beforeEach(async () => {
  log = captureLog();
  server = new IntakeServer();
  url = await server.start();
});

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close(100)));
  await server.close();
});

describe('transport: retries', () => {
  it('retries a batch after 503, 503 with backoff; the events arrive once', async () => {
    server.reply(503, 503);
    const t = transport();
    t.send('span', { id: 'a' });
    t.send('span', { id: 'b' });
    await server.waitForEvents(2, 3000);
    await t.flush(1000);
    expect(server.requests.map((r) => r.status)).toEqual([503, 503, 202]);
    expect(server.requests.map((r) => r.events.length)).toEqual([2, 2, 2]);
    expect(ids()).toEqual(['a', 'b']);
    expect(t.stats()).toMatchObject({ sent: 2, queued: 0, dropped: 0, requests: 3, retries: 2, failedRequests: 2 });
    expect(t.stats().lastError).toContain('HTTP 503');
    // Backoff waits at least half the exponential delay: 5 ms, then 10 ms.
    const [r1, r2, r3] = server.requests;
    expect(r3!.receivedAtMs - r1!.receivedAtMs).toBeGreaterThanOrEqual(14);
    expect(r2!.receivedAtMs).toBeGreaterThanOrEqual(r1!.receivedAtMs);
    expect(log.filter((l) => l.message.includes('retrying with backoff'))).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    server.reply({ status: 429, headers: { 'retry-after': '1' } });
    const t = transport({}, { backoffBaseMs: 10, backoffMaxMs: 5000, maxAttempts: 3 });
    t.send('span', { id: 'a' });
    await server.waitForEvents(1, 4000);
    await t.flush(1000);
    const [first, second] = server.requests;
    expect(second!.receivedAtMs - first!.receivedAtMs).toBeGreaterThanOrEqual(950);
    expect(t.stats()).toMatchObject({ sent: 1, retries: 1 });
  });

  it('retries when the connection drops without an answer', async () => {
    server.reply('destroy');
    const t = transport();
    t.send('span', { id: 'a' });
    await server.waitForEvents(1, 3000);
    await t.flush(1000);
    expect(ids()).toEqual(['a']);
    expect(t.stats()).toMatchObject({ sent: 1, failedRequests: 1, retries: 1 });
  });

  it('retries when the server does not answer within serverTimeoutMs', async () => {
    server.reply('hang');
    // 600 ms: the answered retry must come within it even on a busy CI machine.
    const t = transport({ serverTimeoutMs: 600 });
    t.send('span', { id: 'a' });
    await server.waitForEvents(1, 4000);
    await t.flush(1000);
    expect(t.stats()).toMatchObject({ sent: 1, failedRequests: 1, retries: 1 });
    expect(t.stats().lastError).toContain('no answer within 600 ms');
  });

  it('gives up on an answer trickling in for longer than serverTimeoutMs, though bytes keep coming', async () => {
    const { createServer } = await import('node:http');
    const timers: NodeJS.Timeout[] = [];
    const slow = createServer((req, res) => {
      req.resume();
      res.writeHead(202, { 'content-type': 'application/json' });
      // A byte every 100 ms for 5 s: never idle for as long as the timeout.
      let n = 0;
      const t = setInterval(() => (++n >= 50 ? (clearInterval(t), res.end('{}')) : res.write(' ')), 100);
      timers.push(t);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = slow.address() as { port: number };
      const t = makeTransport({ serverUrl: `http://127.0.0.1:${port}`, serverTimeoutMs: 600 }, { ...FAST, maxAttempts: 1 });
      transports.push(t);
      t.send('span', { id: 'a' });
      const startedAt = Date.now();
      while (t.stats().failedRequests === 0 && Date.now() - startedAt < 4000) await sleep(20);
      expect(t.stats().lastError).toContain('no answer within 600 ms');
      expect(t.stats()).toMatchObject({ sent: 0, failedRequests: 1, droppedFailed: 1 });
      expect(Date.now() - startedAt).toBeLessThan(4000);
    } finally {
      for (const t of timers) clearInterval(t);
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('reaches a server that comes up after connections were refused', async () => {
    const port = Number(new URL(url).port);
    await server.close();
    const t = transport({}, { backoffBaseMs: 20, backoffMaxMs: 50, maxAttempts: 100 });
    t.send('span', { id: 'a' });
    await sleep(150);
    expect(t.stats().failedRequests).toBeGreaterThanOrEqual(1);
    expect(t.stats().lastError).toContain('ECONNREFUSED');
    expect(log.filter((l) => l.message.includes('cannot deliver events'))).toHaveLength(1);
    server = new IntakeServer();
    await server.start(port);
    await server.waitForEvents(1, 3000);
    await t.flush(1000);
    expect(ids()).toEqual(['a']);
    expect(t.stats()).toMatchObject({ sent: 1, queued: 0, dropped: 0 });
  });

  it('gives up on a batch after maxAttempts, counts it as droppedFailed, and carries on with the next', async () => {
    server.reply(503, 503, 503);
    const t = transport({}, { backoffBaseMs: 5, backoffMaxMs: 10, maxAttempts: 3 });
    t.send('span', { id: 'lost-1' });
    t.send('span', { id: 'lost-2' });
    await t.flush(3000);
    expect(t.stats()).toMatchObject({ sent: 0, droppedFailed: 2, dropped: 2, requests: 3, retries: 2, queued: 0 });
    expect(log.filter((l) => l.message.includes('gave up on 2 events after 3 attempts'))).toHaveLength(1);
    t.send('span', { id: 'next' });
    await server.waitForEvents(1, 3000);
    await t.flush(1000);
    expect(ids()).toEqual(['next']);
  });

  it('retries only the events a 503 did not accept', async () => {
    server.reply({ status: 503, body: { accepted: 1, errors: [{ message: 'queue is full' }] } });
    const t = transport();
    for (const id of ['a', 'b', 'c']) t.send('span', { id });
    await t.flush(3000);
    expect(server.requests.map((r) => r.events.map((e) => e.event.id))).toEqual([['a', 'b', 'c'], ['b', 'c']]);
    expect(t.stats()).toMatchObject({ sent: 3, dropped: 0, queued: 0 });
  });
});

describe('transport: refusals', () => {
  it('does not retry a 400; counts the batch as droppedFailed and logs the server message once', async () => {
    server.reply({ status: 400, body: { accepted: 0, errors: [{ message: 'invalid input: name is required' }] } }, 400);
    const t = transport();
    t.send('span', { id: 'bad' });
    await t.flush(2000);
    t.send('span', { id: 'bad-again' });
    await t.flush(2000);
    expect(server.requests).toHaveLength(2);
    expect(t.stats()).toMatchObject({ sent: 0, droppedFailed: 2, retries: 0, failedRequests: 2 });
    const lines = log.filter((l) => l.message.includes('rejected'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toContain('invalid input: name is required');
    t.send('span', { id: 'good' });
    await server.waitForEvents(1);
    expect(ids()).toEqual(['good']);
  });

  it('counts the events a 400 accepted as sent and only the rest as dropped', async () => {
    server.reply({ status: 400, body: { accepted: 2, errors: [{ message: 'event exceeded the permitted size' }] } });
    const t = transport();
    for (const id of ['a', 'b', 'c']) t.send('span', { id });
    await t.flush(2000);
    expect(t.stats()).toMatchObject({ sent: 2, droppedFailed: 1, retries: 0 });
  });

  it('says to check the credentials on a 401', async () => {
    server.reply({ status: 401, body: { error: 'authorization is invalid' } });
    const t = transport({ secretToken: 'wrong' });
    t.send('span', { id: 'a' });
    await t.flush(2000);
    expect(t.stats()).toMatchObject({ droppedFailed: 1, retries: 0 });
    const line = log.find((l) => l.message.includes('HTTP 401'));
    expect(line?.message).toContain('check secretToken / apiKey');
    expect(line?.message).not.toContain('wrong');
  });

  it('splits a batch the server finds too large (413) and sends the halves in order', async () => {
    server.reply(413, 413);
    const t = transport();
    for (const id of ['a', 'b', 'c', 'd']) t.send('span', { id });
    await t.flush(3000);
    expect(server.requests.map((r) => r.events.length)).toEqual([4, 2, 1, 1, 2]);
    expect(ids()).toEqual(['a', 'b', 'c', 'd']);
    expect(t.stats()).toMatchObject({ sent: 4, droppedFailed: 0 });
  });

  it('drops a single event that is still too large', async () => {
    server.reply(413);
    const t = transport();
    t.send('span', { id: 'huge' });
    await t.flush(2000);
    expect(t.stats()).toMatchObject({ sent: 0, droppedFailed: 1 });
  });
});

describe('transport: bounded queue', () => {
  it('drops and counts events beyond maxQueueSize, warning once', async () => {
    const t = transport({ maxQueueSize: 5, flushIntervalMs: 60_000 });
    const accepted = Array.from({ length: 12 }, (_, i) => t.send('span', { id: i }));
    expect(accepted).toEqual([true, true, true, true, true, false, false, false, false, false, false, false]);
    expect(t.stats()).toMatchObject({ accepted: 5, queued: 5, dropped: 7, droppedQueueFull: 7 });
    const warnings = log.filter((l) => l.message.includes('queue is full'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('droppedQueueFull');
    await t.flush(2000);
    expect(ids()).toEqual([0, 1, 2, 3, 4]);
  });

  it('regression: holds at most maxQueueSize events in all (ring, open batch and the one in flight) while the server hangs', async () => {
    server.reply('hang');
    const t = transport({ maxQueueSize: 10, maxBatchBytes: 1024, flushIntervalMs: 10 });
    const pad = 'x'.repeat(600);
    let accepted = 0;
    for (let i = 0; i < 40; i++) {
      if (t.send('span', { id: i, pad })) accepted++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Two 600-byte events fill a 1024-byte batch: 2 in flight, 2 in the open batch, 6 in the ring. The
    // batches used to come on top of the ring's 10 (14 held with a limit of 10).
    expect(accepted).toBe(10);
    await server.waitForRequests(1);
    expect(t.stats()).toMatchObject({ accepted: 10, queued: 10, droppedQueueFull: 30, requests: 1 });
  });
});

describe('transport: unserializable events', () => {
  it('drops each event JSON.stringify throws on, alone, and sends the rest', async () => {
    const circular: Record<string, unknown> = { id: 'circular' };
    circular.self = circular;
    const t = transport();
    t.send('span', { id: 'ok-1' });
    t.send('span', circular);
    t.send('span', { id: 'bigint', n: 10n });
    t.send('span', { id: 'getter', get boom(): string { throw new Error('getter threw'); } });
    t.send('transaction', { toJSON: () => undefined });
    t.send('error', { toJSON: (): never => { throw new Error('toJSON threw'); } });
    t.send('span', { id: 'ok-2' });
    await t.flush(2000);
    expect(ids()).toEqual(['ok-1', 'ok-2']);
    expect(t.stats()).toMatchObject({ accepted: 7, sent: 2, droppedUnserializable: 5, dropped: 5, queued: 0 });
    expect(log.filter((l) => l.message.includes('cannot be serialised'))).toHaveLength(1);
  });
});
