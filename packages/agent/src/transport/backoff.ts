/**
 * How long to wait before retrying a failed request: exponential in the number of
 * consecutive failures, with jitter so that many agents cut off by the same outage do not
 * come back in lockstep, and never sooner than the server asked with Retry-After.
 */

/** "Equal jitter": between half and all of the exponential delay, so a retry always waits some. */
export function backoffDelayMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  if (failures <= 0) return 0;
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return null;
  const text = raw.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
