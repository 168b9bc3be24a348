/**
 * A transaction: one unit of work (an HTTP request, a job) at the root of a service's part
 * of a trace. All fields are set in the constructor so the object's shape never changes;
 * the transport writes its intake line when it ends (trace/event-json.ts; toJSON() gives
 * the same object form), or once the queue has room.
 */
import type { ServerResponse } from 'node:http';
import type { RequestRecord, RequestSource, ResponseRecord } from '../http/request-context.js';
import { epochMicros, nowMs } from './clock.js';
import { newSpanId } from './ids.js';
import { setLabel, type LabelMap } from './labels.js';
import { applyOutcome, type Outcome } from './outcome.js';
import { formatTraceParent, formatTraceState } from './traceparent.js';
import type { Span } from './span.js';
import type { Tracer } from './tracer.js';
import { serializeTransaction } from './serialize.js';

export interface UserContext {
  id?: string | number;
  username?: string;
  email?: string;
}

export class Transaction {
  readonly isTransaction = true as const;
  readonly transaction: Transaction;
  readonly tracer: Tracer;
  readonly id: string;
  readonly traceId: string;
  readonly parentId: string | null;
  readonly sampled: boolean;
  /** The rate this trace was sampled at, when known (ours, or from an upstream `tracestate`). */
  readonly sampleRate: number | null;
  readonly traceState: ReadonlyArray<readonly [string, string]> | null;
  readonly timestamp: number;
  readonly startMs: number;
  name: string;
  /** Higher wins: a framework's route name (2) beats the default `GET unknown route` (1); a user's setName (3) beats both. */
  namePriority: number;
  type: string;
  result: string | null;
  outcome: Outcome;
  outcomeSetByUser: boolean;
  durationMs: number;
  ended: boolean;
  spansStarted: number;
  spansDropped: number;
  labels: LabelMap | null;
  user: UserContext | null;
  custom: Record<string, unknown> | null;
  /**
   * The request and response while they run; when the response ends, records of what
   * serialisation reads (see http/request-context.ts), so a queued transaction does not hold them.
   */
  req: RequestSource | RequestRecord | null;
  res: ServerResponse | ResponseRecord | null;
  /** A request body captured by a framework plugin (already a string or object), when configured. */
  requestBody: unknown;
  /** Set when the client went away before the response finished. */
  aborted: boolean;

  constructor(
    tracer: Tracer,
    name: string,
    type: string,
    traceId: string,
    parentId: string | null,
    sampled: boolean,
    sampleRate: number | null,
    traceState: ReadonlyArray<readonly [string, string]> | null,
    startMs: number | null,
  ) {
    this.transaction = this;
    this.tracer = tracer;
    this.id = newSpanId();
    this.traceId = traceId;
    this.parentId = parentId;
    this.sampled = sampled;
    this.sampleRate = sampleRate;
    this.traceState = traceState;
    const now = nowMs();
    this.startMs = startMs ?? now;
    this.timestamp = epochMicros() - Math.round((now - this.startMs) * 1000);
    this.name = name;
    this.namePriority = 0;
    this.type = type;
    this.result = null;
    this.outcome = 'unknown';
    this.outcomeSetByUser = false;
    this.durationMs = 0;
    this.ended = false;
    this.spansStarted = 0;
    this.spansDropped = 0;
    this.labels = null;
    this.user = null;
    this.custom = null;
    this.req = null;
    this.res = null;
    this.requestBody = undefined;
    this.aborted = false;
  }

  /**
   * Its line is in a batch. The response record was kept for that line only and is let go;
   * the request record stays, for an error captured later in the request's async work. An
   * ended transaction stays reachable from whatever async resource was made in its context
   * (an idle keep-alive socket's timer holds its last request's until the next request).
   */
  written(): void {
    this.res = null;
  }

  /** `traceparent` for a call made directly under the transaction. */
  traceparent(): string {
    return formatTraceParent(this.traceId, this.id, this.sampled);
  }

  tracestate(): string {
    return formatTraceState(this.traceState, this.sampleRate);
  }

  setName(name: string, priority = 3): void {
    if (this.ended || typeof name !== 'string' || priority < this.namePriority) return;
    this.name = name;
    this.namePriority = priority;
  }

  setType(type: string): void {
    if (!this.ended && typeof type === 'string' && type !== '') this.type = type;
  }

  setResult(result: string): void {
    if (!this.ended && typeof result === 'string') this.result = result;
  }

  /** An outcome set by the user is kept; instrumentation sets it only when the user has not. */
  setOutcome(outcome: Outcome, byUser = true): void {
    applyOutcome(this, outcome, byUser);
  }

  setLabel(key: string, value: unknown): void {
    if (!this.ended) this.labels = setLabel(this.labels, key, value);
  }

  setUser(user: UserContext): void {
    if (this.ended || user === null || typeof user !== 'object') return;
    this.user = { ...this.user, ...user };
  }

  setCustomContext(custom: Record<string, unknown>): void {
    if (this.ended || custom === null || typeof custom !== 'object') return;
    this.custom = { ...this.custom, ...custom };
  }

  startSpan(name: string, type?: string, subtype?: string | null, action?: string | null): Span | null {
    return this.tracer.startSpan(name, type, subtype ?? null, action ?? null, this, null, false);
  }

  /** Ends the transaction; later calls are ignored. `endTimeMs` is epoch ms, for spans reported after the fact. */
  end(result?: string | null, endTimeMs?: number): void {
    if (this.ended) return;
    if (typeof result === 'string') this.result = result;
    this.tracer.endTransaction(this, endTimeMs);
  }

  toJSON(): object {
    return serializeTransaction(this);
  }
}
