import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startTestCollector, type TestCollector } from './helpers.js';
import { specPath } from './spec-dir.js';

const example = (name: string): string => readFileSync(specPath('otlp', 'examples', name), 'utf8');
const ALL_TIME = `from=0&to=${Date.now() + 86_400_000}`;
const attr = (key: string, value: string | number | boolean) => ({
  key,
  value: typeof value === 'string' ? { stringValue: value } : typeof value === 'boolean' ? { boolValue: value } : Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value },
});

async function post(url: string, signal: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/v1/${signal}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, body: await response.json() as any };
}

describe('OTLP/HTTP JSON intake', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => collector.close());

  it('accepts the example trace and stores its server span as a transaction', async () => {
    expect(await post(collector.url, 'traces', example('trace.json'))).toEqual({ status: 200, body: {} });
    await collector.flush();
    const trace = await getJson(`${collector.url}/api/v1/traces/5b8efff798038103d269b633813fc60c`);
    expect(trace.status).toBe(200);
    expect(trace.body.transactions).toHaveLength(1);
    expect(trace.body.transactions[0]).toMatchObject({
      id: 'eee19b7ec3c1b174', parent_id: 'eee19b7ec3c1b173', name: "I'm a server span", type: 'request',
      duration: 1000, timestamp: 1544712660000000, service: { name: 'my.service' },
      otel: { span_kind: 'server', attributes: { 'my.span.attr': 'some value' } },
    });
  });

  it('accepts the example metrics: gauges and sums as values, histograms with their buckets', async () => {
    expect(await post(collector.url, 'metrics', example('metrics.json'))).toEqual({ status: 200, body: {} });
    await collector.flush();
    const { body } = await getJson(`${collector.url}/api/v1/metrics?${ALL_TIME}&service=my.service`);
    const byName = Object.fromEntries(body.items.map((p: any) => [p.name, p]));
    expect(byName['my.counter']).toMatchObject({ value: 5, labels: { 'my.counter.attr': 'some value' }, timestampMs: 1544712660300 });
    expect(byName['my.gauge'].value).toBe(10);
    expect(byName['my.histogram'].value).toBeNull();
    expect(byName['my.exponential.histogram'].value).toBeNull();
  });

  it('accepts the example logs and events', async () => {
    expect(await post(collector.url, 'logs', example('logs.json'))).toEqual({ status: 200, body: {} });
    expect(await post(collector.url, 'logs', example('events.json'))).toEqual({ status: 200, body: {} });
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/sightline_intake_events_accepted_total\{type="log"\} [1-9]/);
  });

  it('maps semantic conventions: route naming, status codes, db statements, exception events', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const ns = (ms: number) => String(BigInt(Date.now() - 60_000 + ms) * 1_000_000n);
    const stack = 'TypeError: no user 42\n    at findUser (/app/src/users.js:10:7)\n    at Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)';
    const request = {
      resourceSpans: [{
        resource: { attributes: [attr('service.name', 'otel-shop'), attr('deployment.environment.name', 'prod'), attr('telemetry.sdk.language', 'nodejs')] },
        scopeSpans: [{ spans: [
          { traceId, spanId: 'b7ad6b7169203331', name: 'GET', kind: 2, startTimeUnixNano: ns(0), endTimeUnixNano: ns(250), status: { code: 2 },
            attributes: [attr('http.request.method', 'GET'), attr('http.route', '/users/:id'), attr('http.response.status_code', 500), attr('url.path', '/users/42')],
            events: [{ name: 'exception', timeUnixNano: ns(200), attributes: [attr('exception.type', 'TypeError'), attr('exception.message', 'no user 42'), attr('exception.stacktrace', stack), attr('exception.escaped', true)] }] },
          { traceId, spanId: '00f067aa0ba902b7', parentSpanId: 'b7ad6b7169203331', name: 'SELECT users', kind: 3, startTimeUnixNano: ns(10), endTimeUnixNano: ns(60),
            attributes: [attr('db.system', 'postgresql'), attr('db.query.text', 'SELECT * FROM users WHERE id = $1'), attr('server.address', 'db.local'), attr('server.port', 5432)] },
          { traceId, spanId: '1111111111111111', parentSpanId: '00f067aa0ba902b7', name: 'decode rows', kind: 1, startTimeUnixNano: ns(50), endTimeUnixNano: ns(55) },
        ] }],
      }],
    };
    expect((await post(collector.url, 'traces', gzipSync(JSON.stringify(request)), { 'content-encoding': 'gzip' })).status).toBe(200);
    await collector.flush();
    const { body } = await getJson(`${collector.url}/api/v1/traces/${traceId}`);
    expect(body.transactions[0]).toMatchObject({
      name: 'GET /users/:id', result: 'HTTP 5xx', outcome: 'failure', service: { name: 'otel-shop', environment: 'prod' },
      context: { response: { status_code: 500 } },
    });
    const [db, internal] = body.spans;
    expect(db).toMatchObject({
      type: 'db', subtype: 'postgresql', action: 'query', transaction_id: 'b7ad6b7169203331',
      context: { db: { statement: 'SELECT * FROM users WHERE id = $1' }, destination: { address: 'db.local', port: 5432 } },
    });
    expect(internal).toMatchObject({ type: 'app', transaction_id: 'b7ad6b7169203331', parent_id: '00f067aa0ba902b7' });
    expect(body.errors[0]).toMatchObject({
      transaction_id: 'b7ad6b7169203331', culprit: 'findUser (/app/src/users.js)',
      exception: { type: 'TypeError', message: 'no user 42', handled: false },
    });
    expect(body.errors[0].exception.stacktrace[0]).toMatchObject({ function: 'findUser', lineno: 10, colno: 7, library_frame: false });
    expect(body.errors[0].exception.stacktrace[1].library_frame).toBe(true);
    const groups = await getJson(`${collector.url}/api/v1/errors?service=otel-shop`);
    expect(groups.body.items).toMatchObject([{ type: 'TypeError', count: 1 }]);
  });

  it('reports spans it cannot use as rejected and keeps the rest', async () => {
    const body = { resourceSpans: [{ scopeSpans: [{ spans: [
      { traceId: 'ffeeddccbbaa99887766554433221100', spanId: 'aaaaaaaaaaaaaaaa', name: 'ok', kind: 2, startTimeUnixNano: '1000000', endTimeUnixNano: '2000000' },
      { name: 'no ids', startTimeUnixNano: '1000000', endTimeUnixNano: '2000000' },
    ] }] }] };
    const response = await post(collector.url, 'traces', JSON.stringify(body));
    expect(response.status).toBe(200);
    expect(response.body.partialSuccess).toMatchObject({ rejectedSpans: 1, errorMessage: expect.stringContaining('no ids') });
    await collector.flush();
    expect((await getJson(`${collector.url}/api/v1/traces/ffeeddccbbaa99887766554433221100`)).body.transactions[0].service.name).toBe('unknown_service');
  });

  it('answers protobuf with 415 and says to use JSON', async () => {
    const response = await post(collector.url, 'traces', Buffer.from([0x0a, 0x00]), { 'content-type': 'application/x-protobuf' });
    expect(response.status).toBe(415);
    expect(response.body.message).toMatch(/http\/json/);
  });

  it('answers a body that is not JSON with 400', async () => {
    const response = await post(collector.url, 'logs', '{nope');
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/not JSON/);
  });
});

describe('OTLP with a small write queue', () => {
  it('regression: a request larger than the whole queue gets 413, not a 503 the exporter would retry forever', async () => {
    const collector = await startTestCollector({ queueSize: 1 });
    try {
      const response = await post(collector.url, 'metrics', example('metrics.json'));
      expect(response.status).toBe(413);
      expect(response.body.message).toMatch(/export smaller batches/);
    } finally {
      await collector.close();
    }
  });
});
