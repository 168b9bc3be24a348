import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { getJson, postIntake, startTestCollector, testdata, type TestCollector } from './helpers.js';

const METADATA = testdata('minimal.ndjson').toString().split('\n')[0]!;

function errorLine(i: number): string {
  return JSON.stringify({ error: { id: `e${String(i).padStart(15, '0')}`, exception: { type: 'LoadError', message: `failure number ${i}` }, context: { custom: { pad: 'x'.repeat(400) } } } });
}

/** A gzip body of `members` concatenated members, each inflating to 1 MiB of zero bytes. */
function gzipBomb(members: number): Buffer {
  const member = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  return Buffer.concat(Array.from({ length: members }, () => member));
}

describe('intake limits', () => {
  let collector: TestCollector;
  afterEach(async () => collector?.close());

  it('stops a gzip bomb (1 KiB on the wire per MiB inflated, 1 GiB in all) at the request limit, early and without the memory', async () => {
    collector = await startTestCollector({ maxRequestBytes: 64 * 1024 * 1024 });
    const bomb = gzipBomb(1024);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const startedAt = performance.now();
    const response = await postIntake(collector.url, bomb, { 'content-encoding': 'gzip' });
    expect(response.status).toBe(413);
    expect(response.body.accepted).toBe(0);
    expect(response.body.errors.at(-1).message).toMatch(/request body too large/);
    expect(performance.now() - startedAt).toBeLessThan(10_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    expect((await getJson(`${collector.url}/healthz`)).status).toBe(200);
  });

  it('keeps the events before the point where a request grew too large', async () => {
    collector = await startTestCollector({ maxRequestBytes: 256 * 1024 });
    const lines = [METADATA, ...Array.from({ length: 2000 }, (_, i) => errorLine(i))];
    const response = await postIntake(collector.url, gzipSync(lines.join('\n')), { 'content-encoding': 'gzip' });
    expect(response.status).toBe(413);
    expect(response.body.accepted).toBeGreaterThan(100);
    expect(response.body.accepted).toBeLessThan(2000);
    await collector.flush();
    const groups = await getJson(`${collector.url}/api/v1/errors?from=0&to=${Date.now() + 60_000}&limit=10`);
    expect(groups.body.items[0].count).toBe(response.body.accepted);
  });

  it('streams a 10 MB request through in batches and stores every event', async () => {
    collector = await startTestCollector();
    const lines = [METADATA, ...Array.from({ length: 20_000 }, (_, i) => errorLine(i))];
    const body = lines.join('\n');
    expect(body.length).toBeGreaterThan(10_000_000);
    const response = await postIntake(collector.url, gzipSync(body), { 'content-encoding': 'gzip' });
    expect(response).toMatchObject({ status: 202, body: { accepted: 20_000 } });
    await collector.flush();
    const groups = await getJson(`${collector.url}/api/v1/errors?from=0&to=${Date.now() + 60_000}`);
    expect(groups.body.items).toEqual([expect.objectContaining({ type: 'LoadError', count: 20_000 })]);
  });

  it('regression: a client that hangs up mid-upload does not leave the collector stuck or crash it', async () => {
    collector = await startTestCollector();
    for (const encoding of ['gzip', undefined]) {
      await new Promise<void>((resolve) => {
        const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', ...(encoding ? { 'content-encoding': encoding } : {}) };
        const req = request({ host: '127.0.0.1', port: collector.port, method: 'POST', path: '/intake/v2/events', headers });
        req.on('error', () => resolve());
        req.write(encoding ? gzipSync(`${METADATA}\n${errorLine(1)}\n`).subarray(0, 20) : `${METADATA}\n${errorLine(1)}`);
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50);
      });
    }
    expect((await getJson(`${collector.url}/healthz`)).status).toBe(200);
    expect((await postIntake(collector.url, testdata('errors.ndjson'))).status).toBe(202);
    await collector.close();
  });

  it('regression: an event nested too deep to serialise is rejected alone, not the request', async () => {
    collector = await startTestCollector({ maxEventBytes: 1024 * 1024 });
    const deep = `{"error": {"id": "abcdef0123456789", "exception": {"message": "deep"}, "context": {"custom": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}}`;
    const response = await postIntake(collector.url, [METADATA, deep, errorLine(1)].join('\n'));
    expect(response.body.accepted).toBeGreaterThanOrEqual(1);
    expect(response.status === 202 || response.status === 400).toBe(true);
    expect((await getJson(`${collector.url}/healthz`)).status).toBe(200);
  });
});
