/**
 * Keeps one of Node's `process.nextTick` objects alive for the life of the process.
 *
 * `nextTick` builds its tick object with a literal whose first keys are computed
 * (`{[async_id]: …, [trigger_id]: …, [context_frame]: …, callback, args}`), and V8 optimises
 * each of those keyed definitions for the one hidden class (map) it has seen there. The maps of
 * that chain are held only by live tick objects. When a major GC runs while none is alive (an
 * agent's allocation makes one likely during an app's first requests), they are collected, the
 * next tick builds new ones, and every definition site past the collected link sees a second
 * map: its feedback turns megamorphic for the life of the process, and `nextTick`'s optimised
 * code then calls the V8 runtime for three or four of its five keys on every call (~1.4k
 * instructions each, 11–15 ticks a request in http, streams and undici). One tick object held
 * here keeps the whole chain alive (a map holds its parent), so the sites stay monomorphic, as
 * in a process that never met that GC.
 */
import { executionAsyncResource } from 'node:async_hooks';

let held: object | null = null;

function holdThisTick(): void {
  const resource = executionAsyncResource() as { callback?: unknown };
  // The running callback's own tick object, checked so another Node's shape is never kept.
  if (held === null && resource.callback === holdThisTick) held = resource;
}

/** Schedules the capture (once per process); it happens when the tick queue next runs. */
export function holdTickObjectMaps(): void {
  if (held === null) process.nextTick(holdThisTick);
}
