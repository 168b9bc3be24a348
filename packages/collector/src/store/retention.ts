import type { Store } from './store.js';

/** How often old events are looked for; an hour's lateness is nothing against days of retention. */
const SWEEP_INTERVAL_MS = 15 * 60_000;

/**
 * Deletes events older than retentionMs once at start-up and then periodically. Several
 * collectors sharing one PostgreSQL may all sweep; the deletes are idempotent.
 */
export function startRetention(store: Store, retentionMs: number, onDeleted: (rows: number) => void): { stop(): void } {
  if (retentionMs <= 0) return { stop() {} };
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const deleted = await store.deleteOlderThan(Date.now() - retentionMs);
      onDeleted(deleted);
    } catch (error) {
      process.emitWarning(`sightline collector: retention sweep failed: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  };
  void sweep();
  const timer = setInterval(sweep, Math.min(SWEEP_INTERVAL_MS, Math.max(retentionMs / 4, 1000)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
