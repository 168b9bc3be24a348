/**
 * A span: a timed operation inside a transaction (a query, an outgoing call, a block of
 * the app's own code). Exit spans (db, external) describe a call out of the service and
 * carry destination context; nothing is traced beneath them.
 */
import { nowMs } from './clock.js';
import { newSpanId } from './ids.js';
import { setLabel, type LabelMap } from './labels.js';
import { applyOutcome, type Outcome } from './outcome.js';
import { formatTraceParent, formatTraceState } from './traceparent.js';
import type { Transaction } from './transaction.js';
import type { Tracer } from './tracer.js';
import { serializeSpan } from './serialize.js';

export interface DbContext {
  type: string;
  instance?: string | null;
  statement?: string | null;
  user?: string | null;
  rows_affected?: number | null;
}

export interface HttpSpanContext {
  method?: string;
  url?: string;
  status_code?: number;
}

export interface DestinationContext {
  address?: string | null;
  port?: number | null;
}

/** `span.composite` when consecutive identical exit spans were folded into this one. */
export interface Composite {
  count: number;
  sum: number;
  compression_strategy: 'exact_match' | 'same_kind';
}

export class Span {
  readonly isTransaction = false as const;
  readonly transaction: Transaction;
  readonly tracer: Tracer;
  readonly id: string;
  readonly traceId: string;
  readonly parentId: string;
  readonly parentSpan: Span | null;
  readonly startMs: number;
  name: string;
  type: string;
  subtype: string | null;
  action: string | null;
  readonly exit: boolean;
  outcome: Outcome;
  outcomeSetByUser: boolean;
  durationMs: number;
  ended: boolean;
  labels: LabelMap | null;
  db: DbContext | null;
  http: HttpSpanContext | null;
  destination: DestinationContext | null;
  /** `service.target` (type and name), e.g. postgresql / the database name. */
  targetName: string | null;
  composite: Composite | null;
  /** Children started under this span (an exit span with children is never compressed). */
  childCount: number;

  constructor(
    tracer: Tracer,
    transaction: Transaction,
    parentSpan: Span | null,
    name: string,
    type: string,
    subtype: string | null,
    action: string | null,
    exit: boolean,
    startMs: number | null,
  ) {
    this.transaction = transaction;
    this.tracer = tracer;
    this.id = newSpanId();
    this.traceId = transaction.traceId;
    this.parentSpan = parentSpan;
    this.parentId = parentSpan === null ? transaction.id : parentSpan.id;
    this.startMs = startMs ?? nowMs();
    this.name = name;
    this.type = type;
    this.subtype = subtype;
    this.action = action;
    this.exit = exit;
    this.outcome = 'unknown';
    this.outcomeSetByUser = false;
    this.durationMs = 0;
    this.ended = false;
    this.labels = null;
    this.db = null;
    this.http = null;
    this.destination = null;
    this.targetName = null;
    this.composite = null;
    this.childCount = 0;
  }

  get sampled(): boolean {
    return true;
  }

  /** Epoch µs, placed on the transaction's timeline with the monotonic clock. */
  get timestamp(): number {
    const tx = this.transaction;
    return tx.timestamp + Math.round((this.startMs - tx.startMs) * 1000);
  }

  /** `traceparent` for a call made by this span. */
  traceparent(): string {
    return formatTraceParent(this.traceId, this.id, true);
  }

  tracestate(): string {
    return formatTraceState(this.transaction.traceState, this.transaction.sampleRate);
  }

  setName(name: string): void {
    if (!this.ended && typeof name === 'string') this.name = name;
  }

  setType(type: string | null, subtype?: string | null, action?: string | null): void {
    if (this.ended) return;
    if (typeof type === 'string' && type !== '') this.type = type;
    if (subtype !== undefined) this.subtype = subtype;
    if (action !== undefined) this.action = action;
  }

  setOutcome(outcome: Outcome, byUser = true): void {
    applyOutcome(this, outcome, byUser);
  }

  setLabel(key: string, value: unknown): void {
    if (!this.ended) this.labels = setLabel(this.labels, key, value);
  }

  setDbContext(db: DbContext): void {
    if (!this.ended) this.db = db;
  }

  setHttpContext(http: HttpSpanContext): void {
    if (!this.ended) this.http = http;
  }

  setDestination(destination: DestinationContext): void {
    if (!this.ended) this.destination = destination;
  }

  startSpan(name: string, type?: string, subtype?: string | null, action?: string | null): Span | null {
    return this.tracer.startSpan(name, type, subtype ?? null, action ?? null, this, null, false);
  }

  /** Ends the span; later calls are ignored. `endTimeMs` is epoch ms. */
  end(endTimeMs?: number): void {
    if (this.ended) return;
    this.tracer.endSpan(this, endTimeMs);
  }

  toJSON(): object {
    return serializeSpan(this);
  }
}
