/** The transport against a real local intake: what arrives, in what shape, in how many requests. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Transport } from '../src/transport/transport.js';
import { IntakeServer } from './helpers/intake-server.js';
import { AGENT_VERSION, captureLog, makeTransport, sleep } from './helpers/transport-fixtures.js';

let server: IntakeServer;
let url: string;
const transports: Transport[] = [];

function transport(options: Parameters<typeof makeTransport>[0] = {}): Transport {
  const t = makeTransport({ serverUrl: url, ...options });
  transports.push(t);
  return t;
}

beforeEach(async () => {
  captureLog();
  server = new IntakeServer();
  url = await server.start();
});

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close(100)));
  await server.close();
});

describe('transport: wire format', () => {
  it('POSTs gzipped ndjson to /intake/v2/events with metadata first, one event per line', async () => {
    const t = transport();
    t.send('transaction', { toJSON: () => ({ id: 'tx1', name: 'GET /' }) });
    t.send('span', { id: 'sp1', name: 'SELECT' });
    t.send('error', { id: 'er1', exception: { message: 'boom' } });
    t.send('metricset', { samples: { 'system.cpu.total.norm.pct': { value: 0.5 } } });
    await t.flush(2000);

    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/intake/v2/events');
    expect(req!.headers['content-type']).toBe('application/x-ndjson');
    expect(req!.headers['content-encoding']).toBe('gzip');
    expect(req!.headers['user-agent']).toBe(`sightline-node/${AGENT_VERSION}`);
    expect(req!.headers.authorization).toBeUndefined();
    const lines = req!.body.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => Object.keys(l)[0])).toEqual(['metadata', 'transaction', 'span', 'error', 'metricset']);
    expect(lines[1]).toEqual({ transaction: { id: 'tx1', name: 'GET /' } });
    expect(server.events.map((e) => e.event.id)).toEqual(['tx1', 'sp1', 'er1', undefined]);
  });

  it('sends a body that is gzip on the wire, smaller than the ndjson it carries', async () => {
    const t = transport();
    for (let i = 0; i < 50; i++) t.send('span', { id: `span-${i}`, name: 'SELECT * FROM users WHERE id = ?', type: 'db' });
    await t.flush(2000);
    const [req] = server.requests;
    expect(req!.headers['content-encoding']).toBe('gzip');
    expect(req!.headers['content-length']).toBe(String(req!.rawBytes));
    const stats = t.stats();
    expect(stats.bytesSent).toBe(req!.rawBytes);
    expect(stats.bytesUncompressed).toBe(Buffer.byteLength(req!.body));
    expect(stats.bytesSent).toBeLessThan(stats.bytesUncompressed / 3);
    expect(server.events).toHaveLength(50);
  });

  it('describes the service, agent, runtime, process and host in the metadata', async () => {
    const t = transport({ environment: 'staging', serviceNodeName: 'node-a', globalLabels: 'region=eu,tier=web' });
    t.send('span', { id: 'a' });
    await server.waitForEvents(1);
    const md = server.metadata as Record<string, Record<string, unknown>>;
    expect(md.service).toMatchObject({
      name: 'transport-test',
      version: '1.2.3',
      environment: 'staging',
      node: { configured_name: 'node-a' },
      agent: { name: 'sightline-node', version: AGENT_VERSION },
      language: { name: 'javascript' },
      runtime: { name: 'node', version: process.versions.node },
    });
    expect(md.service!.framework).toBeUndefined();
    expect(md.process).toMatchObject({ pid: process.pid, ppid: process.ppid, argv: process.argv });
    expect(md.system).toMatchObject({ architecture: process.arch, platform: process.platform });
    expect(typeof md.system!.hostname).toBe('string');
    expect(md.labels).toEqual({ region: 'eu', tier: 'web' });
  });

  it('names the framework in the metadata of requests after setFramework()', async () => {
    const t = transport();
    t.send('span', { id: 'before' });
    await server.waitForEvents(1);
    t.setFramework('express', '5.1.0');
    t.send('span', { id: 'after' });
    await server.waitForEvents(2);
    expect(server.requests[0]!.metadata!.service).not.toHaveProperty('framework');
    expect(server.requests[1]!.metadata!.service).toMatchObject({ framework: { name: 'express', version: '5.1.0' } });
  });

  it('sends Authorization: Bearer <secretToken>', async () => {
    const t = transport({ secretToken: 's3cret' });
    t.send('span', { id: 'a' });
    await server.waitForEvents(1);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer s3cret');
  });

  it('sends Authorization: ApiKey <apiKey>, which wins over a secretToken', async () => {
    const t = transport({ secretToken: 's3cret', apiKey: 'a9i-key' });
    t.send('span', { id: 'a' });
    await server.waitForEvents(1);
    expect(server.requests[0]!.headers.authorization).toBe('ApiKey a9i-key');
  });

  it('keeps a path in serverUrl in front of /intake/v2/events', async () => {
    const t = transport({ serverUrl: `${url}/apm/` });
    t.send('span', { id: 'a' });
    await server.waitForRequests(1);
    expect(server.requests[0]!.url).toBe('/apm/intake/v2/events');
  });
});

describe('transport: batching', () => {
  it('sends a batch flushIntervalMs after its first event, with everything queued meanwhile', async () => {
    const t = transport({ flushIntervalMs: 150 });
    const start = Date.now();
    t.send('span', { id: 'a' });
    await sleep(40);
    t.send('span', { id: 'b' });
    t.send('span', { id: 'c' });
    await sleep(50);
    expect(server.requests).toHaveLength(0);
    await server.waitForEvents(3, 2000);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.events.map((e) => e.event.id)).toEqual(['a', 'b', 'c']);
  });

  it('sends a batch as soon as its serialised size reaches maxBatchBytes, without waiting for the timer', async () => {
    const t = transport({ flushIntervalMs: 60_000, maxBatchBytes: 4096 });
    const pad = 'x'.repeat(1000);
    for (let i = 0; i < 10; i++) t.send('span', { id: `s${i}`, pad });
    // ~1030 bytes per line: 4 lines reach 4096, so two full batches go out now and 2 events wait for the timer.
    await server.waitForRequests(2, 2000);
    await sleep(50);
    expect(server.requests.map((r) => r.events.length)).toEqual([4, 4]);
    expect(t.stats()).toMatchObject({ sent: 8, queued: 2 });
    await t.flush(2000);
    expect(server.requests.map((r) => r.events.length)).toEqual([4, 4, 2]);
    expect(server.events.map((e) => e.event.id)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9']);
  });

  it('sends a batch as soon as it holds half of maxQueueSize events, however short its lines, without waiting for the timer', async () => {
    // Short lines never reach maxBatchBytes before the queue is full: sent by size alone, each
    // batch waited for the timer while new events were dropped.
    const t = transport({ flushIntervalMs: 60_000, maxQueueSize: 20 });
    const accepted = Array.from({ length: 25 }, (_, i) => t.send('span', { id: `s${i}` }));
    expect(accepted.filter(Boolean)).toHaveLength(20);
    await server.waitForRequests(2, 2000);
    expect(server.requests.map((r) => r.events.length)).toEqual([10, 10]);
    await t.flush(2000);
    expect(server.requests).toHaveLength(2);
    expect(t.stats()).toMatchObject({ sent: 20, queued: 0, droppedQueueFull: 5 });
    // The room is back: the next events are taken and sent the same way.
    for (let i = 0; i < 10; i++) expect(t.send('span', { id: `n${i}` })).toBe(true);
    await server.waitForRequests(3, 2000);
    expect(server.events.map((e) => e.event.id).slice(-10)).toEqual(Array.from({ length: 10 }, (_, i) => `n${i}`));
  });

  it('sends batch after batch of varying sizes, each with exactly its own events (buffers are reused)', async () => {
    const t = transport({ flushIntervalMs: 60_000, maxBatchBytes: 4096 });
    const sent: string[] = [];
    for (let round = 0; round < 6; round++) {
      // A long batch, then a short one: a reused buffer holds the tail of the longer one.
      const count = round % 2 === 0 ? 40 : 3;
      for (let i = 0; i < count; i++) {
        const id = `r${round}-e${i}`;
        sent.push(id);
        t.send('span', { id, name: `${'x'.repeat(round % 2 === 0 ? 120 : 10)} ${id}` });
      }
      await t.flush(2000);
    }
    expect(server.requests.length).toBeGreaterThanOrEqual(6);
    for (const req of server.requests) {
      const lines = req.body.trimEnd().split('\n');
      expect(Object.keys(JSON.parse(lines[0]!) as object)).toEqual(['metadata']);
      for (const line of lines.slice(1)) expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(server.events.map((e) => e.event.id)).toEqual(sent);
    expect(t.stats().bytesUncompressed).toBe(server.requests.reduce((n, r) => n + Buffer.byteLength(r.body), 0));
  });

  it('keeps one request in flight: events sent meanwhile go in the next batch', async () => {
    server.delayMs = 150;
    const t = transport({ flushIntervalMs: 10 });
    t.send('span', { id: 'first' });
    await server.waitForRequests(1);
    for (let i = 0; i < 5; i++) t.send('span', { id: `later-${i}` });
    await sleep(60);
    expect(server.requests).toHaveLength(1);
    await server.waitForEvents(6, 3000);
    expect(server.requests.map((r) => r.events.length)).toEqual([1, 5]);
  });

  it('writes an event as it was when sent: a change made after send() is not shipped', async () => {
    const t = transport({ flushIntervalMs: 50 });
    const tx = { name: 'GET /users/:id', toJSON(): object { return { name: this.name }; } };
    t.send('transaction', tx);
    tx.name = 'changed after send';
    await server.waitForEvents(1);
    expect(server.events[0]!.event).toEqual({ name: 'GET /users/:id' });
  });

  it('queues events behind a full batch as they are and writes them in order once there is room', async () => {
    server.delayMs = 150;
    // Batches of 4 events (half of maxQueueSize): the first four written at once, the last two wait in the ring.
    const t = transport({ maxQueueSize: 8, flushIntervalMs: 10 });
    for (let i = 0; i < 6; i++) t.send('span', { id: `s${i}` });
    expect(t.stats()).toMatchObject({ accepted: 6, queued: 6, dropped: 0 });
    await server.waitForEvents(6, 3000);
    expect(server.events.map((e) => (e.event as { id: string }).id)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
  });
});

describe('transport: counters', () => {
  it('counts what was accepted, sent, requested and put on the wire', async () => {
    const t = transport();
    expect(t.stats()).toMatchObject({ queued: 0, accepted: 0, sent: 0, dropped: 0, requests: 0, lastError: null });
    for (let i = 0; i < 3; i++) t.send('span', { id: String(i) });
    expect(t.stats()).toMatchObject({ queued: 3, accepted: 3, sent: 0 });
    await t.flush(2000);
    const stats = t.stats();
    expect(stats).toMatchObject({ queued: 0, accepted: 3, sent: 3, dropped: 0, requests: 1, failedRequests: 0, retries: 0 });
    expect(stats.bytesSent).toBeGreaterThan(0);
    stats.sent = 1000;
    expect(t.stats().sent).toBe(3);
  });
});

describe('transport: flush and close', () => {
  it('flush() resolves once everything queued at call time has been sent', async () => {
    const t = transport({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) t.send('span', { id: String(i) });
    await t.flush(2000);
    expect(server.events).toHaveLength(5);
    expect(t.stats().queued).toBe(0);
  });

  it('flush() resolves at once when nothing is queued', async () => {
    const t = transport();
    const start = Date.now();
    await t.flush(5000);
    expect(Date.now() - start).toBeLessThan(50);
    expect(server.requests).toHaveLength(0);
  });

  it('flush() gives up waiting after its timeout and never rejects', async () => {
    server.reply('hang');
    const t = transport();
    t.send('span', { id: 'a' });
    const start = Date.now();
    await expect(t.flush(200)).resolves.toBeUndefined();
    expect(Date.now() - start).toBeGreaterThanOrEqual(190);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(t.stats().queued).toBe(1);
  });

  it('close() sends what is queued, then refuses and counts later events', async () => {
    const t = transport({ flushIntervalMs: 60_000 });
    t.send('transaction', { id: 'last' });
    await t.close(2000);
    expect(server.events.map((e) => e.event.id)).toEqual(['last']);
    expect(t.send('span', { id: 'too-late' })).toBe(false);
    expect(t.stats()).toMatchObject({ sent: 1, dropped: 1, droppedClosed: 1, queued: 0 });
    await t.flush(100);
    await sleep(50);
    expect(server.requests).toHaveLength(1);
  });

  it('close() waits for a slow server to answer the request in flight', async () => {
    server.delayMs = 200;
    const t = transport();
    t.send('span', { id: 'a' });
    await server.waitForRequests(1);
    await t.close(3000);
    expect(t.stats()).toMatchObject({ sent: 1, queued: 0 });
  });

  it('close() that times out counts the abandoned events as droppedClosed', async () => {
    server.reply('hang');
    const log = captureLog();
    const t = transport();
    t.send('span', { id: 'a' });
    t.send('span', { id: 'b' });
    await t.close(150);
    expect(t.stats()).toMatchObject({ sent: 0, queued: 0, droppedClosed: 2, dropped: 2 });
    expect(log.some((l) => l.message.includes('2 events unsent'))).toBe(true);
  });

  it('close() twice returns the same promise', async () => {
    const t = transport();
    expect(t.close(100)).toBe(t.close(100));
  });
});

