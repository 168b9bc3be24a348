/**
 * The queue side of the transport: an event is written into the open batch as it is sent
 * when nothing waits before it and the batch has room; otherwise it waits in a
 * preallocated ring, and an encoding tick (one setImmediate per burst, never per event)
 * serialises the ring into the batch, a bounded number per tick so a burst never holds the
 * event loop. The open batch is full at maxBatchBytes or at half of maxQueueSize events,
 * whichever comes first, and ready once full or flushIntervalMs after its first event (one
 * unref()ed timer per batch); the transport is told through `onReady` and takes it.
 *
 * Why at once rather than in the tick: an event waiting for the tick is alive, with its
 * request and response records, at any scavenge that falls in the burst, and what survives
 * scavenges is what makes V8 grow the young generation. Fastify hello at 8k requests a
 * second: 41 KB survived each scavenge, 34 KB written at once, 25 KB with the response
 * record let go once written (Transaction.written; bench/RESULTS.md, 2026-12-08). It also
 * makes what is shipped what the event was when sent, as other agents do.
 *
 * Why half the queue: maxQueueSize bounds every event held, the batch in flight included.
 * Bounded by bytes alone, a batch of short lines (under maxBatchBytes / maxQueueSize each,
 * ~384 B at the defaults) could never fill: the queue was full first, and every batch
 * waited for the timer while new events were dropped (79% of 10k events/s of 250-byte
 * lines, with an intake answering in 20 ms: bench/transport-drops.mjs). Half leaves room
 * for the next batch to fill while one is in flight.
 */
import { suppressTracing } from '../trace/context.js';
import type { EventKind } from '../trace/sink.js';
import { Transaction } from '../trace/transaction.js';
import { type Batch, LineBuffer } from './batch.js';
import { encodeLine } from './encode.js';
import { Ring } from './ring.js';

/** Events serialised per encoding tick at most. */
const ENCODE_BUDGET = 256;

export interface BatcherOptions {
  maxQueueSize: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  /** Called (from a tick or a timer, never from push()) when a batch may be ready to take. */
  onReady: () => void;
  /** Called for an event JSON.stringify refused; the event is gone. */
  onUnserializable: (kind: EventKind, err: Error) => void;
}

export class Batcher {
  readonly ring: Ring;
  private readonly maxBatchBytes: number;
  private readonly maxBatchEvents: number;
  private readonly flushIntervalMs: number;
  private readonly onReady: () => void;
  private readonly onUnserializable: (kind: EventKind, err: Error) => void;
  private readonly lines = new LineBuffer();
  /** The open batch has waited flushIntervalMs. */
  private due = false;
  private immediate: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(options: BatcherOptions) {
    this.ring = new Ring(options.maxQueueSize);
    this.maxBatchBytes = options.maxBatchBytes;
    this.maxBatchEvents = Math.max(1, Math.ceil(options.maxQueueSize / 2));
    this.flushIntervalMs = options.flushIntervalMs;
    this.onReady = options.onReady;
    this.onUnserializable = options.onUnserializable;
  }

  /**
   * Writes the event into the open batch, or queues it (false when the ring is full).
   * Never calls onReady: a full batch is offered from the tick, outside the app's code.
   */
  push(kind: EventKind, event: object): boolean {
    if (this.ring.size === 0 && !this.stopped && !this.full()) {
      this.encode(kind, event);
      if (this.full()) this.scheduleEncode();
      return true;
    }
    if (!this.ring.push(kind, event)) return false;
    if (this.immediate === null && !this.full()) this.scheduleEncode();
    return true;
  }

  scheduleEncode(): void {
    if (this.immediate !== null || this.stopped) return;
    // push() runs in the app's context: the work this starts must not be traced, nor keep the app's transaction alive.
    suppressTracing(this.armEncode);
  }

  /** The open batch, if it is full, due, or `force`d (a flush), leaving a new one open. */
  take(force: boolean): Batch | null {
    if (this.lines.count === 0) return null;
    if (!this.full() && !this.due && !force) return null;
    const batch = this.lines.take();
    this.due = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.ring.size > 0) this.scheduleEncode();
    return batch;
  }

  /** Gives a settled batch's buffer back for the next batch. */
  recycle(batch: Batch): void {
    const store = batch.store;
    batch.store = null;
    if (!this.stopped) this.lines.recycle(store, batch.ends);
  }

  stop(): void {
    this.stopped = true;
    if (this.immediate !== null) clearImmediate(this.immediate);
    if (this.timer !== null) clearTimeout(this.timer);
    this.immediate = null;
    this.timer = null;
    this.ring.clear();
    this.lines.clear();
  }

  private readonly armEncode = (): void => {
    // Not unref()ed: an immediate runs on the next turn and is gone, so it cannot keep the
    // process alive, but an unref()ed one lets the loop sleep in poll until some other timer
    // fires (a pending flush would then wait out its whole timeout).
    this.immediate = setImmediate(this.onEncodeTick);
  };

  private readonly onEncodeTick = (): void => {
    this.immediate = null;
    if (this.stopped) return;
    const ring = this.ring;
    let budget = ENCODE_BUDGET;
    while (ring.size > 0 && !this.full() && budget-- > 0) {
      const kind = ring.peekKind();
      const event = ring.peekEvent();
      ring.shift();
      this.encode(kind, event);
    }
    if (ring.size > 0 && !this.full()) this.scheduleEncode();
    this.onReady();
  };

  private readonly onTimer = (): void => {
    this.timer = null;
    this.due = true;
    this.onReady();
  };

  private full(): boolean {
    return this.lines.bytes >= this.maxBatchBytes || this.lines.count >= this.maxBatchEvents;
  }

  private encode(kind: EventKind, event: object): void {
    const line = encodeLine(kind, event);
    if (typeof line !== 'string') {
      this.onUnserializable(kind, line);
      return;
    }
    try {
      this.lines.add(line);
    } catch (err) {
      // A line too large for a buffer: that event is lost, the batch is not.
      this.onUnserializable(kind, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (event instanceof Transaction) event.written();
    // From push() this runs in the app's context: the timer must neither trace the upload it starts nor keep a transaction alive.
    if (this.lines.count === 1 && this.timer === null) suppressTracing(this.armTimer);
  }

  private readonly armTimer = (): void => {
    this.timer = setTimeout(this.onTimer, this.flushIntervalMs);
    this.timer.unref();
  };
}
