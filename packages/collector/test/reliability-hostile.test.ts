/**
 * Hostile clients: slow bodies and slow headers (slowloris) are cut off while the collector
 * keeps serving others; attempts to get past the secret token are refused; the query API
 * returns hostile strings as inert, exact JSON and bounds what it lists.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postIntake, startTestCollector, type TestCollector } from './helpers.js';
import { intakeBody, postBody } from './reliability-helpers.js';

/** Resolves with what the server sent before closing the connection, or null if it is still open after `waitMs`. */
function openAndStall(port: number, firstBytes: string | Buffer, waitMs: number): Promise<{ text: string; closedAfterMs: number } | null> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(firstBytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

describe('slow clients (slowloris)', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector({ bodyTimeoutMs: 300, headersTimeoutMs: 500 });
  });
  afterAll(() => collector.close());

  it('a body that stops arriving is cut off after bodyTimeoutMs, and others are served meanwhile', async () => {
    const head =
      'POST /intake/v2/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n' +
      '{"metadata":{"service":{"name":"slow","agent":{"name":"nodejs","version":"1"}}}}\n';
    const stalled = Array.from({ length: 20 }, () => openAndStall(collector.port, head, 10_000));
    expect((await getJson(`${collector.url}/healthz`)).status).toBe(200);
    expect((await postBody(collector.url, intakeBody('fast', ['a'.repeat(16)]))).status).toBe(202);
    const results = await Promise.all(stalled);
    expect(results.every((r) => r !== null), 'every stalled upload was closed by the server').toBe(true);
    expect((await getJson(`${collector.url}/healthz`)).body.queueDepth).toBe(0);
  });

  it('a body trickling in gzip that stops is cut off too', async () => {
    const head = Buffer.from(
      'POST /intake/v2/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '4\r\n\x1f\x8b\x08\x00\r\n',
      'latin1',
    );
    const result = await openAndStall(collector.port, head, 10_000);
    expect(result).not.toBeNull();
    // Closed by the idle timeout, not refused as a malformed request.
    expect(result!.text).not.toMatch(/HTTP\/1\.1 400/);
    expect(result!.closedAfterMs).toBeGreaterThanOrEqual(250);
  });

  it('headers that never finish are answered 408 and closed', async () => {
    const result = await openAndStall(collector.port, 'POST /intake/v2/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1', 15_000);
    expect(result).not.toBeNull();
    expect(result!.text).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('attempts to get past the secret token', () => {
  let collector: TestCollector;
  const TOKEN = 'token-5ecret-9';
  beforeAll(async () => {
    collector = await startTestCollector({ secretToken: TOKEN, apiKeys: ['key-1'] });
  });
  afterAll(() => collector.close());

  const body = intakeBody('intruder', ['b'.repeat(16)]);

  it.each([
    ['no header', {}],
    ['the token as a prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['the token with a suffix', { authorization: `Bearer ${TOKEN}x` }],
    ['the token twice', { authorization: `Bearer ${TOKEN} ${TOKEN}` }],
    ['the token without a scheme', { authorization: TOKEN }],
    ['the token under Basic', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a scheme with no space', { authorization: `Bearer:${TOKEN}` }],
    ['a huge header', { authorization: `Bearer ${'A'.repeat(8000)}` }],
    ['the token in another header', { 'x-authorization': `Bearer ${TOKEN}`, 'proxy-authorization': `Bearer ${TOKEN}` }],
  ])('intake refuses %s', async (_name, headers) => {
    const answer = await postBody(collector.url, body, headers as Record<string, string>);
    expect([400, 401, 431]).toContain(answer.status);
  });

  it('refuses the token in the query string and paths that try to slip past the route check', async () => {
    const tries = [
      `/intake/v2/events?secret_token=${TOKEN}`,
      `/intake/v2/events?access_token=${TOKEN}`,
      '/intake/v2/events/',
      '//intake/v2/events',
      '/intake/v2/events/..',
      '/INTAKE/v2/events',
      '/intake/v2/%65vents',
    ];
    for (const path of tries) {
      const res = await fetch(`${collector.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body });
      expect(res.status, path).not.toBeLessThan(400);
    }
    const apiTries = ['/api/v1/services', '/api//v1/services', '/api/v1/services/', '/API/v1/services', '/%61pi/v1/services', '/ui/../api/v1/services', '/metrics'];
    for (const path of apiTries) {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        const res = await fetch(`${collector.url}${path}`, { method });
        expect(res.status, `${method} ${path}`).not.toBeLessThan(400);
        const text = await res.text();
        expect(text).not.toContain('intruder');
      }
    }
    const res = await fetch(`${collector.url}/api/v1/services`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect((await res.json()).items).toEqual([]);
  });
});

describe('the query API returns hostile data inert and bounded', () => {
  let collector: TestCollector;
  const hostile = [
    '<script>alert(1)</script>',
    '"}],"injected":{"x":"',
    '\u2028\u2029 line separators',
    "'; DROP TABLE transactions; --",
    '<img src=x onerror=alert(1)>',
    '\ud83d\ude00 emoji and a lone \ud800 surrogate',
  ];
  beforeAll(async () => {
    collector = await startTestCollector();
    const lines = [JSON.stringify({ metadata: { service: { name: 'hostile', agent: { name: 'nodejs', version: '1' } } } })];
    hostile.forEach((name, i) =>
      lines.push(
        JSON.stringify({
          transaction: { id: `${i}`.padStart(16, 'c'), trace_id: `${i}`.padStart(32, 'c'), name, type: 'request', duration: 1, timestamp: Date.now() * 1000, span_count: { started: 0 } },
        }),
      ),
    );
    const answer = await postIntake(collector.url, lines.join('\n') + '\n');
    expect(answer.status).toBe(202);
  });
  afterAll(() => collector.close());

  it('as JSON the browser will not sniff as HTML, with every string back exactly as sent', async () => {
    const res = await fetch(`${collector.url}/api/v1/services/hostile/transactions`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await res.json();
    const names = body.items.map((g: any) => g.name).sort();
    expect(names.filter((n: string) => !n.includes('lone'))).toEqual(hostile.filter((n) => !n.includes('lone')).sort());
    // A lone surrogate cannot survive UTF-8: it comes back as replacement characters, never as broken JSON.
    const lone = names.find((n: string) => n.includes('lone'));
    expect(lone).toMatch(/^\ud83d\ude00 emoji and a lone \ufffd+ surrogate$/);
  });

  it('refuses page sizes beyond its bound and bad ids with 400, never a 500', async () => {
    for (const path of [
      '/api/v1/services?limit=100000',
      '/api/v1/services?limit=-1',
      '/api/v1/services?offset=1e309',
      '/api/v1/services?from=not-a-date',
      '/api/v1/traces/%3Cscript%3E',
      `/api/v1/traces/${'a'.repeat(5000)}`,
      '/api/v1/errors/%E0%A4%A',
      '/api/v1/services?cursor=%00%01',
    ]) {
      const res = await fetch(`${collector.url}${path}`);
      expect(res.status, path).toBe(400);
      expect((await res.json()).error.message.length).toBeLessThan(10_000);
    }
  });
});
