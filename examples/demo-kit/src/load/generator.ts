/**
 * The load generator: a fixed number of workers send the route mix at a steady rate until a
 * duration passes, a number of requests is sent, or it is stopped. Bounded in every
 * direction: requests time out, and without a bound it stops after `MAX_DURATION_MS`.
 */
import { RouteMix, type Target } from './mix.js';
import { LoadStats } from './stats.js';

export const MAX_DURATION_MS = 30 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

export interface LoadOptions {
  targets: readonly Target[];
  /** Stop after this long (at most MAX_DURATION_MS). */
  durationMs?: number | undefined;
  /** Stop after this many requests. */
  requests?: number | undefined;
  /** Requests in flight at most. */
  concurrency: number;
  /** Requests started per second at most, over all workers; 0 for as fast as they answer. */
  ratePerSecond: number;
  signal: AbortSignal;
  /** Called after each request. */
  onResult?: (stats: LoadStats) => void;
}

export interface LoadRun {
  stats: LoadStats;
  done: Promise<LoadStats>;
}

export function startLoad(options: LoadOptions): LoadRun {
  const stats = new LoadStats();
  const mix = new RouteMix(options.targets);
  const durationMs = Math.min(options.durationMs ?? MAX_DURATION_MS, MAX_DURATION_MS);
  const deadline = performance.now() + durationMs;
  const intervalMs = options.ratePerSecond > 0 ? 1000 / options.ratePerSecond : 0;
  let nextAt = performance.now();
  let started = 0;

  const more = (): boolean =>
    !options.signal.aborted && performance.now() < deadline && (options.requests === undefined || started < options.requests);

  async function worker(): Promise<void> {
    while (more()) {
      // Pace: each request takes the next slot of the schedule.
      const slot = Math.max(nextAt, performance.now());
      nextAt = slot + intervalMs;
      const wait = slot - performance.now();
      if (wait > 0) await pause(wait, options.signal);
      if (!more()) return;
      started++;
      const planned = mix.next();
      const t0 = performance.now();
      let status = 0;
      try {
        const res = await fetch(planned.url, { signal: AbortSignal.any([options.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        if (options.signal.aborted) return;
      }
      stats.add({ key: `${planned.service} GET ${planned.route}`, status, durationMs: performance.now() - t0 });
      options.onResult?.(stats);
    }
  }

  const workers = Array.from({ length: Math.max(1, options.concurrency) }, () => worker());
  return { stats, done: Promise.all(workers).then(() => stats) };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
