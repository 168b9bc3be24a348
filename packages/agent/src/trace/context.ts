/**
 * The current transaction or span, carried through async work by AsyncLocalStorage.
 * The store holds one object: the active span or transaction, or the marker that says
 * "do not trace here" (the agent's own requests to the collector run under it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span } from './span.js';
import type { Transaction } from './transaction.js';

export type Active = Transaction | Span;

/** Marks work the agent must not trace (its own I/O). */
export const SUPPRESSED = Object.freeze({ suppressed: true as const });
type Store = Active | typeof SUPPRESSED;

const storage = new AsyncLocalStorage<Store>();

export function currentActive(): Active | null {
  const store = storage.getStore();
  return store === undefined || store === SUPPRESSED ? null : (store as Active);
}

export function currentTransaction(): Transaction | null {
  const active = currentActive();
  return active === null ? null : active.transaction;
}

/** The current span, or null when the transaction itself is active. */
export function currentSpan(): Span | null {
  const active = currentActive();
  return active === null || active.isTransaction ? null : (active as Span);
}

export function isTracingSuppressed(): boolean {
  return storage.getStore() === SUPPRESSED;
}

/** Runs `fn` with `active` as the current transaction or span. */
export function runWithActive<A extends unknown[], R>(active: Active | null, fn: (...args: A) => R, ...args: A): R {
  return storage.run(active ?? (undefined as unknown as Store), fn, ...args);
}

/**
 * Makes `active` current for the rest of this synchronous execution and what it schedules.
 * For hooks that cannot wrap the work in a function (a framework's onRequest hook).
 */
export function enterActive(active: Active | null): void {
  storage.enterWith(active ?? (undefined as unknown as Store));
}

/** Runs `fn` with tracing off: nothing started inside it is recorded. */
export function suppressTracing<R>(fn: () => R): R {
  return storage.run(SUPPRESSED, fn);
}

/** Binds `fn` to the context current now, for callbacks run later by code that loses context. */
export function bindActive<F extends (...args: never[]) => unknown>(fn: F): F {
  const store = storage.getStore();
  if (store === undefined) return fn;
  return function bound(this: unknown, ...args: Parameters<F>) {
    return storage.run(store, () => fn.apply(this, args));
  } as unknown as F;
}
