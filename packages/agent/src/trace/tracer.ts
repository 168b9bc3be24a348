/**
 * Starts and ends transactions and spans, decides sampling, applies span limits, and hands
 * finished events to the sink. One per agent.
 */
import type { Config } from '../config/table.js';
import type { HttpContextOptions } from '../http/request-context.js';
import { compileNameMatcher } from '../sanitize.js';
import { nowMs, userTimeToMonotonic } from './clock.js';
import { currentActive, type Active } from './context.js';
import { newTraceId } from './ids.js';
import { Sampler } from './sampler.js';
import type { EventSink } from './sink.js';
import { Span } from './span.js';
import { newTracerStats, type TracerStats } from './stats.js';
import { parseTraceParent, parseTraceState, sampleRateFromTraceState } from './traceparent.js';
import { Transaction } from './transaction.js';

export interface StartTransactionOptions {
  /** An incoming `traceparent` header; invalid ones are ignored and a new trace starts. */
  traceparent?: string | string[] | null;
  tracestate?: string | string[] | null;
  /** Epoch ms (or a Date) when the work began, if before now. */
  startTime?: number | Date;
}

/** Called for every ended transaction, sampled or not (RED metrics stay exact). */
export type TransactionEndHook = (tx: Transaction) => void;

/** Called for every ended span (breakdown metrics). */
export type SpanEndHook = (span: Span) => void;

/** Receives exit spans as they end; may hold one back to fold it with the next (compression). */
export interface SpanEndProcessor {
  onSpanEnd(span: Span): void;
  /** Sends whatever is held for the transaction (called when it ends). */
  onTransactionEnd(tx: Transaction): void;
}

export class Tracer {
  readonly config: Config;
  readonly stats: TracerStats;
  readonly httpContextOptions: HttpContextOptions;
  readonly globalLabels: Record<string, string | number | boolean> | null;
  /** globalLabels as JSON, written once: most events carry no labels of their own. */
  readonly globalLabelsJson: string | null;
  sink: EventSink;
  /** null when no hooks: the hot path tests `!== null` instead of looping over nothing. */
  private transactionEndHooks: TransactionEndHook[] | null = null;
  private spanEndHooks: SpanEndHook[] | null = null;
  spanEndProcessor: SpanEndProcessor | null = null;
  private readonly sampler: Sampler;
  private readonly maxSpans: number;
  private readonly spanMinDurationMs: number;

  constructor(config: Config, sink: EventSink) {
    this.config = config;
    this.sink = sink;
    this.stats = newTracerStats();
    this.httpContextOptions = {
      captureHeaders: config.captureHeaders,
      isSecret: compileNameMatcher(config.sanitizeFieldNames),
    };
    this.globalLabels = Object.keys(config.globalLabels).length > 0 ? { ...config.globalLabels } : null;
    this.globalLabelsJson = this.globalLabels === null ? null : JSON.stringify(this.globalLabels);
    this.sampler = new Sampler(config.sampleRate, config.maxTransactionsPerSecond);
    this.maxSpans = config.transactionMaxSpans;
    this.spanMinDurationMs = config.spanMinDurationMs;
  }

  addTransactionEndHook(hook: TransactionEndHook): void {
    (this.transactionEndHooks ??= []).push(hook);
  }

  addSpanEndHook(hook: SpanEndHook): void {
    (this.spanEndHooks ??= []).push(hook);
  }

  startTransaction(name: string, type: string, opts?: StartTransactionOptions): Transaction {
    const parent = opts?.traceparent ? parseTraceParent(opts.traceparent) : null;
    const startMs = opts?.startTime !== undefined ? userTimeToMonotonic(opts.startTime) : null;
    let tx: Transaction;
    if (parent === null) {
      const sampled = this.sampler.sampleRoot();
      tx = new Transaction(this, name, type, newTraceId(), null, sampled, sampled ? this.config.sampleRate : 0, null, startMs);
    } else {
      const state = opts?.tracestate ? parseTraceState(opts.tracestate) : null;
      const sampled = this.sampler.sampleContinued(parent.sampled);
      const upstreamRate = sampleRateFromTraceState(state);
      const rate = sampled ? upstreamRate : upstreamRate === null ? null : 0;
      tx = new Transaction(this, name, type, parent.traceId, parent.parentId, sampled, rate, state, startMs);
    }
    this.stats.transactionsStarted++;
    if (tx.sampled) this.stats.transactionsSampled++;
    else this.stats.transactionsUnsampled++;
    return tx;
  }

  /**
   * Starts a span under `parent` (by default the current span or transaction). Returns null
   * when there is no transaction, it is unsampled or ended with its limit reached, or the
   * parent is an exit span (nothing is traced beneath a call out of the service).
   */
  startSpan(
    name: string,
    type: string | undefined,
    subtype: string | null,
    action: string | null,
    parent: Active | null,
    startTime: number | Date | null,
    exit: boolean,
  ): Span | null {
    const p = parent ?? currentActive();
    if (p === null) return null;
    const tx = p.transaction;
    if (!tx.sampled) return null;
    let parentSpan: Span | null = null;
    if (!p.isTransaction) {
      parentSpan = p as Span;
      if (parentSpan.exit) return null;
    }
    if (this.maxSpans !== -1 && tx.spansStarted >= this.maxSpans) {
      tx.spansDropped++;
      this.stats.spansDroppedLimit++;
      return null;
    }
    tx.spansStarted++;
    this.stats.spansStarted++;
    if (parentSpan !== null) parentSpan.childCount++;
    const startMs = startTime === null ? null : userTimeToMonotonic(startTime);
    return new Span(this, tx, parentSpan, typeof name === 'string' ? name : String(name), type || 'custom', subtype, action, exit, startMs);
  }

  endTransaction(tx: Transaction, endTime?: number): void {
    const endMs = endTime === undefined ? nowMs() : (userTimeToMonotonic(endTime) ?? nowMs());
    tx.durationMs = Math.max(0, endMs - tx.startMs);
    tx.ended = true;
    if (this.spanEndProcessor !== null) this.spanEndProcessor.onTransactionEnd(tx);
    const hooks = this.transactionEndHooks;
    if (hooks !== null) {
      for (let i = 0; i < hooks.length; i++) {
        try {
          hooks[i]!(tx);
        } catch {
          // A metrics hook must never break the app's request.
        }
      }
    }
    if (tx.sampled) this.sink.send('transaction', tx);
  }

  endSpan(span: Span, endTime?: number): void {
    const endMs = endTime === undefined ? nowMs() : (userTimeToMonotonic(endTime) ?? nowMs());
    span.durationMs = Math.max(0, endMs - span.startMs);
    span.ended = true;
    const hooks = this.spanEndHooks;
    if (hooks !== null) {
      for (let i = 0; i < hooks.length; i++) {
        try {
          hooks[i]!(span);
        } catch {
          // A metrics hook must never break the app's request.
        }
      }
    }
    if (span.exit) {
      if (span.durationMs < this.spanMinDurationMs && span.childCount === 0) {
        span.transaction.spansDropped++;
        this.stats.spansDroppedShort++;
        return;
      }
      if (this.spanEndProcessor !== null) {
        this.spanEndProcessor.onSpanEnd(span);
        return;
      }
    }
    this.sink.send('span', span);
  }
}
