/**
 * Time. Transactions start at wall-clock time; spans are placed relative to their
 * transaction with the monotonic clock, so durations never go negative when NTP steps
 * the wall clock.
 */
import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds (fractional). */
export function nowMs(): number {
  return performance.now();
}

/** Epoch microseconds (millisecond resolution: the wall clock, not the process start). */
export function epochMicros(): number {
  return Date.now() * 1000;
}

/** Monotonic ms as epoch microseconds, for times a user passes in. */
export function monotonicToEpochMicros(ms: number): number {
  return Math.round((performance.timeOrigin + ms) * 1000);
}

/** A user-supplied start or end time (epoch ms, or a Date) as monotonic ms; null if unusable. */
export function userTimeToMonotonic(t: unknown): number | null {
  const epochMs = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : NaN;
  if (!Number.isFinite(epochMs)) return null;
  return epochMs - performance.timeOrigin;
}
