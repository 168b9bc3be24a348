/**
 * The transport's queue: a ring buffer preallocated to `maxQueueSize` slots, so that
 * queueing an event on the request path allocates nothing and a full queue is a counter
 * check, not a growing array. Kinds and events live in two parallel arrays for the same
 * reason (no wrapper object per event).
 */
import type { EventKind } from '../trace/sink.js';

export class Ring {
  readonly capacity: number;
  private readonly kinds: Array<EventKind | undefined>;
  private readonly events: Array<object | undefined>;
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.kinds = new Array<EventKind | undefined>(capacity).fill(undefined);
    this.events = new Array<object | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /** Returns false, keeping nothing, when the ring is full. */
  push(kind: EventKind, event: object): boolean {
    if (this.count === this.capacity) return false;
    let tail = this.head + this.count;
    if (tail >= this.capacity) tail -= this.capacity;
    this.kinds[tail] = kind;
    this.events[tail] = event;
    this.count++;
    return true;
  }

  /** The oldest entry's kind; only valid while size > 0. */
  peekKind(): EventKind {
    return this.kinds[this.head] as EventKind;
  }

  /** The oldest entry's event; only valid while size > 0. */
  peekEvent(): object {
    return this.events[this.head] as object;
  }

  /** Removes the oldest entry, releasing the slot's references for the GC. */
  shift(): void {
    if (this.count === 0) return;
    this.kinds[this.head] = undefined;
    this.events[this.head] = undefined;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
  }

  clear(): void {
    while (this.count > 0) this.shift();
    this.head = 0;
  }
}
