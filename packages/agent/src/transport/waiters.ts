/**
 * Pending flush() calls. Events settle (sent or given up) in the order they were queued,
 * so a flush only has to remember how many events had been accepted when it was called
 * and wait until that many have settled.
 */
interface Waiter {
  target: number;
  resolve: () => void;
  timer: NodeJS.Timeout | null;
}

export class FlushWaiters {
  private list: Waiter[] = [];
  private readonly onTimeout = (waiter: Waiter): void => this.release(waiter);

  get pending(): boolean {
    return this.list.length > 0;
  }

  /**
   * Resolves once `settled` reaches `target` (see settle()) or after `timeoutMs`. The timer is
   * deliberately left ref()ed: whoever awaits a flush wants the process to stay up until the
   * events are out or the time is up; the transport's own timers and sockets are unref()ed.
   */
  wait(target: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter: Waiter = { target, resolve, timer: null };
      waiter.timer = setTimeout(this.onTimeout, timeoutMs, waiter);
      this.list.push(waiter);
    });
  }

  /** Resolves every flush whose events have all settled. */
  settle(settled: number): void {
    if (this.list.length === 0) return;
    for (const waiter of this.list.slice()) {
      if (waiter.target <= settled) this.release(waiter);
    }
  }

  releaseAll(): void {
    for (const waiter of this.list.slice()) this.release(waiter);
  }

  private release(waiter: Waiter): void {
    const i = this.list.indexOf(waiter);
    if (i === -1) return;
    this.list.splice(i, 1);
    if (waiter.timer !== null) clearTimeout(waiter.timer);
    waiter.resolve();
  }
}
