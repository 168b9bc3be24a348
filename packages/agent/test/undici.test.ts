/**
 * Outgoing calls through undici (request, fetch, Pool, Client) and the global fetch are
 * external/http spans built from undici's diagnostics channels, and the upstream (a real
 * local server) sees the span's traceparent. Failures end the span with outcome failure.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, flush, start, withTransaction } from '../src/index.js';
import { Upstream, closedPort, expectLinked, shipped, traceOf, traceparentOf } from './helpers/exit-spans.js';
import { IntakeServer } from './helpers/intake-server.js';

const intake = new IntakeServer();
const upstream = new Upstream();
const require = createRequire(import.meta.url);
let undici: any;

async function traced(fn: () => Promise<unknown>) {
  let id = '';
  await withTransaction('undici test', async (tx) => {
    id = tx.id;
    await fn();
  });
  await flush();
  return traceOf(intake, id);
}

beforeAll(async () => {
  await intake.start();
  await upstream.start();
  start({ serverUrl: intake.url, flushIntervalMs: 20, metricsIntervalMs: 0 });
  undici = require('undici');
});

afterAll(async () => {
  await close();
  await Promise.all([intake.close(), upstream.close()]);
});

describe('undici and fetch', () => {
  it('records the global fetch and sends the span’s traceparent and tracestate', async () => {
    let body = '';
    const { tx, spans } = await traced(async () => {
      body = await (await fetch(`http://127.0.0.1:${upstream.port}/global?password=hunter2&page=2`)).text();
    });
    expect(body).toBe('ok');
    expect(spans).toHaveLength(1);
    expectLinked(spans, tx);
    const span = spans[0]!;
    expect(span).toMatchObject({ name: `GET 127.0.0.1:${upstream.port}`, type: 'external', subtype: 'http', action: 'GET', outcome: 'success' });
    expect(span.context.http).toEqual({
      method: 'GET',
      url: `http://127.0.0.1:${upstream.port}/global?password=%5BREDACTED%5D&page=2`,
      status_code: 200,
    });
    expect(span.context.destination).toMatchObject({ address: '127.0.0.1', port: upstream.port });
    const seen = upstream.saw('/global?password=hunter2&page=2');
    expect(seen.traceparent).toBe(traceparentOf(span));
    expect(seen.tracestate).toBe('es=s:1');
  });

  it('records undici.request, undici.fetch, a Pool and a Client', async () => {
    const base = `http://127.0.0.1:${upstream.port}`;
    const pool = new undici.Pool(base, { connections: 2 });
    const client = new undici.Client(base);
    const { tx, spans } = await traced(async () => {
      const r1 = await undici.request(`${base}/request`, { method: 'POST', body: 'x' });
      await r1.body.text();
      await (await undici.fetch(`${base}/fetch`)).text();
      const r3 = await pool.request({ path: '/pool', method: 'GET' });
      await r3.body.text();
      const r4 = await client.request({ path: '/client', method: 'PUT', body: 'y' });
      await r4.body.text();
    });
    await pool.close();
    await client.close();
    expect(spans.map((s) => s.name)).toEqual([
      `POST 127.0.0.1:${upstream.port}`,
      `GET 127.0.0.1:${upstream.port}`,
      `GET 127.0.0.1:${upstream.port}`,
      `PUT 127.0.0.1:${upstream.port}`,
    ]);
    expectLinked(spans, tx);
    const paths = ['/request', '/fetch', '/pool', '/client'];
    spans.forEach((span, i) => {
      expect(span.context.http.url).toBe(`${base}${paths[i]}`);
      expect(upstream.saw(paths[i]!).traceparent).toBe(traceparentOf(span));
    });
  });

  it('names, addresses and links each origin’s calls apart, in one transaction and the next', async () => {
    const other = await new Upstream().start();
    try {
      const a = `http://127.0.0.1:${upstream.port}`;
      const b = `http://127.0.0.1:${other.port}`;
      for (const round of [1, 2]) {
        const { tx, spans } = await traced(async () => {
          await (await fetch(`${a}/a${round}`)).text();
          await (await fetch(`${b}/b${round}`, { method: 'DELETE' })).text();
          const r = await undici.request(`${a}/c${round}?token=secret`, { method: 'POST', body: 'x' });
          await r.body.text();
        });
        expectLinked(spans, tx);
        expect(spans.map((s) => [s.name, s.context.http.url, s.context.destination.port, s.context.service.target.name])).toEqual([
          [`GET 127.0.0.1:${upstream.port}`, `${a}/a${round}`, upstream.port, `127.0.0.1:${upstream.port}`],
          [`DELETE 127.0.0.1:${other.port}`, `${b}/b${round}`, other.port, `127.0.0.1:${other.port}`],
          [`POST 127.0.0.1:${upstream.port}`, `${a}/c${round}?token=%5BREDACTED%5D`, upstream.port, `127.0.0.1:${upstream.port}`],
        ]);
        expect(upstream.saw(`/a${round}`).traceparent).toBe(traceparentOf(spans[0]!));
        expect(other.saw(`/b${round}`).traceparent).toBe(traceparentOf(spans[1]!));
        expect(upstream.saw(`/c${round}?token=secret`).traceparent).toBe(traceparentOf(spans[2]!));
        expect(other.saw(`/b${round}`).tracestate).toBe('es=s:1');
      }
    } finally {
      await other.close();
    }
  });

  it('names calls with more methods to one origin than it remembers names for', async () => {
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'REPORT', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACL'];
    const { tx, spans } = await traced(async () => {
      for (const method of [...methods, ...methods.slice(0, 3)]) {
        const r = await undici.request(`http://127.0.0.1:${upstream.port}/method-${method}`, { method });
        await r.body.text();
      }
    });
    expectLinked(spans, tx);
    expect(spans.map((s) => s.name)).toEqual([...methods, ...methods.slice(0, 3)].map((m) => `${m} 127.0.0.1:${upstream.port}`));
  });

  it('keeps trace headers the app set in any letter case, and adds no second copy', async () => {
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await traced(async () => {
      const r1 = await undici.request(`http://127.0.0.1:${upstream.port}/mixed-case`, { headers: { TraceParent: own, TraceState: 'rojo=1' } });
      await r1.body.text();
      const r2 = await undici.request(`http://127.0.0.1:${upstream.port}/own-state`, { headers: ['TRACESTATE', 'rojo=2'] });
      await r2.body.text();
    });
    expect(upstream.saw('/mixed-case')).toMatchObject({ traceparent: own, tracestate: 'rojo=1' });
    // The app's tracestate alone: ours is not added beside it, but the traceparent is.
    expect(upstream.saw('/own-state').tracestate).toBe('rojo=2');
    expect(upstream.saw('/own-state').traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('ends 4xx and 5xx answers with outcome failure', async () => {
    const { spans } = await traced(async () => {
      await (await fetch(`http://127.0.0.1:${upstream.port}/status/404`)).text();
      const r = await undici.request(`http://127.0.0.1:${upstream.port}/status/500`);
      await r.body.text();
    });
    expect(spans.map((s) => [s.context.http.status_code, s.outcome])).toEqual([
      [404, 'failure'],
      [500, 'failure'],
    ]);
  });

  it('ends refused, reset and aborted requests with outcome failure; the app still gets its errors', async () => {
    const refused = await closedPort();
    const errors: string[] = [];
    const { tx, spans } = await traced(async () => {
      await fetch(`http://127.0.0.1:${refused}/`).catch((e) => errors.push(e.cause?.code ?? e.name));
      await undici.request(`http://127.0.0.1:${upstream.port}/reset`).catch((e: any) => errors.push(e.code ?? e.name));
      const controller = new AbortController();
      const pending = fetch(`http://127.0.0.1:${upstream.port}/hang`, { signal: controller.signal }).catch((e) => errors.push(e.name));
      for (let i = 0; i < 400 && !upstream.seen.some((s) => s.url === '/hang'); i++) await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      await pending;
    });
    expect(errors).toEqual(['ECONNREFUSED', 'UND_ERR_SOCKET', 'AbortError']);
    expect(spans).toHaveLength(3);
    expectLinked(spans, tx);
    for (const s of spans) expect(s.outcome).toBe('failure');
  });

  it('keeps a traceparent the app set, and adds nothing outside a transaction', async () => {
    const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await traced(async () => {
      await (await fetch(`http://127.0.0.1:${upstream.port}/own`, { headers: { traceparent: own } })).text();
    });
    expect(upstream.saw('/own').traceparent).toBe(own);
    const before = shipped(intake, 'span').length;
    await (await fetch(`http://127.0.0.1:${upstream.port}/outside`)).text();
    await flush();
    expect(upstream.saw('/outside').traceparent).toBeUndefined();
    expect(shipped(intake, 'span').length).toBe(before);
  });
});
