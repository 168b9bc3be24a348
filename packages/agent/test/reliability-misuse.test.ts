/**
 * The public API misused the ways apps misuse it: spans ended twice or after their parent,
 * spans outside any transaction, huge labels, circular custom context, thrown values that
 * are not Errors (strings, null, objects whose getters throw, Proxies). Nothing throws into
 * the app, and every event that reaches the intake is valid against the intake schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureError, close, flush, getStats, setCustomContext, setLabel, setUser, start, startSpan, startTransaction, withTransaction } from '../src/index.js';
import { runWithActive } from '../src/trace/context.js';
import { IntakeServer } from './helpers/intake-server.js';
import { schemaErrors, type IntakeKind } from './helpers/spec.js';

const intake = new IntakeServer();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  start({ serviceName: 'misuse-test', serverUrl: await intake.start(), flushIntervalMs: 20, metricsIntervalMs: 0, captureExceptions: false, logLevel: 'off' });
});

afterAll(async () => {
  await close();
  await intake.close();
  process.off('unhandledRejection', onUnhandled);
});

function shipped(kind: string): Array<Record<string, any>> {
  return intake.events.filter((e) => e.kind === kind).map((e) => e.event);
}

function expectValid(kind: IntakeKind, event: unknown): void {
  expect(schemaErrors(kind, event), JSON.stringify(event).slice(0, 300)).toBe('');
}

describe('agent misuse', () => {
  it('ending a span twice, a parent before its children, and the transaction before both: one event each, in order, valid', async () => {
    const tx = startTransaction('double-end', 'job');
    const parent = withTransactionScope(tx, () => startSpan('parent'))!;
    const child = parent.startSpan('child')!;
    parent.end();
    parent.end();
    tx.end();
    tx.end('again');
    child.end();
    child.end();
    expect(() => parent.setLabel('late', 1)).not.toThrow();
    await flush();
    const spans = shipped('span').filter((s) => s.transaction_id === tx.id);
    expect(spans.map((s) => s.name).sort()).toEqual(['child', 'parent']);
    expect(spans.find((s) => s.name === 'child')!.parent_id).toBe(parent.id);
    const txs = shipped('transaction').filter((t) => t.id === tx.id);
    expect(txs).toHaveLength(1);
    expect(txs[0]!.result).not.toBe('again');
    for (const s of spans) expectValid('span', s);
    expectValid('transaction', txs[0]);
  });

  it('spans and context outside any transaction are no-ops, not throws', () => {
    expect(startSpan('orphan')).toBeNull();
    expect(setLabel('k', 'v')).toBe(false);
    expect(setCustomContext({ a: 1 })).toBe(false);
    expect(setUser({ id: 1 })).toBe(false);
  });

  it('huge labels, many labels, odd keys and values are cut, not sent whole', async () => {
    const tx = startTransaction('labels', 'job');
    withTransactionScope(tx, () => {
      setLabel('huge', 'x'.repeat(5_000_000));
      setLabel('k.with*dots"', 'v');
      setLabel('obj', { toString: () => 'from toString' });
      setLabel('throws', { toString: () => { throw new Error('no'); } });
      setLabel('sym', Symbol('s'));
      setLabel('nan', Number.NaN);
      for (let i = 0; i < 1000; i++) setLabel(`many${i}`, i);
    });
    tx.end();
    await flush();
    const event = shipped('transaction').find((t) => t.id === tx.id)!;
    const tags = event.context.tags as Record<string, unknown>;
    expect((tags.huge as string).length).toBeLessThanOrEqual(1024);
    expect(tags['k_with_dots_']).toBe('v');
    expect(tags.obj).toBe('from toString');
    expect(Object.keys(tags).length).toBeLessThanOrEqual(128);
    expect(JSON.stringify(event).length).toBeLessThan(100_000);
    expectValid('transaction', event);
  });

  it('regression: circular custom context dropped the whole transaction; now it is sent with the context described', async () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const big = { n: 10n } as unknown as Record<string, unknown>;
    const tx = startTransaction('circular', 'job');
    withTransactionScope(tx, () => {
      setCustomContext({ circular });
      setCustomContext({ big });
      setUser({ id: 7, username: 'u' });
    });
    tx.end();
    await flush();
    const event = shipped('transaction').find((t) => t.id === tx.id);
    expect(event, 'the transaction arrives').toBeDefined();
    expect(event!.context.custom).toEqual({ circular: expect.stringMatching(/^\[unserializable/), big: expect.stringMatching(/^\[unserializable/) });
    expect(event!.context.user).toEqual({ id: 7, username: 'u' });
    expect(getStats()!.transport!.droppedUnserializable).toBe(0);
    expectValid('transaction', event);
  });

  it('errors that are not Errors: strings, null, undefined, numbers, objects with throwing getters, Proxies, cycles', async () => {
    const getterBomb = Object.defineProperty({}, 'message', { get() { throw new Error('boom'); }, enumerable: true });
    const proxy = new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const errWithBadCause = new Error('outer');
    Object.defineProperty(errWithBadCause, 'cause', { get() { throw new Error('cause getter'); } });
    const stackBomb = new Error('stack bomb');
    Object.defineProperty(stackBomb, 'stack', { get() { throw new Error('stack getter'); } });
    const values: unknown[] = ['a string', null, undefined, 42, 10n, Symbol('s'), getterBomb, proxy, cyclic, errWithBadCause, stackBomb, () => 1, 'x'.repeat(1_000_000)];
    const ids: string[] = [];
    await withTransaction('errors', async () => {
      for (const value of values) {
        expect(() => ids.push(captureError(value, { custom: cyclic, labels: { l: cyclic } }))).not.toThrow();
      }
      expect(() => captureError(new Error('bad options'), proxy as never)).not.toThrow();
    });
    await flush();
    const errors = shipped('error').filter((e) => ids.includes(e.id));
    expect(errors).toHaveLength(values.length);
    for (const e of errors) {
      expectValid('error', e);
      expect(JSON.stringify(e).length).toBeLessThan(200_000);
    }
    expect(unhandled).toEqual([]);
  });
});

/** Runs `fn` with `tx` current (the API functions act on the current transaction). */
function withTransactionScope<T>(tx: ReturnType<typeof startTransaction>, fn: () => T): T {
  return runWithActive(tx, fn);
}
