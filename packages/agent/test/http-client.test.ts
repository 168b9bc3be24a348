/**
 * Outgoing calls through node:http and node:https are external/http spans, and the
 * upstream (a real local server) sees the span's traceparent. Failures of every kind
 * (4xx/5xx, refused, reset, timeout, abort) end the span with outcome failure; the agent's
 * own requests to the intake are never traced.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, flush, start, withTransaction } from '../src/index.js';
import { Upstream, closedPort, expectLinked, shipped, traceOf, traceparentOf } from './helpers/exit-spans.js';
import { IntakeServer } from './helpers/intake-server.js';

const intake = new IntakeServer();
const upstream = new Upstream();
const secure = new Upstream();
const dir = mkdtempSync(join(tmpdir(), 'sightline-tls-'));

async function traced(fn: () => Promise<unknown>, traceparent?: string) {
  let id = '';
  await withTransaction(
    'http client test',
    async (tx) => {
      id = tx.id;
      await fn();
    },
    'request',
    traceparent ? { traceparent } : undefined,
  );
  await flush();
  return traceOf(intake, id);
}

/** Runs one request to completion (body read) or failure; resolves with the status or the error code. */
function call(make: (cb: (res: http.IncomingMessage) => void) => http.ClientRequest): Promise<number | string> {
  return new Promise((resolve) => {
    const req = make((res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.name));
  });
}

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  await intake.start();
  await upstream.start();
  await secure.start({ key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') });
  start({ serverUrl: intake.url, flushIntervalMs: 20, metricsIntervalMs: 0 });
});

afterAll(async () => {
  await close();
  await Promise.all([intake.close(), upstream.close(), secure.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('node:http client', () => {
  it('records http.get as `GET host:port` and sends the span’s traceparent and tracestate', async () => {
    const { tx, spans } = await traced(() => call((cb) => http.get(`http://127.0.0.1:${upstream.port}/users/1`, cb)));
    expect(spans).toHaveLength(1);
    expectLinked(spans, tx);
    const span = spans[0]!;
    expect(span).toMatchObject({ name: `GET 127.0.0.1:${upstream.port}`, type: 'external', subtype: 'http', action: 'GET', outcome: 'success' });
    expect(span.context.http).toEqual({ method: 'GET', url: `http://127.0.0.1:${upstream.port}/users/1`, status_code: 200 });
    expect(span.context.destination).toMatchObject({ address: '127.0.0.1', port: upstream.port, service: { resource: `http/127.0.0.1:${upstream.port}` } });
    const seen = upstream.saw('/users/1');
    expect(seen.traceparent).toBe(traceparentOf(span));
    expect(seen.tracestate).toBe('es=s:1');
  });

  it('records http.request with options, removing credentials and secret query values from the URL', async () => {
    const path = '/search?q=shoes&api_token=abc123';
    const { tx, spans } = await traced(() =>
      call((cb) => {
        const req = http.request({ host: '127.0.0.1', port: upstream.port, path, method: 'POST', auth: 'me:secret' }, cb);
        req.end('body');
        return req;
      }),
    );
    expectLinked(spans, tx);
    expect(spans[0]!.name).toBe(`POST 127.0.0.1:${upstream.port}`);
    expect(spans[0]!.context.http.url).toBe(`http://127.0.0.1:${upstream.port}/search?q=shoes&api_token=%5BREDACTED%5D`);
    expect(upstream.saw(path).traceparent).toBe(traceparentOf(spans[0]!));
  });

  it('records a URL with user:password@ without the credentials', async () => {
    const { spans } = await traced(() => call((cb) => http.get(`http://user:pw@127.0.0.1:${upstream.port}/creds`, cb)));
    expect(spans[0]!.context.http.url).toBe(`http://127.0.0.1:${upstream.port}/creds`);
    expect(JSON.stringify(spans[0])).not.toContain('pw');
  });

  it('records node:https requests', async () => {
    const { tx, spans } = await traced(() =>
      call((cb) => https.get({ host: '127.0.0.1', port: secure.port, path: '/secure', rejectUnauthorized: false }, cb)),
    );
    expectLinked(spans, tx);
    expect(spans[0]).toMatchObject({ name: `GET 127.0.0.1:${secure.port}`, outcome: 'success' });
    expect(spans[0]!.context.http.url).toBe(`https://127.0.0.1:${secure.port}/secure`);
    expect(secure.saw('/secure').traceparent).toBe(traceparentOf(spans[0]!));
  });

  it('ends 4xx and 5xx answers with outcome failure and the status code', async () => {
    const { spans } = await traced(async () => {
      expect(await call((cb) => http.get(`http://127.0.0.1:${upstream.port}/status/404`, cb))).toBe(404);
      expect(await call((cb) => http.get(`http://127.0.0.1:${upstream.port}/status/503`, cb))).toBe(503);
    });
    expect(spans.map((s) => [s.context.http.status_code, s.outcome])).toEqual([
      [404, 'failure'],
      [503, 'failure'],
    ]);
  });

  it('ends refused, reset, timed-out and aborted requests with outcome failure; the app still gets its errors', async () => {
    const refusedPort = await closedPort();
    const results: Array<number | string> = [];
    const { tx, spans } = await traced(async () => {
      results.push(await call((cb) => http.get(`http://127.0.0.1:${refusedPort}/`, cb)));
      results.push(await call((cb) => http.get(`http://127.0.0.1:${upstream.port}/reset`, cb)));
      results.push(
        await call((cb) => {
          const req = http.get(`http://127.0.0.1:${upstream.port}/hang-timeout`, cb);
          req.setTimeout(50, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
          return req;
        }),
      );
      const controller = new AbortController();
      results.push(
        await call((cb) => {
          const req = http.get(`http://127.0.0.1:${upstream.port}/hang-abort`, { signal: controller.signal }, cb);
          // Abort once the upstream has the request, so it is a request in flight that is cut.
          const wait = setInterval(() => {
            if (upstream.seen.some((s) => s.url === '/hang-abort')) {
              clearInterval(wait);
              controller.abort();
            }
          }, 5);
          return req;
        }),
      );
    });
    expect(results).toEqual(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ABORT_ERR']);
    expect(spans).toHaveLength(4);
    expectLinked(spans, tx);
    for (const s of spans) expect(s.outcome).toBe('failure');
  });

  it('keeps a traceparent the app set itself', async () => {
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const { spans } = await traced(() =>
      call((cb) => http.get(`http://127.0.0.1:${upstream.port}/own`, { headers: { TraceParent: own } }, cb)),
    );
    expect(spans).toHaveLength(1);
    expect(upstream.saw('/own').traceparent).toBe(own);
  });

  it('propagates an unsampled transaction’s context without recording a span', async () => {
    const parent = '00-11111111111111111111111111111111-2222222222222222-00';
    let txId = '';
    await withTransaction(
      'unsampled',
      async (tx) => {
        txId = tx.id;
        await call((cb) => http.get(`http://127.0.0.1:${upstream.port}/unsampled`, cb));
      },
      'request',
      { traceparent: parent },
    );
    await flush();
    expect(upstream.saw('/unsampled').traceparent).toBe(`00-11111111111111111111111111111111-${txId}-00`);
    expect(shipped(intake, 'span').filter((s) => s.transaction_id === txId)).toEqual([]);
  });

  it('records nothing and adds no header outside a transaction, and never traces the agent’s own requests', async () => {
    const before = shipped(intake, 'span').length;
    await call((cb) => http.get(`http://127.0.0.1:${upstream.port}/outside`, cb));
    await flush();
    expect(upstream.saw('/outside').traceparent).toBeUndefined();
    expect(shipped(intake, 'span').length).toBe(before);
    expect(intake.requests.length).toBeGreaterThan(0);
    for (const r of intake.requests) expect(r.headers.traceparent).toBeUndefined();
    const intakePort = new URL(intake.url).port;
    expect(shipped(intake, 'span').filter((s) => String(s.context?.destination?.port) === intakePort)).toEqual([]);
  });

  it('does not keep an unread response from being discarded (no response listener added)', async () => {
    const { spans } = await traced(
      () =>
        new Promise<void>((resolve) => {
          const req = http.request(`http://127.0.0.1:${upstream.port}/fire-and-forget`);
          req.on('close', () => resolve());
          req.end();
        }),
    );
    expect(spans).toHaveLength(1);
    expect(spans[0]!.outcome).toBe('success');
  });
});
