/**
 * Sends metricsets every `metricsIntervalMs` (one unref()ed interval), and on demand for a
 * flush or close. Reports run one after another, so a flush during a tick waits for it
 * and then sends what came after.
 */
import { logger } from '../log.js';
import { epochMicros } from '../trace/clock.js';
import type { EventSink } from '../trace/sink.js';
import { DeltaTracker, toMetricsets, type Metricset } from './metricset.js';
import type { FamilySnapshot } from './registry.js';

/** A named provider of snapshots: the agent's registry, the app's, a prom-client registry. */
export interface MetricSource {
  readonly id: string;
  collect(): Promise<readonly FamilySnapshot[]>;
}

export class MetricsReporter {
  private readonly deltas = new DeltaTracker();
  private timer: NodeJS.Timeout | null = null;
  private last: Promise<void> = Promise.resolve();
  sent = 0;

  constructor(
    private readonly sources: () => readonly MetricSource[],
    private readonly sink: EventSink,
    private readonly beforeCollect: () => void,
  ) {}

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => void this.report(), intervalMs);
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
    const next = this.last.then(() => this.reportNow());
    this.last = next;
    return next;
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
          families = await source.collect();
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
