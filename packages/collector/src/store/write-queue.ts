import { batchSize, emptyBatch, type EventBatch } from '../model/event.js';
import type { Store } from './store.js';

export type OfferResult = 'accepted' | 'full' | 'closing';

export interface WriteQueueOptions {
  capacity: number;
  batchSize: number;
  flushIntervalMs: number;
  /** Called after each write with the events written and how long it took. */
  onWrite?: (events: number, durationMs: number) => void;
  /** Called when a batch is given up on after repeated failures. */
  onDrop?: (events: number, error: Error) => void;
}

const MAX_WRITE_ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;

/**
 * The bounded queue between intake and the database. Intake offers a request's events
 * all at once or not at all, so "accepted" in a response means queued; the writer takes
 * up to batchSize events per database transaction, as soon as that many are waiting or
 * after flushIntervalMs. A failing database keeps events queued (and so, once full, makes
 * intake answer 503) rather than losing them, up to MAX_WRITE_ATTEMPTS tries per batch.
 */
export class WriteQueue {
  readonly #store: Store;
  readonly #options: WriteQueueOptions;
  #pending: EventBatch[] = [];
  #depth = 0;
  #closing = false;
  #writing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #attempts = 0;

  constructor(store: Store, options: WriteQueueOptions) {
    this.#store = store;
    this.#options = options;
  }

  get depth(): number {
    return this.#depth;
  }

  get capacity(): number {
    return this.#options.capacity;
  }

  offer(batch: EventBatch): OfferResult {
    if (this.#closing) return 'closing';
    const events = batchSize(batch);
    if (events === 0) return 'accepted';
    if (this.#depth + events > this.#options.capacity) return 'full';
    this.#pending.push(batch);
    this.#depth += events;
    this.#schedule();
    return 'accepted';
  }

  /** Writes everything still queued, then refuses further offers. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#depth > 0 || this.#writing !== null) {
      await (this.#writing ?? this.#flush());
    }
  }

  /** Resolves once everything offered so far is written; for tests and the CLI. */
  async drain(): Promise<void> {
    while (this.#depth > 0 || this.#writing !== null) await (this.#writing ?? this.#flush());
  }

  #schedule(): void {
    if (this.#writing !== null) return;
    if (this.#depth >= this.#options.batchSize) {
      if (this.#timer !== null) clearTimeout(this.#timer);
      this.#timer = null;
      void this.#flush();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.#flush();
      }, this.#options.flushIntervalMs);
      this.#timer.unref();
    }
  }

  #flush(): Promise<void> {
    if (this.#writing !== null) return this.#writing;
    if (this.#depth === 0) return Promise.resolve();
    const batch = this.#take();
    this.#writing = this.#write(batch).finally(() => {
      this.#writing = null;
      if (this.#depth > 0 && !this.#closing) this.#schedule();
    });
    return this.#writing;
  }

  #take(): EventBatch {
    const merged = emptyBatch();
    let taken = 0;
    while (this.#pending.length > 0 && taken < this.#options.batchSize) {
      const next = this.#pending.shift()!;
      merged.transactions.push(...next.transactions);
      merged.spans.push(...next.spans);
      merged.errors.push(...next.errors);
      merged.metrics.push(...next.metrics);
      merged.logs.push(...next.logs);
      taken += batchSize(next);
    }
    return merged;
  }

  async #write(batch: EventBatch): Promise<void> {
    const events = batchSize(batch);
    const startedAt = performance.now();
    try {
      await this.#store.write(batch);
      this.#attempts = 0;
      this.#depth -= events;
      this.#options.onWrite?.(events, performance.now() - startedAt);
    } catch (error) {
      this.#attempts += 1;
      if (this.#attempts >= MAX_WRITE_ATTEMPTS) {
        this.#attempts = 0;
        this.#depth -= events;
        this.#options.onDrop?.(events, error as Error);
        return;
      }
      this.#pending.unshift(batch);
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS).unref());
    }
  }
}
