/**
 * A plain node:http server with no framework, in-process with the agent started by start():
 * every request is a transaction named `METHOD unknown route` (no routes to name it by, and
 * never the raw URL), ended when the response finishes or the client goes away.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { close, currentTraceIds, currentTransaction, flush, start } from '../src/index.js';
import { IntakeServer } from './helpers/intake-server.js';
import { schemaErrors } from './helpers/spec.js';

type Ev = Record<string, any>;

const intake = new IntakeServer();
let server: Server;
let base = '';
/** Lets a test see the request arrive before it acts (no sleeps). */
let onArrival: ((req: IncomingMessage) => void) | null = null;
const seenInHandler: Array<{ path: string; ids: Record<string, string>; laterIds: Record<string, string> }> = [];

function handler(req: IncomingMessage, res: ServerResponse): void {
  onArrival?.(req);
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/hang') return; // never answers
  const ids = currentTraceIds() as Record<string, string>;
  setImmediate(() => {
    seenInHandler.push({ path, ids, laterIds: currentTraceIds() as Record<string, string> });
    const status = path.startsWith('/status/') ? Number(path.slice('/status/'.length)) : 200;
    res.setHeader('x-answer', 'plain');
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`answer for ${path}`);
  });
}

async function listen(): Promise<void> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function transactions(): Ev[] {
  return intake.events.filter((e) => e.kind === 'transaction').map((e) => e.event);
}

function byCase(id: string): Ev[] {
  return transactions().filter((t) => t.context?.request?.headers?.['x-case'] === id);
}

/** Waits (bounded) until the transaction of a case arrived. */
async function shipped(id: string): Promise<Ev> {
  for (let i = 0; i < 200 && byCase(id).length === 0; i++) {
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const found = byCase(id);
  expect(found, `transactions for ${id}`).toHaveLength(1);
  expect(schemaErrors('transaction', found[0])).toBe('');
  return found[0]!;
}

async function get(path: string, id: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(base + path, { headers: { 'x-case': id, ...headers } });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

beforeAll(async () => {
  await intake.start();
  start({
    serverUrl: intake.url,
    serviceName: 'http-server-test',
    flushIntervalMs: 20,
    metricsIntervalMs: 0,
    captureExceptions: false,
    ignoreUrls: ['/healthz', '/static/*'],
    errorOn4xx: true,
  });
  await listen();
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await close();
  await intake.close();
});

describe('node:http server', () => {
  test('a request is a transaction: GET unknown route, type request, HTTP 2xx, success, request and response context', async () => {
    const answer = await get('/users/42?q=1&password=x', 'plain', { authorization: 'Basic abc' });
    expect(answer.status).toBe(200);
    const tx = await shipped('plain');
    expect(tx).toMatchObject({ name: 'GET unknown route', type: 'request', result: 'HTTP 2xx', outcome: 'success' });
    expect(tx.context.request).toMatchObject({ method: 'GET', http_version: '1.1' });
    expect(tx.context.request.url).toMatchObject({ pathname: '/users/42', search: '?q=1&password=%5BREDACTED%5D' });
    expect(tx.context.request.headers.authorization).toBe('[REDACTED]');
    expect(tx.context.response).toMatchObject({ status_code: 200, finished: true, headers_sent: true });
    expect(tx.context.response.headers).toMatchObject({ 'x-answer': 'plain', 'content-type': 'text/plain' });
  });

  test('the handler and what it schedules run inside the transaction (ids for logs)', async () => {
    await get('/ids', 'ids');
    const tx = await shipped('ids');
    const seen = seenInHandler.find((s) => s.path === '/ids')!;
    expect(seen.ids).toEqual({ 'trace.id': tx.trace_id, 'transaction.id': tx.id });
    expect(seen.laterIds).toEqual(seen.ids);
  });

  test('an incoming traceparent is continued; an invalid one starts a new trace', async () => {
    await get('/continued', 'continued', { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const tx = await shipped('continued');
    expect(tx.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(tx.parent_id).toBe('b7ad6b7169203331');

    await get('/invalid', 'invalid', { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' });
    const fresh = await shipped('invalid');
    expect(fresh.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.trace_id).not.toBe('00000000000000000000000000000000');
    expect(fresh.parent_id).toBeUndefined();
  });

  test('5xx is a failure; with errorOn4xx, so is 4xx', async () => {
    await get('/status/503', 's503');
    await get('/status/404', 's404');
    await get('/status/302', 's302');
    expect(await shipped('s503')).toMatchObject({ result: 'HTTP 5xx', outcome: 'failure' });
    expect(await shipped('s404')).toMatchObject({ result: 'HTTP 4xx', outcome: 'failure' });
    expect(await shipped('s302')).toMatchObject({ result: 'HTTP 3xx', outcome: 'success' });
  });

  test('ignoreUrls: no transaction, and the answer is the same', async () => {
    const health = await get('/healthz', 'ignored');
    const asset = await get('/static/app.js?v=1', 'ignored-static');
    expect(health).toMatchObject({ status: 200, body: 'answer for /healthz' });
    expect(asset.status).toBe(200);
    await get('/after-ignored', 'after-ignored');
    await shipped('after-ignored');
    expect(byCase('ignored')).toEqual([]);
    expect(byCase('ignored-static')).toEqual([]);
  });

  test("a Sightline agent's batches to a collector are never traced (no transaction per batch, for ever)", async () => {
    const answer = await get('/intake/v2/events', 'agent-traffic', { 'user-agent': 'sightline-node/1.2.3' });
    expect(answer.status).toBe(200);
    await get('/after-agent-traffic', 'after-agent-traffic');
    await shipped('after-agent-traffic');
    expect(byCase('agent-traffic')).toEqual([]);
  });

  test('a client that goes away before any answer: ended then, aborted, no result, outcome unknown', async () => {
    const arrived = new Promise<void>((resolve) => {
      onArrival = (req) => {
        if (req.url === '/hang') resolve();
      };
    });
    const abort = new AbortController();
    const pending = fetch(`${base}/hang`, { headers: { 'x-case': 'hang' }, signal: abort.signal }).catch((err: Error) => err);
    await arrived;
    onArrival = null;
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    const tx = await shipped('hang');
    expect(tx.context.custom).toEqual({ client_aborted: true });
    expect(tx.outcome).toBe('unknown');
    expect(tx.result).toBeUndefined();
    expect(tx.context.response.finished).toBe(false);
  });

  test('a broken request object never makes the agent throw into the app', () => {
    const got: unknown[] = [];
    const bare = createServer((req) => got.push(req));
    // No headers, no socket: the agent must step aside and let the app's handler run.
    expect(() => bare.emit('request', { url: '/x', method: 'GET' }, { on() {} })).not.toThrow();
    expect(got).toHaveLength(1);
    bare.close();
  });

  test('close(): the patch is removed, nothing more is recorded, and the answer is the same as with the agent', async () => {
    const on = await get('/same?a=1', 'on');
    await shipped('on');
    await close();
    expect(Object.prototype.hasOwnProperty.call(http.Server.prototype, 'emit')).toBe(false);
    const off = await get('/same?a=1', 'off');
    expect(off.status).toBe(on.status);
    expect(off.body).toBe(on.body);
    expect(off.headers.get('x-answer')).toBe(on.headers.get('x-answer'));
    expect(off.headers.get('content-type')).toBe(on.headers.get('content-type'));
    expect(currentTransaction()).toBeNull();
    expect(byCase('off')).toEqual([]);
  });
});
