import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, ndjsonObjects, postIntake, startTestCollector, testdata, type TestCollector } from './helpers.js';
import { specPath } from './spec-dir.js';

const VALID_FILES = readdirSync(specPath('elastic-intake-v2', 'testdata')).filter(
  (name) => name.endsWith('.ndjson') && !name.startsWith('invalid-'),
);
const ALL_TIME = `from=0&to=${Date.now() + 86_400_000}`;

describe('intake v2: every valid payload in testdata/ is accepted and readable back', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => collector.close());

  it.each(VALID_FILES)('%s', async (file) => {
    // Each file gets its own collector so counts read back are this file's alone.
    await collector.close();
    collector = await startTestCollector();
    const events = ndjsonObjects(testdata(file)).slice(1);
    const response = await postIntake(collector.url, testdata(file));
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ accepted: events.length });
    await collector.flush();

    const idsByTrace = new Map<string, Array<[string, string]>>();
    for (const event of events) {
      const [kind, body] = Object.entries(event)[0] as [string, any];
      if (!body?.trace_id || !['transaction', 'span', 'error'].includes(kind)) continue;
      idsByTrace.set(body.trace_id, [...(idsByTrace.get(body.trace_id) ?? []), [`${kind}s`, body.id]]);
    }
    for (const [traceId, ids] of idsByTrace) {
      const trace = await getJson(`${collector.url}/api/v1/traces/${traceId}`);
      expect(trace.status).toBe(200);
      for (const [list, id] of ids) expect(trace.body[list].map((e: any) => e.id)).toContain(id);
    }
    const errorCount = events.filter((e) => e.error).length;
    const groups = await getJson(`${collector.url}/api/v1/errors?${ALL_TIME}&limit=1000`);
    expect(groups.body.items.reduce((sum: number, g: any) => sum + g.count, 0)).toBe(errorCount);
    const sampleCount = events.reduce((sum, e) => sum + Object.keys(e.metricset?.samples ?? {}).length, 0);
    const metrics = await getJson(`${collector.url}/api/v1/metrics?${ALL_TIME}&limit=10000`);
    expect(metrics.body.items).toHaveLength(sampleCount);
    const transactionCount = events.filter((e) => e.transaction).length;
    const slowest = await getJson(`${collector.url}/api/v1/traces?${ALL_TIME}&limit=1000`);
    expect(slowest.body.items).toHaveLength(transactionCount);
  });
});

describe('intake v2: what a stored event looks like', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => collector.close());

  it('applies the metadata service to each event, and an event-level service wins', async () => {
    await postIntake(collector.url, testdata('errors.ndjson'));
    await collector.flush();
    const services = await getJson(`${collector.url}/api/v1/services?${ALL_TIME}`);
    const names = services.body.items.map((s: any) => s.name);
    expect(names).toContain('1234_service-12a3');
    expect(names).toContain('service1');
    const trace = await getJson(`${collector.url}/api/v1/traces/0123456789abcdeffedcba0123456789`);
    const error = trace.body.errors.find((e: any) => e.id === 'abcdef0123456789');
    expect(error.service.name).toBe('1234_service-12a3');
    expect(error.service.agent.name).toBe('elastic-node');
  });

  it('gives events without a timestamp the time they arrived', async () => {
    const before = Date.now();
    await postIntake(collector.url, testdata('optional-timestamps.ndjson'));
    await collector.flush();
    const trace = await getJson(`${collector.url}/api/v1/traces/abcdefabcdef01234567890123456789`);
    const timestampMs = trace.body.transactions[0].timestamp / 1000;
    expect(timestampMs).toBeGreaterThanOrEqual(before - 1);
    expect(timestampMs).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('keeps the valid lines of a request that also has a line too large', async () => {
    const limited = await startTestCollector({ maxEventBytes: 1024 });
    try {
      const [metadata] = testdata('minimal.ndjson').toString().split('\n');
      const span = '{"span": {"id": "0123456a89012345", "trace_id": "0123456789abcdef0123456789abcdef", "parent_id": "ab23456a89012345", "name": "ok", "type": "db", "start": 1, "duration": 3}}';
      const huge = `{"span": {"name": "${'x'.repeat(5000)}"}}`;
      const response = await postIntake(limited.url, [metadata, huge, span, ''].join('\n'));
      expect(response.status).toBe(413);
      expect(response.body.accepted).toBe(1);
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors[0].document).toHaveLength(1024);
      await limited.flush();
      const trace = await getJson(`${limited.url}/api/v1/traces/0123456789abcdef0123456789abcdef`);
      expect(trace.body.spans).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });
});

describe('GET / and GET /healthz', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector();
  });
  afterAll(async () => collector.close());

  it('tells agents an APM Server 8.x version to talk to', async () => {
    const info = await getJson(`${collector.url}/`);
    expect(info.status).toBe(200);
    expect(info.body.version).toMatch(/^8\.\d+\.\d+$/);
    expect(info.body.publish_ready).toBe(true);
  });

  it('sends a browser to the UI', async () => {
    const response = await fetch(`${collector.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/ui/');
  });

  it('answers health checks', async () => {
    const health = await getJson(`${collector.url}/healthz`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers unknown paths with a JSON 404', async () => {
    const missing = await getJson(`${collector.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('/nope');
  });
});
