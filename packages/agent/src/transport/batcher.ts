/**
 * The queue side of the transport: events wait in a preallocated ring, and an encoding
 * tick (one setImmediate per burst, never per event) serialises them into the open batch,
 * a bounded number per tick so a burst never holds the event loop. The open batch is
 * full at maxBatchBytes or at half of maxQueueSize events, whichever comes first, and
 * ready once full or flushIntervalMs after its first event (one unref()ed timer per
 * batch); the transport is told through `onReady` and takes it.
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

  /** O(1) and allocation-free: false when the ring is full. */
  push(kind: EventKind, event: object): boolean {
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
      const line = encodeLine(kind, ring.peekEvent());
      ring.shift();
      if (typeof line === 'string') this.add(line);
      else this.onUnserializable(kind, line);
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

  private add(line: string): void {
    this.lines.add(line);
    if (this.lines.count === 1 && this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.flushIntervalMs);
      this.timer.unref();
    }
  }
}
