/**
 * Sends metricsets every `metricsIntervalMs` (one unref()ed interval), and on demand for a
 * flush or close. Reports run one at a time: a flush during a report waits for it and
 * then sends what came after; a tick during one is skipped, so a slow source never piles
 * reports up.
 */
import { logger } from '../log.js';
import { epochMicros } from '../trace/clock.js';
import type { EventSink } from '../trace/sink.js';
import { DeltaTracker, toMetricsets, type Metricset } from './metricset.js';
import { COLLECT_TIMEOUT_MS, withTimeout, type FamilySnapshot } from './registry.js';

/** A named provider of snapshots: the agent's registry, the app's, a prom-client registry. */
export interface MetricSource {
  readonly id: string;
  collect(): Promise<readonly FamilySnapshot[]>;
}

export class MetricsReporter {
  private readonly deltas = new DeltaTracker();
  private timer: NodeJS.Timeout | null = null;
  /** The report in progress, and the one asked for while it runs (shared by all who ask). */
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  sent = 0;

  constructor(
    private readonly sources: () => readonly MetricSource[],
    private readonly sink: EventSink,
    private readonly beforeCollect: () => void,
  ) {}

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer !== null) return;
    // A tick while a report still runs (a slow collect callback) is skipped, not queued.
    this.timer = setInterval(() => {
      if (this.inFlight === null) void this.report();
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Collects every source and sends its metricsets. Never rejects. */
  report(): Promise<void> {
    if (this.inFlight === null) {
      this.inFlight = this.reportNow().finally(() => {
        this.inFlight = null;
      });
      return this.inFlight;
    }
    // One runs already: report again after it, to include what came since it began.
    this.queued ??= this.inFlight.then(() => {
      this.queued = null;
      return this.report();
    });
    return this.queued;
  }

  private async reportNow(): Promise<void> {
    try {
      this.beforeCollect();
      const out: Metricset[] = [];
      const timestampUs = epochMicros();
      this.deltas.begin();
      for (const source of this.sources()) {
        let families: readonly FamilySnapshot[];
        try {
          families = await withTimeout(source.collect(), COLLECT_TIMEOUT_MS * 2, `metrics from ${source.id}`);
        } catch (err) {
          logger.once('warn', `metrics-source:${source.id}`, `metrics from ${source.id} not collected: ${(err as Error)?.message ?? err}`);
          this.deltas.keep(source.id);
          continue;
        }
        toMetricsets(source.id, families, this.deltas, timestampUs, out);
      }
      this.deltas.end();
      for (const m of out) if (this.sink.send('metricset', m)) this.sent++;
    } catch (err) {
      logger.once('warn', 'metrics-report', `metrics report failed: ${(err as Error)?.message ?? err}`);
    }
  }
}
