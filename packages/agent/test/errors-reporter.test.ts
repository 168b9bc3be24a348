import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { ConfigOptions } from '../src/config/table.js';
import { readConfig } from '../src/config/read.js';
import { ErrorReporter, type CaptureErrorOptions } from '../src/errors/reporter.js';
import { runWithActive } from '../src/trace/context.js';
import type { EventKind, EventSink } from '../src/trace/sink.js';
import { Tracer } from '../src/trace/tracer.js';
import { schemaErrors } from './helpers/spec.js';

type ErrorEvent = Record<string, any>;

const require = createRequire(import.meta.url);
const FIXTURES = join(import.meta.dirname, 'fixtures/errors');
const plain = require(join(FIXTURES, 'plain/thrower.cjs')) as {
  makeWidget(size: number): unknown;
  withCause(): unknown;
  deep(n: number): unknown;
};
const compiled = require(join(FIXTURES, 'ts/compiled/thrower.js')) as { validateOrder(o: unknown): void };
const compiledInline = require(join(FIXTURES, 'ts/compiled-inline/thrower.js')) as { validateOrder(o: unknown): void };
const PLAIN_REL = 'packages/agent/test/fixtures/errors/plain/thrower.cjs';
const TS_REL = 'packages/agent/test/fixtures/errors/ts/src/thrower.ts';
const TMP = mkdtempSync(join(tmpdir(), 'sightline-errors-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

class CollectingSink implements EventSink {
  readonly events: ErrorEvent[] = [];
  send(kind: EventKind, event: object): boolean {
    // Through JSON, as the transport would: what the intake receives is what is checked.
    if (kind === 'error') this.events.push(JSON.parse(JSON.stringify(event)) as ErrorEvent);
    return true;
  }
}

function setup(options: ConfigOptions = {}) {
  const sink = new CollectingSink();
  const tracer = new Tracer(readConfig({ serviceName: 'errors-test', ...options }, {}), sink);
  return { sink, tracer, reporter: new ErrorReporter(tracer) };
}

/** Captures `err`, waits for the event, checks it against the intake schema and returns it. */
async function captureOne(err: unknown, opts?: CaptureErrorOptions, options?: ConfigOptions): Promise<ErrorEvent> {
  const { sink, reporter } = setup(options);
  const id = reporter.capture(err, opts);
  await reporter.pending();
  expect(sink.events).toHaveLength(1);
  const ev = sink.events[0]!;
  expect(ev.id).toBe(id);
  expect(schemaErrors('error', ev)).toBe('');
  return ev;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('errors from real throws', () => {
  test('exception, frames with source lines before, at and after the app frame, culprit', async () => {
    const ev = await captureOne(thrown(() => plain.makeWidget(-1)));
    expect(ev.id).toMatch(/^[0-9a-f]{16}$/);
    expect(ev.exception).toMatchObject({ type: 'RangeError', message: 'size -1 is negative', handled: true });
    const top = ev.exception.stacktrace[0];
    expect(top).toMatchObject({ function: 'new Widget', filename: PLAIN_REL, lineno: 7, colno: 25, library_frame: false });
    expect(top.context_line).toBe('    if (size < 0) throw new RangeError(`size ${size} is negative`);');
    expect(top.pre_context).toEqual([
      '// Plain JavaScript the error tests throw from: real V8 stacks at known lines.',
      '// Line numbers are asserted by the tests; add new code at the end.',
      '',
      'class Widget {',
      '  constructor(size) {',
    ]);
    expect(top.post_context).toEqual(['    this.size = size;', '  }', '}', '', 'function makeWidget(size) {']);
    expect(ev.culprit).toBe(`new Widget (${PLAIN_REL})`);
    expect(ev.exception.attributes.fingerprint).toMatch(/^[0-9a-f]{32}$/);
  });

  test('sourceLinesAppFrames sets how many lines; 0 sends none', async () => {
    const two = await captureOne(thrown(() => plain.makeWidget(-1)), {}, { sourceLinesAppFrames: 2 });
    expect(two.exception.stacktrace[0].pre_context).toEqual(['class Widget {', '  constructor(size) {']);
    expect(two.exception.stacktrace[0].post_context).toEqual(['    this.size = size;', '  }']);
    const none = await captureOne(thrown(() => plain.makeWidget(-1)), {}, { sourceLinesAppFrames: 0 });
    expect(none.exception.stacktrace[0].context_line).toBeUndefined();
  });

  test('stackTraceLimit caps the frames', async () => {
    const ev = await captureOne(thrown(() => plain.deep(30)), {}, { stackTraceLimit: 4 });
    expect(ev.exception.stacktrace).toHaveLength(4);
    const none = await captureOne(thrown(() => plain.deep(3)), {}, { stackTraceLimit: 0 });
    expect(none.exception.stacktrace).toBeUndefined();
  });

  test('Error.stackTraceLimit of the app is left alone', async () => {
    const before = Error.stackTraceLimit;
    await captureOne('a message', {}, { stackTraceLimit: 200 });
    expect(Error.stackTraceLimit).toBe(before);
  });
});

describe('TypeScript source maps', () => {
  const expectTsFrames = (ev: ErrorEvent) => {
    expect(ev.exception).toMatchObject({ type: 'OrderError', message: 'order 42 has no items', code: 'E_ORDER_INVALID' });
    const [first, second] = ev.exception.stacktrace;
    expect(first).toMatchObject({ function: 'checkItems', filename: TS_REL, abs_path: join(FIXTURES, 'ts/src/thrower.ts'), lineno: 20, colno: 11, library_frame: false });
    expect(first.context_line).toBe('    throw new OrderError(`order ${order.id} has no items`);');
    expect(first.pre_context.at(-1)).toBe('  if (order.items.length === 0) {');
    expect(second).toMatchObject({ function: 'Object.validateOrder', filename: TS_REL, lineno: 25 });
    expect(second.context_line).toBe('  checkItems(order);');
    expect(ev.culprit).toBe(`checkItems (${TS_REL})`);
  };

  test('a compiled file with a sibling .map points at the .ts file and its lines', async () => {
    expectTsFrames(await captureOne(thrown(() => compiled.validateOrder({ id: 42, items: [] }))));
  });

  test('an inline data: URL source map works the same', async () => {
    expectTsFrames(await captureOne(thrown(() => compiledInline.validateOrder({ id: 42, items: [] }))));
  });

  test('without the .ts on disk, the lines come from the map\'s sourcesContent', async () => {
    const dir = join(TMP, 'shipped-without-sources/compiled');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FIXTURES, 'ts/compiled-inline/thrower.js'), join(dir, 'thrower.js'));
    writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}');
    const mod = require(join(dir, 'thrower.js')) as { validateOrder(o: unknown): void };
    const ev = await captureOne(thrown(() => mod.validateOrder({ id: 1, items: [] })));
    const top = ev.exception.stacktrace[0];
    expect(top).toMatchObject({ abs_path: join(TMP, 'shipped-without-sources/src/thrower.ts'), lineno: 20 });
    expect(top.context_line).toBe('    throw new OrderError(`order ${order.id} has no items`);');
  });

  test('both builds of the same code get the same fingerprint', async () => {
    const a = await captureOne(thrown(() => compiled.validateOrder({ id: 1, items: [] })));
    const b = await captureOne(thrown(() => compiledInline.validateOrder({ id: 2, items: [] })));
    expect(a.exception.attributes.fingerprint).toBe(b.exception.attributes.fingerprint);
  });
});

describe('library frames', () => {
  // A package under node_modules, written at test time (node_modules is not committed).
  const libDir = join(TMP, 'node_modules/fake-lib');
  mkdirSync(libDir, { recursive: true });
  writeFileSync(join(libDir, 'package.json'), '{"name":"fake-lib","type":"commonjs"}');
  writeFileSync(join(libDir, 'index.js'), "'use strict';\n// a library\nexports.run = function run(fn) {\n  return fn();\n};\n");
  const lib = require(join(libDir, 'index.js')) as { run(fn: () => unknown): unknown };

  test('get no source lines by default and are skipped by the culprit', async () => {
    const ev = await captureOne(thrown(() => lib.run(() => plain.makeWidget(-1))));
    const frames = ev.exception.stacktrace as ErrorEvent[];
    const libFrame = frames.find((f) => f.module === 'fake-lib')!;
    expect(libFrame).toMatchObject({ function: 'Object.run', library_frame: true, lineno: 4, abs_path: join(libDir, 'index.js') });
    expect(libFrame.context_line).toBeUndefined();
    expect(ev.culprit).toBe(`new Widget (${PLAIN_REL})`);
  });

  test('get sourceLinesLibraryFrames lines when asked', async () => {
    const ev = await captureOne(thrown(() => lib.run(() => plain.makeWidget(-1))), {}, { sourceLinesLibraryFrames: 1 });
    const libFrame = (ev.exception.stacktrace as ErrorEvent[]).find((f) => f.module === 'fake-lib')!;
    expect(libFrame).toMatchObject({ pre_context: ['exports.run = function run(fn) {'], context_line: '  return fn();', post_context: ['};'] });
  });
});

describe('what an error carries', () => {
  test('error.cause chains, followed to a bounded depth and safe from cycles', async () => {
    const ev = await captureOne(thrown(() => plain.withCause()));
    expect(ev.exception.message).toBe('could not build the order');
    expect(ev.exception.cause).toHaveLength(1);
    expect(ev.exception.cause[0]).toMatchObject({ type: 'RangeError', message: 'size -1 is negative' });
    expect(ev.exception.cause[0].stacktrace[0]).toMatchObject({ function: 'new Widget', lineno: 7, context_line: expect.stringContaining('RangeError') });

    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as Error & { cause: unknown }).cause = b;
    const cyc = await captureOne(a);
    expect(cyc.exception.cause[0].message).toBe('b');
    expect(cyc.exception.cause[0].cause).toBeUndefined();

    let chain: Error = new Error('e0');
    for (let i = 1; i <= 10; i++) chain = new Error(`e${i}`, { cause: chain });
    let depth = 0;
    for (let e = (await captureOne(chain)).exception; e.cause; e = e.cause[0]) depth++;
    expect(depth).toBe(5);

    const strCause = await captureOne(new Error('outer', { cause: 'a plain reason' }));
    expect(strCause.exception.cause).toEqual([{ type: 'NonError', message: 'a plain reason' }]);
  });

  test('code as a string or number, the type from a subclass without its own name', async () => {
    const sysErr = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect((await captureOne(sysErr)).exception.code).toBe('ECONNREFUSED');
    expect((await captureOne(Object.assign(new Error('x'), { code: 1045 }))).exception.code).toBe('1045');
    class DbError extends Error {}
    expect((await captureOne(new DbError('x'))).exception.type).toBe('DbError');
  });

  test('handled is false when asked (uncaught, unhandled)', async () => {
    expect((await captureOne(new Error('x'), { handled: false })).exception.handled).toBe(false);
  });

  test('a string becomes log.message with the stack of the call site, the fingerprint in custom', async () => {
    const ev = await captureOne('payment provider timed out');
    expect(ev.exception).toBeUndefined();
    expect(ev.log.message).toBe('payment provider timed out');
    // The agent's own frames are dropped: the top frame is this test.
    expect(ev.log.stacktrace[0].filename).toBe('packages/agent/test/errors-reporter.test.ts');
    expect(ev.culprit).toContain('errors-reporter.test.ts');
    expect(ev.context.custom.fingerprint).toMatch(/^[0-9a-f]{32}$/);
  });

  test('message option adds log.message to an exception', async () => {
    const ev = await captureOne(new Error('inner'), { message: 'while charging card 4' });
    expect(ev.log).toEqual({ message: 'while charging card 4' });
    expect(ev.exception.message).toBe('inner');
  });

  test.each([
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a number', 42, '42'],
    ['a bigint', 10n, '10'],
    ['a plain object', { reason: 'nope' }, '{"reason":"nope"}'],
    ['a symbol', Symbol('s'), 'Symbol(s)'],
  ])('%s becomes a NonError exception', async (_name, value, message) => {
    const ev = await captureOne(value);
    expect(ev.exception).toMatchObject({ type: 'NonError', message, handled: true });
    expect(ev.exception.stacktrace[0].filename).toBe('packages/agent/test/errors-reporter.test.ts');
  });

  test('hostile values never throw and still give a sane event', async () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect((await captureOne(circular)).exception.message).toBe('[object Object]');

    const bad = new Error('hidden');
    // 'stack' first: redefining it formats the stack, which reads name and message.
    for (const key of ['stack', 'message', 'name', 'code', 'cause']) {
      Object.defineProperty(bad, key, { get() { throw new Error(`getter ${key}`); } });
    }
    expect((await captureOne(bad)).exception).toMatchObject({ type: 'Error', message: '', handled: true });

    const proxy = new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); }, has() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });
    expect((await captureOne(proxy)).exception.type).toBe('NonError');

    const ev = await captureOne(new Error('x'), { custom: circular, labels: proxy as Record<string, unknown> });
    expect(ev.context.custom).toMatchObject({ unserializable: '[object Object]' });

    const brokenOptions = Object.defineProperty({}, 'parent', { get() { throw new Error('options getter'); } });
    const bare = await captureOne(new Error('still reported'), brokenOptions as CaptureErrorOptions);
    expect(bare.exception).toMatchObject({ type: 'Error', message: 'still reported', handled: true });
  });
});

describe('linkage and context', () => {
  test('the current transaction and span are the parent, read at capture time', async () => {
    const { sink, tracer, reporter } = setup();
    const tx = tracer.startTransaction('GET /orders/:id', 'request');
    tx.setUser({ id: 7, username: 'ada' });
    const span = tx.startSpan('load order', 'db')!;
    runWithActive(tx, () => reporter.capture(new Error('in tx')));
    runWithActive(span, () => reporter.capture(new Error('in span')));
    reporter.capture(new Error('outside'));
    await reporter.pending();
    const byMsg = Object.fromEntries(sink.events.map((e) => [e.exception.message, e]));
    for (const e of sink.events) expect(schemaErrors('error', e)).toBe('');
    expect(byMsg['in tx']).toMatchObject({
      trace_id: tx.traceId,
      transaction_id: tx.id,
      parent_id: tx.id,
      transaction: { name: 'GET /orders/:id', type: 'request', sampled: true },
      context: { user: { id: 7, username: 'ada' } },
    });
    expect(byMsg['in span']).toMatchObject({ trace_id: tx.traceId, transaction_id: tx.id, parent_id: span.id });
    expect(byMsg.outside!.trace_id).toBeUndefined();
    expect(byMsg.outside!.transaction_id).toBeUndefined();
    expect(tracer.stats.errorsCaptured).toBe(3);
  });

  test('parent: null detaches from the current transaction; an explicit parent is used', async () => {
    const { sink, tracer, reporter } = setup();
    const tx = tracer.startTransaction('job', 'worker');
    runWithActive(tx, () => reporter.capture(new Error('a'), { parent: null }));
    reporter.capture(new Error('b'), { parent: tx });
    await reporter.pending();
    expect(sink.events.find((e) => e.exception.message === 'a')!.transaction_id).toBeUndefined();
    expect(sink.events.find((e) => e.exception.message === 'b')!.transaction_id).toBe(tx.id);
  });

  test('labels over global labels, custom, timestamp', async () => {
    const ev = await captureOne(
      new Error('x'),
      { labels: { 'order.id': 12, tier: 'gold' }, custom: { cart: { items: 3 } }, timestamp: 1_700_000_000_123 },
      { globalLabels: { region: 'eu', tier: 'std' } },
    );
    expect(ev.context.tags).toEqual({ region: 'eu', tier: 'gold', order_id: 12 });
    expect(ev.context.custom).toEqual({ cart: { items: 3 } });
    expect(ev.timestamp).toBe(1_700_000_000_123_000);
  });

  test('context.request from the transaction\'s request, sanitized, or from the request given', async () => {
    const { sink, tracer, reporter } = setup();
    const server = createServer((req, res) => {
      const tx = tracer.startTransaction('GET /pay', 'request');
      tx.req = req;
      runWithActive(tx, () => reporter.capture(new Error('from tx request')));
      reporter.capture(new Error('from given request'), { request: req, parent: null });
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve, reject) => {
      const req = request({ port, path: '/pay?card=4111&x=1', headers: { authorization: 'Bearer s3cret', 'x-trace': 'yes' } }, (res: IncomingMessage) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    server.close();
    await reporter.pending();
    expect(sink.events).toHaveLength(2);
    for (const ev of sink.events) {
      expect(schemaErrors('error', ev)).toBe('');
      expect(ev.context.request).toMatchObject({ method: 'GET', url: { pathname: '/pay' } });
      expect(ev.context.request.url.search).not.toContain('4111');
      expect(ev.context.request.headers.authorization).toBe('[REDACTED]');
      expect(ev.context.request.headers['x-trace']).toBe('yes');
    }
  });

  test('capture returns the id at once and pending() waits for the send', async () => {
    const { sink, reporter } = setup();
    const ids = [reporter.capture(thrown(() => plain.makeWidget(-1))), reporter.capture('two'), reporter.capture(null)];
    expect(ids.every((id) => /^[0-9a-f]{16}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(3);
    await reporter.pending();
    expect(sink.events.map((e) => e.id).sort()).toEqual([...ids].sort());
  });

  test('an error storm is sent in full, past the in-flight bound, without losing source lines of the first', async () => {
    const { sink, reporter } = setup();
    for (let i = 0; i < 600; i++) reporter.capture(thrown(() => plain.makeWidget(-i - 1)));
    await reporter.pending();
    expect(sink.events).toHaveLength(600);
    expect(new Set(sink.events.map((e) => e.exception.attributes.fingerprint)).size).toBe(1);
    expect(sink.events.some((e) => e.exception.stacktrace[0].context_line !== undefined)).toBe(true);
    for (const ev of sink.events.slice(0, 5)) expect(schemaErrors('error', ev)).toBe('');
  });

  test('a sink that throws does not reach the app', async () => {
    const tracer = new Tracer(readConfig({ serviceName: 'errors-test' }, {}), {
      send() {
        throw new Error('sink broke');
      },
    });
    const reporter = new ErrorReporter(tracer);
    expect(() => reporter.capture(new Error('x'))).not.toThrow();
    await expect(reporter.pending()).resolves.toBeUndefined();
  });
});
