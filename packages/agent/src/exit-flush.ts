/**
 * Sends what the agent holds when the process is about to end: on `beforeExit` (the event
 * loop ran dry) and on SIGTERM/SIGINT. A signal the app does not handle itself is raised
 * again after the flush, so the process ends exactly as it would have without the agent.
 */
type Flush = (timeoutMs: number) => Promise<void>;

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installExitFlush(flush: Flush, timeoutMs: number): () => void {
  let flushingBeforeExit = false;
  const onBeforeExit = (): void => {
    // The flush itself keeps the loop alive and ends in a second beforeExit: flush once.
    if (flushingBeforeExit) return;
    flushingBeforeExit = true;
    void flush(timeoutMs);
  };
  process.on('beforeExit', onBeforeExit);

  const onSignal = (signal: NodeJS.Signals): void => {
    const appHandles = process.listenerCount(signal) > 1;
    if (appHandles) {
      // The app decides when to exit; give our flush a head start.
      void flush(timeoutMs);
      return;
    }
    void flush(timeoutMs).finally(() => {
      uninstall();
      process.kill(process.pid, signal);
    });
  };
  for (const s of SIGNALS) process.on(s, onSignal);

  function uninstall(): void {
    process.removeListener('beforeExit', onBeforeExit);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  }
  return uninstall;
}
