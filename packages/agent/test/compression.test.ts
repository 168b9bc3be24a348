/**
 * Span compression and the short-span threshold, on the tracer with a recording sink and
 * explicit start/end times (no clocks raced): consecutive identical short exit spans fold
 * into one composite span with count and sum; anything else is sent as it was.
 */
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/read.js';
import { SpanCompressor } from '../src/trace/compression.js';
import type { EventKind, EventSink } from '../src/trace/sink.js';
import type { Span } from '../src/trace/span.js';
import { Tracer } from '../src/trace/tracer.js';
import type { Transaction } from '../src/trace/transaction.js';
import { schemaErrors } from './helpers/spec.js';

class Recorder implements EventSink {
  readonly spans: any[] = [];
  readonly transactions: any[] = [];
  send(kind: EventKind, event: { toJSON(): object }): void {
    const json = JSON.parse(JSON.stringify(event));
    if (kind === 'span') this.spans.push(json);
    else if (kind === 'transaction') this.transactions.push(json);
  }
}

function setup(opts: Record<string, unknown> = {}) {
  const sink = new Recorder();
  const tracer = new Tracer(readConfig({ serviceName: 'test', ...opts }, {}), sink);
  if (tracer.config.spanCompressionEnabled) tracer.spanEndProcessor = new SpanCompressor(tracer);
  const t0 = Date.now();
  const tx = tracer.startTransaction('tx', 'request', { startTime: t0 });
  return { sink, tracer, tx, t0 };
}

/** An exit span from `startMs` to `endMs` (offsets from t0) under `parent`. */
function query(tracer: Tracer, parent: Transaction | Span, t0: number, startMs: number, endMs: number, name = 'SELECT FROM people', configure?: (s: Span) => void): Span {
  const span = tracer.startSpan(name, 'db', 'postgresql', 'query', parent, t0 + startMs, true)!;
  span.setDestination({ address: 'db', port: 5432 });
  span.targetName = 'test';
  span.setOutcome('success', false);
  configure?.(span);
  span.end(t0 + endMs);
  return span;
}

describe('span compression', () => {
  it('folds consecutive identical short queries into one composite span with count and sum', () => {
    const { sink, tracer, tx, t0 } = setup();
    for (let i = 0; i < 5; i++) query(tracer, tx, t0, i * 10, i * 10 + 2);
    expect(sink.spans).toHaveLength(0); // held until something else ends
    tx.end(undefined, t0 + 100);
    expect(sink.spans).toHaveLength(1);
    const composite = sink.spans[0];
    expect(schemaErrors('span', composite)).toBe('');
    expect(composite.composite).toEqual({ count: 5, sum: 10, compression_strategy: 'exact_match' });
    expect(composite.duration).toBe(42); // first start to last end
    expect(composite.parent_id).toBe(tx.id);
    expect(tracer.stats.spansCompressed).toBe(4);
    expect(sink.transactions[0].span_count).toEqual({ started: 5, dropped: 0 });
  });

  it('sends the held span when a different one ends under the same parent: A A B A', () => {
    const { sink, tracer, tx, t0 } = setup();
    query(tracer, tx, t0, 0, 1);
    query(tracer, tx, t0, 2, 3);
    query(tracer, tx, t0, 4, 5, 'UPDATE people');
    expect(sink.spans.map((s) => [s.name, s.composite?.count ?? 1])).toEqual([['SELECT FROM people', 2]]);
    query(tracer, tx, t0, 6, 7);
    tx.end(undefined, t0 + 10);
    expect(sink.spans.map((s) => [s.name, s.composite?.count ?? 1])).toEqual([
      ['SELECT FROM people', 2],
      ['UPDATE people', 1],
      ['SELECT FROM people', 1],
    ]);
    expect(sink.spans[2].composite).toBeUndefined();
  });

  it('keeps runs under different parents apart', () => {
    const { sink, tracer, tx, t0 } = setup();
    const parent = tracer.startSpan('handler', 'app', null, null, tx, t0, false)!;
    query(tracer, parent, t0, 0, 1);
    query(tracer, tx, t0, 1, 2);
    query(tracer, parent, t0, 2, 3);
    query(tracer, tx, t0, 3, 4);
    parent.end(t0 + 5);
    tx.end(undefined, t0 + 6);
    const composites = sink.spans.filter((s) => s.composite);
    expect(composites.map((s) => [s.parent_id, s.composite.count]).sort()).toEqual(
      [
        [parent.id, 2],
        [tx.id, 2],
      ].sort(),
    );
  });

  it('never folds a failed span, a long one, or an HTTP call whose id went downstream', () => {
    const { sink, tracer, tx, t0 } = setup();
    query(tracer, tx, t0, 0, 1);
    query(tracer, tx, t0, 1, 2, undefined, (s) => s.setOutcome('failure', false));
    query(tracer, tx, t0, 2, 3);
    query(tracer, tx, t0, 3, 100); // longer than spanCompressionMaxDurationMs (50)
    for (let i = 0; i < 2; i++) {
      const http = tracer.startSpan('GET api', 'external', 'http', 'GET', tx, t0 + 100 + i, true)!;
      http.setHttpContext({ method: 'GET', url: 'http://api/' });
      http.end(t0 + 101 + i);
    }
    tx.end(undefined, t0 + 200);
    expect(sink.spans.map((s) => [s.name, s.outcome, s.composite?.count ?? 1])).toEqual([
      ['SELECT FROM people', 'success', 1],
      ['SELECT FROM people', 'failure', 1],
      ['SELECT FROM people', 'success', 1],
      ['SELECT FROM people', 'success', 1],
      ['GET api', 'unknown', 1],
      ['GET api', 'unknown', 1],
    ]);
    expect(tracer.stats.spansCompressed).toBe(0);
  });

  it('sends a span that ends after its transaction at once', () => {
    const { sink, tracer, tx, t0 } = setup();
    const late = tracer.startSpan('SELECT FROM people', 'db', 'postgresql', 'query', tx, t0, true)!;
    tx.end(undefined, t0 + 5);
    late.end(t0 + 6);
    expect(sink.spans).toHaveLength(1);
  });

  it('is off with spanCompressionEnabled: false', () => {
    const { sink, tracer, tx, t0 } = setup({ spanCompressionEnabled: false });
    query(tracer, tx, t0, 0, 1);
    query(tracer, tx, t0, 1, 2);
    expect(sink.spans).toHaveLength(2);
    expect(tracer.spanEndProcessor).toBeNull();
  });
});

describe('short spans', () => {
  it('drops exit spans shorter than spanMinDurationMs and counts them', () => {
    const { sink, tracer, tx, t0 } = setup({ spanMinDurationMs: 5, spanCompressionEnabled: false });
    query(tracer, tx, t0, 0, 1);
    query(tracer, tx, t0, 1, 20, 'UPDATE people');
    tx.end(undefined, t0 + 30);
    expect(sink.spans.map((s) => s.name)).toEqual(['UPDATE people']);
    expect(tracer.stats.spansDroppedShort).toBe(1);
    expect(sink.transactions[0].span_count).toEqual({ started: 2, dropped: 1 });
  });
});
