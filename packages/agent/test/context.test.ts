import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/read.js';
import { currentSpan, currentTransaction, runWithActive } from '../src/trace/context.js';
import type { EventKind, EventSink } from '../src/trace/sink.js';
import type { Span } from '../src/trace/span.js';
import { Tracer } from '../src/trace/tracer.js';
import type { Transaction } from '../src/trace/transaction.js';

class Recorder implements EventSink {
  readonly events: Array<{ kind: EventKind; event: Record<string, any> }> = [];
  send(kind: EventKind, event: object): boolean {
    this.events.push({ kind, event: JSON.parse(JSON.stringify(event)) });
    return true;
  }
  of(kind: EventKind) {
    return this.events.filter((e) => e.kind === kind).map((e) => e.event);
  }
}

function tracer(opts: Record<string, unknown> = {}) {
  const sink = new Recorder();
  return { tracer: new Tracer(readConfig({ serviceName: 'test', ...opts }, {}), sink), sink };
}

function span(t: Tracer, name: string): Span | null {
  return t.startSpan(name, 'app', null, null, null, null, false);
}

describe('context through AsyncLocalStorage', () => {
  it('keeps each of hundreds of interleaved requests apart, across promises, timers, callbacks and emitters', async () => {
    const { tracer: t, sink } = tracer();
    const emitter = new EventEmitter();
    async function request(i: number): Promise<void> {
      const tx = t.startTransaction(`tx-${i}`, 'request');
      await runWithActive(tx, async () => {
        await sleep(Math.random() * 5);
        const a = span(t, `a-${i}`)!;
        await runWithActive(a, async () => {
          await new Promise<void>((resolve) =>
            setTimeout(() => {
              span(t, `timer-${i}`)!.end();
              resolve();
            }, Math.random() * 5),
          );
          await new Promise<void>((resolve) => {
            setImmediate(() => {
              span(t, `immediate-${i}`)!.end();
              resolve();
            });
          });
        });
        a.end();
        await new Promise<void>((resolve) => {
          process.nextTick(() => {
            span(t, `tick-${i}`)!.end();
            resolve();
          });
        });
        const done = new Promise<void>((resolve) => emitter.once(`go-${i}`, resolve));
        emitter.on(`go-${i}`, () => span(t, `emitter-${i}`)!.end());
        setTimeout(() => emitter.emit(`go-${i}`), Math.random() * 5);
        await done;
      });
      tx.end();
    }
    await Promise.all(Array.from({ length: 300 }, (_, i) => request(i)));

    const txs = new Map(sink.of('transaction').map((tx) => [tx.id, tx]));
    const spans = sink.of('span');
    expect(txs.size).toBe(300);
    expect(spans).toHaveLength(300 * 5);
    const byId = new Map(spans.map((s) => [s.id, s]));
    for (const s of spans) {
      const i = s.name.split('-')[1];
      const tx = txs.get(s.transaction_id);
      expect(tx?.name).toBe(`tx-${i}`);
      expect(s.trace_id).toBe(tx.trace_id);
      if (s.name.startsWith('timer') || s.name.startsWith('immediate')) {
        // Started inside span a: a is the parent.
        expect(byId.get(s.parent_id)?.name).toBe(`a-${i}`);
      } else {
        expect(s.parent_id).toBe(tx.id);
      }
    }
  });

  it('starts no span outside a transaction', () => {
    const { tracer: t } = tracer();
    expect(span(t, 'orphan')).toBeNull();
    expect(currentTransaction()).toBeNull();
  });

  it('exposes the current transaction and span inside their scope only', () => {
    const { tracer: t } = tracer();
    const tx = t.startTransaction('t', 'request');
    runWithActive(tx, () => {
      expect(currentTransaction()).toBe(tx);
      expect(currentSpan()).toBeNull();
      const s = span(t, 's')!;
      runWithActive(s, () => {
        expect(currentSpan()).toBe(s);
        expect(currentTransaction()).toBe(tx);
      });
    });
    expect(currentTransaction()).toBeNull();
  });
});

describe('sampling and limits', () => {
  it('continues an incoming trace and honours its sampled flag', () => {
    const { tracer: t, sink } = tracer();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const tx = t.startTransaction('t', 'request', { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    expect(tx.traceId).toBe(traceId);
    expect(tx.parentId).toBe('b7ad6b7169203331');
    tx.end();
    expect(sink.of('transaction')[0]).toMatchObject({ trace_id: traceId, parent_id: 'b7ad6b7169203331', sampled: true });

    const unsampled = t.startTransaction('u', 'request', { traceparent: `00-${traceId}-b7ad6b7169203331-00` });
    expect(unsampled.sampled).toBe(false);
    expect(unsampled.traceparent()).toBe(`00-${traceId}-${unsampled.id}-00`);
    expect(runWithActive(unsampled, () => span(t, 'x'))).toBeNull();
    unsampled.end();
    expect(sink.of('transaction')).toHaveLength(1);
    expect(t.stats.transactionsUnsampled).toBe(1);
  });

  it('starts a new trace when the incoming traceparent is invalid', () => {
    const { tracer: t } = tracer();
    const tx = t.startTransaction('t', 'request', { traceparent: '00-nonsense' });
    expect(tx.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(tx.parentId).toBeNull();
  });

  it('samples new traces at the configured rate and still propagates the unsampled ones', () => {
    const { tracer: t } = tracer({ sampleRate: 0.2 });
    let sampled = 0;
    for (let i = 0; i < 5000; i++) {
      const tx = t.startTransaction('t', 'request');
      if (tx.sampled) sampled++;
      expect(tx.traceparent()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      tx.end();
    }
    expect(sampled).toBeGreaterThan(800);
    expect(sampled).toBeLessThan(1200);
    expect(t.stats.transactionsSampled + t.stats.transactionsUnsampled).toBe(5000);
  });

  it('records at most transactionMaxSpans spans and counts the dropped ones', () => {
    const { tracer: t, sink } = tracer({ transactionMaxSpans: 3 });
    const tx = t.startTransaction('t', 'request');
    runWithActive(tx, () => {
      for (let i = 0; i < 5; i++) span(t, `s${i}`)?.end();
    });
    tx.end();
    expect(sink.of('span')).toHaveLength(3);
    expect(sink.of('transaction')[0].span_count).toEqual({ started: 3, dropped: 2 });
  });

  it('traces nothing beneath an exit span', () => {
    const { tracer: t } = tracer();
    const tx = t.startTransaction('t', 'request');
    const exit = t.startSpan('SELECT', 'db', 'postgresql', 'query', tx, null, true)!;
    expect(t.startSpan('inner', 'external', 'http', null, exit, null, true)).toBeNull();
  });

  it('ignores a second end() and changes after end()', () => {
    const { tracer: t, sink } = tracer();
    const tx: Transaction = t.startTransaction('t', 'request');
    const s = tx.startSpan('s')!;
    s.end();
    s.end();
    s.setName('changed');
    tx.end();
    tx.end();
    tx.setName('changed');
    expect(sink.of('span')).toHaveLength(1);
    expect(sink.of('transaction')).toHaveLength(1);
    expect(sink.of('transaction')[0].name).toBe('t');
  });
});
