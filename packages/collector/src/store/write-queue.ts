import { batchSize, emptyBatch, type EventBatch } from '../model/event.js';
import type { Store } from './store.js';

export type OfferResult = 'accepted' | 'full' | 'closing';

/** Told once whether the offered events are in the database (true) or were given up on (false). */
export type WrittenCallback = (written: boolean) => void;

export interface WriteQueueOptions {
  capacity: number;
  batchSize: number;
  /**
   * Longest the first waiting event waits before a write starts (the group-commit window)
   * while other requests are still streaming; see streamEnded.
   */
  flushIntervalMs: number;
  /** Called after each write with the events written and how long it took. */
  onWrite?: (events: number, durationMs: number) => void;
  /** Called when a batch is given up on after repeated failures. */
  onDrop?: (events: number, error: Error) => void;
}

interface Entry {
  batch: EventBatch;
  events: number;
  onWritten: WrittenCallback | null;
}

const MAX_WRITE_ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;

/**
 * The bounded queue between intake and the database, and its group commit. Intake offers
 * a request's events in slices and answers only once every slice is written (the callback
 * of offer()), so a 202 means "in the database": a collector killed with SIGKILL loses no
 * event it acknowledged. The writer takes up to batchSize events per database transaction,
 * as soon as that many are waiting, or once no request is streaming any more (streamEnded:
 * a lone agent's request is written as soon as it is read, with no window to wait out), or
 * flushIntervalMs after the first, so concurrent requests share transactions. Events that
 * arrive during a write go in the next one. A failing database is retried MAX_WRITE_ATTEMPTS times per
 * batch; then the batch is given up and its requests are answered 503, which agents retry.
 */
export class WriteQueue {
  readonly #store: Store;
  readonly #options: WriteQueueOptions;
  #pending: Entry[] = [];
  #depth = 0;
  #closing = false;
  #writing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #attempts = 0;
  #lastError: Error | null = null;
  /** Intake requests between streamStarted and streamEnded. */
  #streaming = 0;

  constructor(store: Store, options: WriteQueueOptions) {
    this.#store = store;
    this.#options = options;
  }

  get depth(): number {
    return this.#depth;
  }

  /** Intake requests still reading their events. */
  get streaming(): number {
    return this.#streaming;
  }

  get capacity(): number {
    return this.#options.capacity;
  }

  /** The last write failure, for the message of a 503 (null once a write succeeds). */
  get lastError(): Error | null {
    return this.#lastError;
  }

  /** Queues the batch whole or not at all; `onWritten` is told once it is written or given up. */
  offer(batch: EventBatch, onWritten: WrittenCallback | null = null): OfferResult {
    if (this.#closing) return 'closing';
    const events = batchSize(batch);
    if (events === 0) {
      onWritten?.(true);
      return 'accepted';
    }
    if (this.#depth + events > this.#options.capacity) return 'full';
    this.#pending.push({ batch, events, onWritten });
    this.#depth += events;
    this.#schedule();
    return 'accepted';
  }

  /** A request started reading its events: what it offers may be grouped with what follows. */
  streamStarted(): void {
    this.#streaming++;
  }

  /**
   * A request has offered all it will. With no other request streaming nothing else is
   * coming soon, so what is queued is written now rather than at the window's end.
   */
  streamEnded(): void {
    if (this.#streaming > 0) this.#streaming--;
    if (this.#streaming === 0 && this.#depth > 0 && this.#writing === null) this.#writeNow();
  }

  /** Writes everything still queued, then refuses further offers. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.drain();
  }

  /** Writes what is queued now, without waiting for the window; resolves once all of it is written or given up. */
  async drain(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#depth > 0 || this.#writing !== null) await (this.#writing ?? this.#flush());
  }

  #schedule(): void {
    if (this.#writing !== null) return;
    if (this.#depth >= this.#options.batchSize) {
      this.#writeNow();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.#flush();
      }, this.#options.flushIntervalMs);
      this.#timer.unref();
    }
  }

  #writeNow(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    void this.#flush();
  }

  #flush(): Promise<void> {
    if (this.#writing !== null) return this.#writing;
    if (this.#depth === 0) return Promise.resolve();
    const entries = this.#take();
    this.#writing = this.#write(entries).finally(() => {
      this.#writing = null;
      if (this.#depth === 0) return;
      // What came in during the write has waited that long already; with no request streaming, nothing more is on its way.
      if (this.#streaming === 0 && this.#attempts === 0) this.#writeNow();
      else this.#schedule();
    });
    return this.#writing;
  }

  #take(): Entry[] {
    const entries: Entry[] = [];
    let taken = 0;
    while (this.#pending.length > 0 && (taken === 0 || taken + this.#pending[0]!.events <= this.#options.batchSize)) {
      const next = this.#pending.shift()!;
      entries.push(next);
      taken += next.events;
    }
    return entries;
  }

  async #write(entries: Entry[]): Promise<void> {
    const batch = entries.length === 1 ? entries[0]!.batch : merge(entries);
    const events = batchSize(batch);
    const startedAt = performance.now();
    try {
      await this.#store.write(batch);
    } catch (error) {
      this.#attempts += 1;
      this.#lastError = error instanceof Error ? error : new Error(String(error));
      if (this.#attempts >= MAX_WRITE_ATTEMPTS) {
        this.#attempts = 0;
        this.#depth -= events;
        this.#options.onDrop?.(events, this.#lastError);
        settle(entries, false);
        return;
      }
      this.#pending.unshift(...entries);
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS).unref());
      return;
    }
    this.#attempts = 0;
    this.#lastError = null;
    this.#depth -= events;
    this.#options.onWrite?.(events, performance.now() - startedAt);
    settle(entries, true);
  }
}

function merge(entries: Entry[]): EventBatch {
  const merged = emptyBatch();
  for (const { batch } of entries) {
    merged.transactions.push(...batch.transactions);
    merged.spans.push(...batch.spans);
    merged.errors.push(...batch.errors);
    merged.metrics.push(...batch.metrics);
    merged.logs.push(...batch.logs);
  }
  return merged;
}

function settle(entries: Entry[], written: boolean): void {
  for (const entry of entries) {
    try {
      entry.onWritten?.(written);
    } catch {
      // A callback answers an HTTP request; its failure must not stop the others being told.
    }
  }
}
