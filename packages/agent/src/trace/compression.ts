/**
 * Span compression (Elastic's exact_match strategy): a run of identical short exit spans
 * under one parent, the N+1 query of an ORM, is sent as one composite span with the count
 * and the summed duration, instead of N rows in the waterfall.
 *
 * The last ended exit span is held per parent. The next one either folds into it (same
 * name, type, subtype, target and destination; both no longer than
 * spanCompressionMaxDurationMs; neither failed nor with children) or sends it and is held
 * in its place. What is held goes out when its transaction ends. A span that sent its id
 * downstream (an HTTP call's traceparent) is never folded: the next service refers to it.
 */
import type { Active } from './context.js';
import type { Span } from './span.js';
import type { SpanEndProcessor, Tracer } from './tracer.js';
import type { Transaction } from './transaction.js';

/** Transactions with held spans at once; beyond this the oldest is flushed (a transaction that never ends). */
const MAX_TRANSACTIONS = 1000;

export class SpanCompressor implements SpanEndProcessor {
  private readonly tracer: Tracer;
  private readonly maxDurationMs: number;
  /** Per transaction: per parent (the transaction or a span), the exit span held back. */
  private readonly held = new Map<Transaction, Map<Active, Span>>();

  constructor(tracer: Tracer) {
    this.tracer = tracer;
    this.maxDurationMs = tracer.config.spanCompressionMaxDurationMs;
  }

  onSpanEnd(span: Span): void {
    const tx = span.transaction;
    if (tx.ended) {
      this.send(span);
      return;
    }
    const parent: Active = span.parentSpan ?? tx;
    let byParent = this.held.get(tx);
    const prev = byParent?.get(parent);
    if (!this.compressible(span)) {
      if (prev !== undefined) {
        byParent!.delete(parent);
        this.send(prev);
      }
      this.send(span);
      return;
    }
    if (prev !== undefined && sameSpan(prev, span)) {
      fold(prev, span);
      this.tracer.stats.spansCompressed++;
      return;
    }
    if (prev !== undefined) this.send(prev);
    if (byParent === undefined) {
      if (this.held.size >= MAX_TRANSACTIONS) this.flushOldest();
      byParent = new Map();
      this.held.set(tx, byParent);
    }
    byParent.set(parent, span);
  }

  onTransactionEnd(tx: Transaction): void {
    const byParent = this.held.get(tx);
    if (byParent === undefined) return;
    this.held.delete(tx);
    for (const span of byParent.values()) this.send(span);
  }

  /** Spans still held, across transactions (for tests and stats). */
  get heldCount(): number {
    let n = 0;
    for (const m of this.held.values()) n += m.size;
    return n;
  }

  private compressible(span: Span): boolean {
    return (
      span.exit &&
      span.childCount === 0 &&
      span.outcome !== 'failure' &&
      span.http === null && // an HTTP call propagated its id
      span.durationMs <= this.maxDurationMs
    );
  }

  private flushOldest(): void {
    const oldest = this.held.keys().next();
    if (!oldest.done) this.onTransactionEnd(oldest.value);
  }

  private send(span: Span): void {
    this.tracer.sink.send('span', span);
  }
}

function sameSpan(a: Span, b: Span): boolean {
  return (
    a.name === b.name &&
    a.type === b.type &&
    a.subtype === b.subtype &&
    a.outcome === b.outcome &&
    a.targetName === b.targetName &&
    (a.destination?.address ?? null) === (b.destination?.address ?? null) &&
    (a.destination?.port ?? null) === (b.destination?.port ?? null)
  );
}

/** `held` becomes (or stays) the composite: it spans from its start to the end of `next`. */
function fold(held: Span, next: Span): void {
  if (held.composite === null) {
    held.composite = { count: 1, sum: held.durationMs, compression_strategy: 'exact_match' };
  }
  held.composite.count++;
  held.composite.sum += next.durationMs;
  held.durationMs = Math.max(held.durationMs, next.startMs + next.durationMs - held.startMs);
}
