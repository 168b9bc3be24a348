/**
 * Batches are written by trace/event-json.ts without building the event objects: every
 * transaction and span must come out exactly as JSON.stringify writes its toJSON(), for real
 * requests and responses (kept live or as the records taken at response end) and for the
 * odd values a JS caller can put on an event.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/read.js';
import { RequestRecord, ResponseRecord } from '../src/http/request-context.js';
import { runWithActive } from '../src/trace/context.js';
import type { EventKind, EventSink } from '../src/trace/sink.js';
import type { Span } from '../src/trace/span.js';
import { Tracer } from '../src/trace/tracer.js';
import type { Transaction } from '../src/trace/transaction.js';
import { encodeLine } from '../src/transport/encode.js';
import { schemaErrors } from './helpers/spec.js';

class Keeper implements EventSink {
  readonly events: Array<{ kind: EventKind; event: object }> = [];
  send(kind: EventKind, event: object): boolean {
    this.events.push({ kind, event });
    return true;
  }
}

/** The line as JSON.stringify of toJSON() writes it (what the batcher wrote before). */
function reference(kind: EventKind, event: object): string {
  return `{"${kind}":${JSON.stringify(event)}}\n`;
}

function expectSameLines(sink: Keeper): void {
  expect(sink.events.length).toBeGreaterThan(0);
  for (const { kind, event } of sink.events) expect(encodeLine(kind, event)).toBe(reference(kind, event));
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = () => {};
const server = createServer((req, res) => handler(req, res));
let port = 0;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Sends a raw request (exact bytes, any header) and resolves when the answer has ended. */
function rawRequest(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text, 'latin1'));
    socket.resume();
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

const REQUESTS = [
  'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
  'GET /users/42?token=abc&q=sh%22oes&empty= HTTP/1.1\r\nHost: shop.example:8080\r\nAuthorization: Bearer hunter2\r\nCookie: sid=s3; theme=dark; 2=x; 1=y\r\nX-Quote: a"b\\c\r\nX-Latin: caf\xe9\r\nConnection: close\r\n\r\n',
  'POST /form HTTP/1.0\r\nHost: [::1]:3000\r\nX-Dup: one\r\nX-Dup: two\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n123: numeric\r\nContent-Length: 0\r\n\r\n',
  'GET /no-host?password=x&password=y HTTP/1.0\r\nX-None: 1\r\n\r\n',
  'GET /odd-host HTTP/1.1\r\nHost: a:b:c\r\nCookie: \r\nConnection: close\r\n\r\n',
];

/** How the app answers: Express-style stored headers, Fastify-style writeHead, duplicates, nothing sent. */
const RESPONSES: Array<(res: ServerResponse) => void> = [
  (res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('content-length', 2);
    res.setHeader('x-list', ['a', 'b"c']);
    res.setHeader('set-cookie', ['sid=new', 'theme=light']);
    res.end('{}');
  },
  (res) => {
    res.writeHead(201, { 'content-type': 'text/plain', 'x-api-key': 'k', '456': 'num' });
    res.end('ok');
  },
  (res) => {
    res.writeHead(200, ['X-Dup', '1', 'x-dup', '2', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Esc', 'tab\there']);
    res.end();
  },
  (res) => {
    res.statusCode = 503;
    res.end();
  },
];

/** A transaction per request and response kind, with its request kept live or as records. */
async function serveAll(tracer: Tracer, decorate: (tx: Transaction, i: number) => void, records: boolean): Promise<void> {
  let i = 0;
  for (const text of REQUESTS) {
    for (const respond of RESPONSES) {
      const n = i++;
      handler = (req, res) => {
        const tx = tracer.startTransaction('GET /users/:id', 'request', { traceparent: req.headers.traceparent as string });
        tx.req = req;
        tx.res = res;
        decorate(tx, n);
        res.on('finish', () => {
          if (records) {
            tx.req = new RequestRecord(req);
            tx.res = new ResponseRecord(res, tracer.httpContextOptions.captureHeaders);
          }
          tx.setResult(`HTTP ${Math.floor(res.statusCode / 100)}xx`);
          tx.end();
        });
        runWithActive(tx, () => respond(res));
      };
      await rawRequest(text);
      // The server's 'finish' may follow the client's close by a tick.
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('transactions and spans are encoded as JSON.stringify writes their toJSON()', () => {
  for (const records of [true, false]) {
    for (const captureHeaders of [true, false]) {
      it(`requests and responses ${records ? 'kept as records' : 'kept live'}, headers ${captureHeaders ? 'captured' : 'not captured'}`, async () => {
        const sink = new Keeper();
        const tracer = new Tracer(readConfig({ serviceName: 'json', captureHeaders, globalLabels: 'region=eu,tier=1' }, {}), sink);
        await serveAll(tracer, (tx, n) => {
          if (n % 2 === 0) tx.setLabel('tenant.id', n);
          if (n % 3 === 0) tx.setUser({ id: n, username: 'ada "the" \u2028 admin' });
          if (n % 4 === 1) tx.setCustomContext({ cart: { items: n }, note: 'é\ud800' });
          if (n % 5 === 2) tx.requestBody = n % 2 ? { field: 'v', password: '[REDACTED]' } : 'raw body';
        }, records);
        expect(sink.events).toHaveLength(REQUESTS.length * RESPONSES.length);
        expectSameLines(sink);
      });
    }
  }
});

describe('odd values on transactions', () => {
  function ended(tracer: Tracer, setUp: (tx: Transaction) => void, opts?: { traceparent?: string; tracestate?: string }): void {
    const tx = tracer.startTransaction('job', 'task', opts);
    setUp(tx);
    tx.end();
  }

  it('every field a caller can set, each alone and together', () => {
    const sink = new Keeper();
    const tracer = new Tracer(readConfig({ serviceName: 'json' }, {}), sink);
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const setUps: Array<(tx: Transaction) => void> = [
      () => {},
      (tx) => tx.setName('name "quoted" \\ with \n newline and \u0001 control'),
      (tx) => tx.setName('lone \udc00 surrogate and pair 😀'),
      (tx) => tx.setResult('success'),
      (tx) => tx.setOutcome('failure'),
      (tx) => tx.setLabel('k', 'v'),
      (tx) => tx.setUser({ id: 1 }),
      (tx) => tx.setCustomContext({ n: 1n as unknown as number, ok: true }),
      (tx) => tx.setCustomContext(circular),
      (tx) => tx.setCustomContext({ client_aborted: 'no', x: 1 }),
      (tx) => {
        tx.aborted = true;
      },
      (tx) => {
        tx.aborted = true;
        tx.setCustomContext({ x: 1 });
        tx.setLabel('a', 1);
      },
      (tx) => {
        tx.aborted = true;
        tx.setCustomContext({ client_aborted: false, 10: 'ten', 2: 'two' });
      },
      (tx) => tx.setUser({ toJSON: () => undefined } as never),
      (tx) => tx.setCustomContext({ when: new Date(0), nested: { toJSON: () => 'custom' } }),
      (tx) => {
        (tx as { name: unknown }).name = 42;
      },
      (tx) => {
        (tx as { result: unknown }).result = undefined;
      },
      (tx) => {
        tx.durationMs = Number.NaN;
      },
    ];
    for (const setUp of setUps) ended(tracer, setUp);
    ended(tracer, () => {}, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'es=s:0.25,other=x' });
    ended(tracer, () => {}, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
    expectSameLines(sink);
  });

  it('a request or response object the app replaced or mangled', () => {
    const sink = new Keeper();
    const tracer = new Tracer(readConfig({ serviceName: 'json' }, {}), sink);
    const fakeReq = { method: 'GET', url: '/x', httpVersion: '1.1', headers: { host: 'h' }, socket: { remoteAddress: 5 } };
    const fakeRes = { statusCode: '200', writableFinished: true, headersSent: true, getHeaders: () => ({}) };
    const throwingRes = { statusCode: 200, writableFinished: true, headersSent: true, getHeaders: () => { throw new Error('no'); } };
    const pairs: Array<[unknown, unknown]> = [
      [fakeReq, null],
      [null, fakeRes],
      [{ ...fakeReq, socket: { remoteAddress: '1.2.3.4', encrypted: true } }, throwingRes],
      [{ method: 'GET', url: '/x', httpVersion: '1.1', headers: null }, throwingRes],
      [{ ...fakeReq, method: undefined, url: undefined, socket: null }, null],
    ];
    for (const [req, res] of pairs) {
      ended(tracer, (tx) => {
        (tx as { req: unknown }).req = req;
        (tx as { res: unknown }).res = res;
      });
    }
    expectSameLines(sink);
  });
});

describe('odd values on spans', () => {
  it('exit and internal spans with every context, composite and labels', () => {
    const sink = new Keeper();
    const tracer = new Tracer(readConfig({ serviceName: 'json', spanCompressionEnabled: false }, {}), sink);
    const tx = tracer.startTransaction('job', 'task');
    const setUps: Array<[exit: boolean, (span: Span) => void]> = [
      [false, () => {}],
      [false, (s) => s.setName('render "page" \u0007')],
      [true, (s) => s.setDbContext({ type: 'sql', instance: 'db', statement: 'SELECT "x" FROM t WHERE a = \'\\\'', rows_affected: 3 })],
      [true, (s) => s.setHttpContext({ method: 'GET', url: 'http://h/x?y="z"', status_code: 200 })],
      [true, (s) => s.setDestination({ address: '::1', port: 5432 })],
      [true, (s) => s.setDestination({ address: '', port: 0 })],
      [true, (s) => s.setDestination({ address: null, port: null })],
      [
        true,
        (s) => {
          s.targetName = 'orders';
          s.setLabel('q', 'v');
        },
      ],
      [
        true,
        (s) => {
          s.composite = { count: 3, sum: 1.23456, compression_strategy: 'exact_match' };
        },
      ],
      [true, (s) => s.setType('db', null, null)],
      [true, (s) => s.setDbContext({ toJSON: () => undefined } as never)],
      [
        true,
        (s) => {
          (s as { destination: unknown }).destination = { address: 7, port: '80' };
        },
      ],
    ];
    runWithActive(tx, () => {
      for (const [exit, setUp] of setUps) {
        const span = tracer.startSpan('SELECT FROM t', exit ? 'db' : 'app', exit ? 'postgresql' : null, exit ? 'query' : null, null, null, exit)!;
        setUp(span);
        span.end();
      }
    });
    tx.end();
    expect(sink.events.filter((e) => e.kind === 'span')).toHaveLength(setUps.length);
    expectSameLines(sink);
  });
});

describe('text reused from the previous transaction never carries its values into the next', () => {
  it('requests and responses alternating between two clients and two answers', async () => {
    const sink = new Keeper();
    const tracer = new Tracer(readConfig({ serviceName: 'json', captureHeaders: true }, {}), sink);
    // Same header names, values of the same length: only the contents tell them apart.
    // Secrets differ too (redacted alike, the cookies listed apart).
    const alice = 'GET /a?q=1 HTTP/1.1\r\nHost: shop.example:8080\r\nX-User: alice\r\nUser-Agent: curl/8.1\r\nAuthorization: Bearer a1\r\nCookie: alice=1\r\nConnection: close\r\n\r\n';
    const bobby = 'GET /a?q=2 HTTP/1.1\r\nHost: shop.example:8080\r\nX-User: bobby\r\nUser-Agent: curl/8.2\r\nAuthorization: Bearer b2\r\nCookie: bobby=1\r\nConnection: close\r\n\r\n';
    const carol = 'GET /a?q=1 HTTP/1.1\r\nHost: shop.example:8080\r\nX-User: carol\r\nUser-Agent: curl/8.1\r\nX-Extra: 1\r\nConnection: close\r\n\r\n';
    const order = [alice, alice, bobby, alice, carol, carol, bobby, bobby, alice];
    const who = (text: string): string => (text === alice ? 'alice' : text === bobby ? 'bobby' : 'carol');
    let n = 0;
    for (const text of order) {
      const i = n++;
      handler = (req, res) => {
        const tx = tracer.startTransaction(i % 3 === 0 ? 'GET /a' : 'GET /b', i % 2 === 0 ? 'request' : 'job');
        tx.req = req;
        tx.res = res;
        res.on('finish', () => {
          tx.req = new RequestRecord(req);
          tx.res = new ResponseRecord(res, true);
          tx.setResult(i % 4 === 0 ? 'HTTP 2xx' : 'HTTP 4xx');
          tx.setOutcome(i % 4 === 0 ? 'success' : 'failure', false);
          tx.end();
        });
        // Express-style stored headers on even answers, Fastify-style writeHead on odd ones.
        if (i % 2 === 0) {
          res.setHeader('x-answer', `for-${who(text)}`);
          res.statusCode = i % 4 === 0 ? 200 : 404;
          res.end();
        } else {
          res.writeHead(i % 4 === 1 ? 200 : 404, { 'x-answer': `for-${who(text)}` });
          res.end();
        }
      };
      await rawRequest(text);
      await new Promise((r) => setImmediate(r));
    }
    expect(sink.events).toHaveLength(order.length);
    expectSameLines(sink);
    sink.events.forEach(({ event }, i) => {
      const line = encodeLine('transaction', event) as string;
      const name = who(order[i]!);
      const tx = JSON.parse(line).transaction;
      expect(tx.context.request.headers['x-user']).toBe(name);
      expect(tx.context.request.headers['x-extra']).toBe(name === 'carol' ? '1' : undefined);
      expect(tx.context.request.headers.authorization).toBe(name === 'carol' ? undefined : '[REDACTED]');
      expect(Object.keys(tx.context.request.cookies ?? {})).toEqual(name === 'carol' ? [] : [name]);
      expect(tx.context.request.url.search).toBe(name === 'bobby' ? '?q=2' : '?q=1');
      expect(tx.context.request.headers['user-agent']).toBe(name === 'bobby' ? 'curl/8.2' : 'curl/8.1');
      expect(tx.context.response.headers['x-answer']).toBe(`for-${name}`);
      expect(tx.context.response.status_code).toBe(i % 4 === 0 || i % 4 === 1 ? 200 : 404);
      expect(tx.name).toBe(i % 3 === 0 ? 'GET /a' : 'GET /b');
      expect(tx.type).toBe(i % 2 === 0 ? 'request' : 'job');
      expect(tx.result).toBe(i % 4 === 0 ? 'HTTP 2xx' : 'HTTP 4xx');
    });
  });

  it('header objects sharing their first members with the last one (more, fewer, secret, undefined and list members)', () => {
    const sink = new Keeper();
    const tracer = new Tracer(readConfig({ serviceName: 'json', captureHeaders: true }, {}), sink);
    const sets: Array<Record<string, unknown>> = [
      { host: 'h', 'user-agent': 'a', accept: 'x' },
      { host: 'h', 'user-agent': 'b', accept: 'x' },
      { host: 'h', 'user-agent': 'b', accept: 'x', 'x-more': '1' },
      { host: 'h', 'user-agent': 'b' },
      { host: 'h', 'user-agent': 'b', authorization: 's1' },
      { host: 'h', 'user-agent': 'b', authorization: 's2', accept: 'y' },
      { host: 'h', 'x-undef': undefined, 'user-agent': 'c' },
      { host: 'h', 'x-undef': undefined, 'user-agent': 'd' },
      { host: 'h', 'x-undef': 'now', 'user-agent': 'd' },
      { host: 'h2', 'user-agent': 'd' },
      { host: 'h2', 'user-agent': 'd', list: ['a', 'b'] },
      { host: 'h2', 'user-agent': 'd', list: ['a', 'c'] },
      { host: 'h2', 'user-agent': 'd', n: 5 },
      { host: 'h2', 'user-agent': 'd', n: '5' },
      {},
      { host: 'h2' },
    ];
    const seen: unknown[] = [];
    for (const headers of sets) {
      const tx = tracer.startTransaction('job', 'task');
      tx.req = new RequestRecord({ method: 'GET', url: '/', httpVersion: '1.1', headers, socket: { remoteAddress: '127.0.0.1' } } as never);
      tx.end();
      seen.push(JSON.parse(encodeLine('transaction', sink.events.at(-1)!.event) as string).transaction.context.request.headers);
    }
    expectSameLines(sink);
    expect(seen[1]).toEqual({ host: 'h', 'user-agent': 'b', accept: 'x' });
    expect(seen[3]).toEqual({ host: 'h', 'user-agent': 'b' });
    expect(seen[5]).toEqual({ host: 'h', 'user-agent': 'b', authorization: '[REDACTED]', accept: 'y' });
    expect(seen[8]).toEqual({ host: 'h', 'x-undef': 'now', 'user-agent': 'd' });
    expect(seen[11]).toEqual({ host: 'h2', 'user-agent': 'd', list: 'a, c' });
    expect(seen[14]).toEqual({});
  });

  it('a header whose value changes in place on the same object, and one matcher against another', () => {
    const sink = new Keeper();
    const plain = new Tracer(readConfig({ serviceName: 'json', captureHeaders: true }, {}), sink);
    const strict = new Tracer(readConfig({ serviceName: 'json', captureHeaders: true, sanitizeFieldNames: 'x-user' }, {}), sink);
    const headers: Record<string, string> = { host: 'h', 'x-user': 'alice' };
    const request = { method: 'GET', url: '/', httpVersion: '1.1', headers, socket: { remoteAddress: '127.0.0.1' } };
    const seen: string[] = [];
    for (const [tracer, user] of [[plain, 'alice'], [plain, 'bobby'], [strict, 'bobby'], [plain, 'bobby']] as const) {
      headers['x-user'] = user;
      const tx = tracer.startTransaction('job', 'task');
      tx.req = new RequestRecord(request as never);
      tx.end();
      const line = encodeLine('transaction', sink.events.at(-1)!.event) as string;
      seen.push(JSON.parse(line).transaction.context.request.headers['x-user']);
    }
    expect(seen).toEqual(['alice', 'bobby', '[REDACTED]', 'bobby']);
    expectSameLines(sink);
  });
});

describe('text reused from the previous span never carries its values into the next', () => {
  it('outgoing calls alternating between two origins, methods, urls, statuses, outcomes and kinds', () => {
    const sink = new Keeper();
    const tracer = new Tracer(readConfig({ serviceName: 'json', spanCompressionEnabled: false }, {}), sink);
    const origins = [
      { address: 'api.example', port: 443, target: 'api.example:443', prefix: 'https://api.example' },
      { address: 'db.example', port: 8080, target: 'db.example:8080', prefix: 'http://db.example:8080' },
    ];
    const order = [0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1];
    const expected: Array<Record<string, unknown>> = [];
    const tx = tracer.startTransaction('GET /a', 'request');
    const rate = tracer.startTransaction('GET /b', 'request');
    rate.sampleRate = 0.5;
    order.forEach((o, i) => {
      const origin = origins[o]!;
      const owner = i % 5 === 4 ? rate : tx;
      runWithActive(owner, () => {
        const method = i % 3 === 0 ? 'POST' : 'GET';
        const span = tracer.startSpan(`${method} ${origin.address}`, 'external', i % 4 === 3 ? 'fetch' : 'http', method, null, null, true)!;
        // As the undici instrumentation sets it (status_code there from the start), or as
        // http-client does (added when the answer comes), or with no status at all.
        const http: { method: string; url: string; status_code?: number } =
          i % 3 === 1 ? { method, url: origin.prefix + '/x' } : { method, url: origin.prefix + (i % 2 === 0 ? '/x' : '/y?q="z"'), status_code: undefined };
        span.setHttpContext(http);
        span.setDestination({ address: origin.address, port: origin.port });
        span.targetName = origin.target;
        if (i % 6 !== 5) http.status_code = i % 2 === 0 ? 200 : 503;
        if (i === 7) span.setLabel('k', 'v');
        span.setOutcome(i % 2 === 0 ? 'success' : 'failure');
        span.end();
        expected.push({ origin, method, status: http.status_code, url: http.url, owner });
      });
    });
    const spans = sink.events.filter((e) => e.kind === 'span');
    expect(spans).toHaveLength(order.length);
    expectSameLines(sink);
    spans.forEach(({ event }, i) => {
      const line = encodeLine('span', event) as string;
      const span = JSON.parse(line).span;
      const want = expected[i]!;
      const origin = want.origin as (typeof origins)[number];
      expect(schemaErrors('span', span)).toBe('');
      expect(span.context.destination.address).toBe(origin.address);
      expect(span.context.destination.port).toBe(origin.port);
      expect(span.context.destination.service.resource).toBe(`${i % 4 === 3 ? 'fetch' : 'http'}/${origin.target}`);
      expect(span.context.service.target).toEqual({ type: i % 4 === 3 ? 'fetch' : 'http', name: origin.target });
      expect(span.context.http).toEqual({ method: want.method, url: want.url, ...(want.status === undefined ? {} : { status_code: want.status }) });
      expect(span.subtype).toBe(i % 4 === 3 ? 'fetch' : 'http');
      expect(span.action).toBe(want.method);
      expect(span.name).toBe(`${want.method} ${origin.address}`);
      expect(span.outcome).toBe(i % 2 === 0 ? 'success' : 'failure');
      expect(span.sample_rate).toBe(want.owner === rate ? 0.5 : tx.sampleRate ?? undefined);
      expect(span.transaction_id).toBe((want.owner as Transaction).id);
      expect(span.context.tags).toEqual(i === 7 ? { k: 'v' } : undefined);
    });
  });

  it('an http context of another shape, order or value type is written as JSON.stringify writes it', () => {
    const sink = new Keeper();
    const tracer = new Tracer(readConfig({ serviceName: 'json', spanCompressionEnabled: false }, {}), sink);
    const tx = tracer.startTransaction('job', 'task');
    const contexts: unknown[] = [
      { method: 'GET', url: 'http://h/a', status_code: 200 },
      { url: 'http://h/a', method: 'GET', status_code: 200 },
      { method: 'GET', url: 'http://h/a', status_code: 200, extra: 1 },
      { method: 'GET', url: 'http://h/a', status_code: '200' },
      { method: 'GET', url: 'http://h/a', status_code: 200, toJSON: () => ({ replaced: true }) },
      Object.assign(Object.create({ inherited: 1 }), { method: 'GET', url: 'http://h/a', status_code: 200 }),
      { method: 'GET' },
      { method: 'GET', url: 'http://h/a', status_code: 200 },
      { method: 'GET', url: 'http://h/a', status_code: Number.NaN },
    ];
    runWithActive(tx, () => {
      for (const http of contexts) {
        const span = tracer.startSpan('GET h', 'external', 'http', 'GET', null, null, true)!;
        span.setHttpContext(http as never);
        span.setDestination({ address: 'h', port: 80 });
        span.end();
      }
    });
    expect(sink.events.filter((e) => e.kind === 'span')).toHaveLength(contexts.length);
    expectSameLines(sink);
  });
});
