import { request } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { approved, getJson, postIntake, startTestCollector, testdata, type TestCollector } from './helpers.js';

/** Checks a response against APM Server's approved body: status, accepted, one error per line, documents. */
function expectApproved(response: { status: number; body: any }, name: string, status: number | number[], exactDocuments = true): void {
  const expected = approved(name);
  expect([status].flat()).toContain(response.status);
  expect(response.body.accepted).toBe(expected.accepted);
  expect(response.body.errors ?? []).toHaveLength(expected.errors?.length ?? 0);
  (expected.errors ?? []).forEach((error, i) => {
    expect(typeof response.body.errors[i].message).toBe('string');
    if (error.document !== undefined && exactDocuments) expect(response.body.errors[i].document).toBe(error.document);
  });
}

describe('intake v2: the cases in spec/README.md', () => {
  let collector: TestCollector;
  afterEach(async () => collector?.close());

  it('Success: accepts errors.ndjson with 202 and accepted 5', async () => {
    collector = await startTestCollector();
    expectApproved(await postIntake(collector.url, testdata('errors.ndjson')), 'Success', 202);
  });

  it('EmptyBody: a POST with no body is accepted with nothing in it', async () => {
    collector = await startTestCollector();
    expectApproved(await postIntake(collector.url, undefined), 'EmptyBody', 202);
  });

  it('Method: GET is refused with a message and an Allow header', async () => {
    collector = await startTestCollector();
    const response = await fetch(`${collector.url}/intake/v2/events`);
    const body = await response.json();
    expectApproved({ status: response.status, body }, 'Method', [400, 405]);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('ContentType: application/json is refused with 400', async () => {
    collector = await startTestCollector();
    const response = await postIntake(collector.url, testdata('errors.ndjson'), { 'content-type': 'application/json' });
    expectApproved(response, 'ContentType', 400);
    expect(response.body.errors[0].message).toContain("'application/json'");
  });

  it('CompressedBodyReaderGzipValid / DeflateValid: compressed bodies are read', async () => {
    collector = await startTestCollector();
    const body = testdata('errors.ndjson');
    expectApproved(await postIntake(collector.url, gzipSync(body), { 'content-encoding': 'gzip' }), 'CompressedBodyReaderGzipValid', 202);
    expectApproved(await postIntake(collector.url, deflateSync(body), { 'content-encoding': 'deflate' }), 'CompressedBodyReaderDeflateValid', 202);
  });

  it('CompressedBodyReaderGzipInvalid / DeflateInvalid: a body that is not what Content-Encoding says is a 400', async () => {
    collector = await startTestCollector();
    const body = testdata('errors.ndjson');
    const gzip = await postIntake(collector.url, body, { 'content-encoding': 'gzip' });
    expectApproved(gzip, 'CompressedBodyReaderGzipInvalid', 400);
    expect(gzip.body.errors[0].message).toMatch(/decoding error/);
    expectApproved(await postIntake(collector.url, body, { 'content-encoding': 'deflate' }), 'CompressedBodyReaderDeflateInvalid', 400);
  });

  it('InvalidEvent: the bad line is reported with its document and the good one is kept', async () => {
    collector = await startTestCollector();
    const response = await postIntake(collector.url, testdata('invalid-event.ndjson'));
    expectApproved(response, 'InvalidEvent', 400);
    await collector.flush();
    const trace = await getJson(`${collector.url}/api/v1/traces/fdedef0123456789abcdef9876543210`);
    expect(trace.body.spans.map((s: any) => s.id)).toEqual(['abcdef01234567']);
  });

  it('InvalidJSONEvent: a line that is not JSON is reported and the rest accepted', async () => {
    collector = await startTestCollector();
    expectApproved(await postIntake(collector.url, testdata('invalid-json-event.ndjson')), 'InvalidJSONEvent', 400);
  });

  it('InvalidJSONMetadata / InvalidMetadata / InvalidMetadata2: bad metadata rejects the whole request', async () => {
    collector = await startTestCollector();
    expectApproved(await postIntake(collector.url, testdata('invalid-json-metadata.ndjson')), 'InvalidJSONMetadata', 400);
    expectApproved(await postIntake(collector.url, testdata('invalid-metadata.ndjson')), 'InvalidMetadata', 400);
    expectApproved(await postIntake(collector.url, testdata('invalid-metadata-2.ndjson')), 'InvalidMetadata2', 400);
    await collector.flush();
    expect((await getJson(`${collector.url}/api/v1/metrics?from=0`)).body.items).toEqual([]);
  });

  it('UnrecognizedEvent: an unknown event type is reported by name', async () => {
    collector = await startTestCollector();
    const response = await postIntake(collector.url, testdata('invalid-event-type.ndjson'));
    expectApproved(response, 'UnrecognizedEvent', 400);
    expect(response.body.errors[0].message).toContain('tennis-court');
  });

  it('TooLarge: a metadata line over the limit is refused with the start of it as document', async () => {
    collector = await startTestCollector({ maxEventBytes: 16 });
    const body = testdata('errors.ndjson');
    const response = await postIntake(collector.url, body);
    // APM Server's test limit was 10 bytes and ours is 16, so the echoed prefix is longer.
    expectApproved(response, 'TooLarge', [400, 413], false);
    expect(response.body.errors[0].message).toMatch(/exceeded the permitted size/);
    expect(body.toString().startsWith(response.body.errors[0].document)).toBe(true);
    expect(response.body.errors[0].document.startsWith(approved('TooLarge').errors![0]!.document!)).toBe(true);
  });

  it('FullQueue: 503 with Retry-After once the write queue is full, and queued events survive shutdown', async () => {
    collector = await startTestCollector({ queueSize: 5, batchSize: 1000, flushIntervalMs: 60_000, retryAfterSeconds: 7 });
    // A request still streaming holds the group commit open (up to the 60 s window): the first request's events wait in the queue.
    const holder = streamingRequest(collector.port);
    holder.write(`${testdata('errors.ndjson').toString().split('\n')[0]}\n`);
    await until(async () => (await getJson(`${collector.url}/healthz`)).body.requestsStreaming === 1);
    // Intake answers once its events are written, so the first request waits, holding the queue.
    const first = postIntake(collector.url, testdata('errors.ndjson'));
    await until(async () => (await getJson(`${collector.url}/healthz`)).body.queueDepth === 5);
    const full = await postIntake(collector.url, testdata('errors.ndjson'));
    expectApproved(full, 'FullQueue', 503);
    expect(full.body.errors[0].message).toMatch(/queue is full/);
    expect(full.headers.get('retry-after')).toBe('7');
    const { dbPath } = collector;
    // Shutdown writes the queue at once, and only then is the waiting request answered.
    const closed = collector.closeKeepingFiles();
    expect(await first).toMatchObject({ status: 202, body: { accepted: 5 } });
    holder.end();
    await closed;
    expect((await holder.response).status).toBe(503);
    const store = await openStore(dbPath);
    const groups = await store.errorGroups({ fromMs: 0, toMs: Date.now() + 3_600_000 }, { limit: 100, offset: 0 });
    expect(groups.reduce((sum, g) => sum + g.count, 0)).toBe(5);
    await store.close();
  });

  it('a request read whole while no other is streaming is written at once, not at the end of the group-commit window', async () => {
    collector = await startTestCollector({ flushIntervalMs: 60_000 });
    const response = await postIntake(collector.url, testdata('errors.ndjson'));
    expect(response).toMatchObject({ status: 202, body: { accepted: 5 } });
    expect((await getJson(`${collector.url}/healthz`)).body).toMatchObject({ queueDepth: 0, requestsStreaming: 0 });
  }, 30_000);

  it('Closing: a request still streaming when shutdown starts gets 503 "server is shutting down"', async () => {
    collector = await startTestCollector();
    const [metadata, ...events] = testdata('errors.ndjson').toString().split('\n');
    const { port } = collector;
    const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/intake/v2/events', headers: { 'content-type': 'application/x-ndjson' } }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.write(`${metadata}\n`);
      setTimeout(() => {
        const closed = collector.close();
        setTimeout(() => req.end(events.join('\n')), 50);
        void closed;
      }, 50);
    });
    expectApproved(await response, 'Closing', 503);
  });
});

/** An intake request whose body is written piece by piece; `response` settles once it is answered. */
function streamingRequest(port: number) {
  let req!: ReturnType<typeof request>;
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req = request({ port, host: '127.0.0.1', method: 'POST', path: '/intake/v2/events', headers: { 'content-type': 'application/x-ndjson' } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
  return { write: (text: string) => req.write(text), end: () => req.end(), response };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not reached in 5 s');
}
