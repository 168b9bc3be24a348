import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addLabels,
  captureError,
  close,
  currentTraceIds,
  currentTransaction,
  flush,
  getStats,
  setCustomContext,
  setLabel,
  setUser,
  start,
  startSpan,
  startTransaction,
  withSpan,
  withTransaction,
  SightlineError,
} from '../src/index.js';
import { IntakeServer } from './helpers/intake-server.js';
import { schemaErrors } from './helpers/spec.js';

const intake = new IntakeServer();

beforeAll(async () => {
  const url = await intake.start();
  start({ serviceName: 'api-test', serverUrl: url, flushIntervalMs: 20, metricsIntervalMs: 0, captureExceptions: false });
});

afterAll(async () => {
  await close();
  await intake.close();
});

function shipped(kind: string) {
  return intake.events.filter((e) => e.kind === kind).map((e) => e.event as Record<string, any>);
}

describe('public API', () => {
  it('refuses a second start() with other options, with a coded error', () => {
    expect(() => start({ serviceName: 'other' })).toThrow(SightlineError);
    expect(() => start({ serviceName: 'other' })).toThrow(/SIGHTLINE_ERR_ALREADY_STARTED/);
  });

  it('withTransaction and withSpan time async work, nest spans, and pass results through', async () => {
    const value = await withTransaction('nightly-report', async (tx) => {
      expect(currentTransaction()).toBe(tx);
      setLabel('tenant', 'acme');
      setUser({ id: 7, email: 'ada@example.com' });
      setCustomContext({ batch: 3 });
      return withSpan('load', async (span) => {
        expect(currentTraceIds()).toEqual({ 'trace.id': tx.traceId, 'transaction.id': tx.id, 'span.id': span!.id });
        await withSpan('parse', () => 'inner');
        return 42;
      });
    });
    expect(value).toBe(42);
    await flush();
    const tx = shipped('transaction').find((t) => t.name === 'nightly-report')!;
    expect(tx).toMatchObject({ type: 'custom', outcome: 'success', span_count: { started: 2, dropped: 0 } });
    expect(tx.context).toMatchObject({ tags: { tenant: 'acme' }, user: { id: 7, email: 'ada@example.com' }, custom: { batch: 3 } });
    const load = shipped('span').find((s) => s.name === 'load')!;
    const parse = shipped('span').find((s) => s.name === 'parse')!;
    expect(load.parent_id).toBe(tx.id);
    expect(parse.parent_id).toBe(load.id);
    expect(parse.transaction_id).toBe(tx.id);
    for (const e of intake.events) expect(schemaErrors(e.kind as 'span', e.event)).toBe('');
  });

  it('withSpan passes a thrown error through and marks the span failed', async () => {
    const failure = new Error('disk full');
    await expect(
      withTransaction('failing-job', () =>
        withSpan('write', async () => {
          throw failure;
        }),
      ),
    ).rejects.toBe(failure);
    await flush();
    expect(shipped('span').find((s) => s.name === 'write')?.outcome).toBe('failure');
    expect(shipped('transaction').find((t) => t.name === 'failing-job')?.outcome).toBe('failure');
  });

  it('captureError links the error to the current transaction and span and returns its id', async () => {
    let id = '';
    let txId = '';
    let spanId = '';
    withTransaction('with-error', (tx) => {
      txId = tx.id;
      withSpan('step', (span) => {
        spanId = span!.id;
        id = captureError(new RangeError('bad size 12'), { labels: { step: 'one' } });
      });
    });
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    await flush();
    const error = shipped('error').find((e) => e.id === id)!;
    expect(error).toMatchObject({ transaction_id: txId, parent_id: spanId, exception: { type: 'RangeError', message: 'bad size 12', handled: true } });
    expect(error.context.tags).toEqual({ step: 'one' });
    expect(schemaErrors('error', error)).toBe('');
  });

  it('takes anything as an error without throwing', async () => {
    const values: unknown[] = [null, undefined, 'a string', 42, { toString: () => { throw new Error('no'); } }, Symbol('s')];
    const ids = values.map((v) => captureError(v));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
    await flush();
    for (const id of ids) {
      const e = shipped('error').find((x) => x.id === id);
      expect(e, `error ${id}`).toBeDefined();
      expect(schemaErrors('error', e)).toBe('');
    }
  });

  it('does nothing, and throws nothing, outside a transaction', () => {
    expect(startSpan('orphan')).toBeNull();
    expect(setLabel('k', 'v')).toBe(false);
    expect(addLabels({ k: 'v' })).toBe(false);
    expect(setUser({ id: 1 })).toBe(false);
    expect(currentTraceIds()).toEqual({});
    expect(withSpan('no-tx', (span) => span)).toBeNull();
  });

  it("reports the agent's own counters", async () => {
    const before = getStats()!;
    startTransaction('counted', 'job').end();
    await flush();
    const after = getStats()!;
    expect(after.tracer.transactionsStarted).toBe(before.tracer.transactionsStarted + 1);
    expect(after.transport!.sent).toBeGreaterThan(before.transport!.sent);
    expect(after.transport!.queued).toBe(0);
    expect(after.transport!.bytesSent).toBeGreaterThan(0);
  });
});

const FIXTURES = fileURLToPath(new URL('./fixtures/api/', import.meta.url));

describe('process exit', () => {
  it('sends what it holds on SIGTERM, then ends the process as the signal would', async () => {
    const child = spawn(process.execPath, [`${FIXTURES}sigterm.mjs`], { env: { ...process.env, URL: intake.url }, stdio: ['ignore', 'pipe', 'inherit'] });
    await once(child.stdout!, 'data');
    child.kill('SIGTERM');
    const [code, signal] = await once(child, 'exit');
    expect(code).toBeNull();
    expect(signal).toBe('SIGTERM');
    expect(shipped('transaction').some((t) => t.name === 'before-sigterm')).toBe(true);
  });

  it('sends what it holds at once when the event loop runs dry (not after the flush timeout), and still exits by itself', async () => {
    const child = spawn(process.execPath, [`${FIXTURES}natural-exit.mjs`], { env: { ...process.env, URL: intake.url }, stdio: 'inherit' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(shipped('transaction').some((t) => t.name === 'before-exit')).toBe(true);
  });
});
