/** A gauge: a value that goes up and down (queue depth, pool size), set directly or read by a callback. */
import { logger } from '../log.js';
import { Family, invalidArgument, type LabelValues, type MetricOptions, type SeriesSnapshot } from './registry.js';

export class GaugeSeries {
  value = 0;
  constructor(private readonly metric: string) {}

  set(value: number): void {
    if (typeof value === 'number') this.value = value;
    else this.ignored('set', value);
  }

  inc(value = 1): void {
    if (typeof value === 'number') this.value += value;
    else this.ignored('inc', value);
  }

  dec(value = 1): void {
    if (typeof value === 'number') this.value -= value;
    else this.ignored('dec', value);
  }

  private ignored(op: string, value: unknown): void {
    logger.once('warn', `metrics-gauge:${this.metric}`, `gauge ${this.metric}: ${op}(${typeof value}) ignored; pass a number`);
  }
}

const DROPPED = new GaugeSeries('(dropped)');
DROPPED.set = DROPPED.inc = DROPPED.dec = () => {};

export interface GaugeOptions extends MetricOptions {
  /** Called before each collection (push or scrape) to set the current value(s); may be async. */
  collect?: (this: Gauge, gauge: Gauge) => void | Promise<void>;
}

export class Gauge extends Family<GaugeSeries> {
  readonly type = 'gauge' as const;
  private readonly onCollect: ((this: Gauge, gauge: Gauge) => void | Promise<void>) | null;

  constructor(opts: GaugeOptions) {
    super(opts);
    if (opts.collect !== undefined && typeof opts.collect !== 'function') {
      throw invalidArgument(`gauge ${this.name}: \`collect\` must be a function`);
    }
    this.onCollect = opts.collect ?? null;
  }

  set(labelsOrValue: LabelValues | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.seriesFor(undefined)?.set(labelsOrValue);
    else this.seriesFor(labelsOrValue)?.set(value as number);
  }

  inc(labelsOrValue?: LabelValues | number, value?: number): void {
    if (labelsOrValue === undefined || typeof labelsOrValue === 'number') this.seriesFor(undefined)?.inc(labelsOrValue);
    else this.seriesFor(labelsOrValue)?.inc(value);
  }

  dec(labelsOrValue?: LabelValues | number, value?: number): void {
    if (labelsOrValue === undefined || typeof labelsOrValue === 'number') this.seriesFor(undefined)?.dec(labelsOrValue);
    else this.seriesFor(labelsOrValue)?.dec(value);
  }

  labels(labels: LabelValues): GaugeSeries {
    return this.seriesFor(labels) ?? DROPPED;
  }

  get(labels?: LabelValues): number {
    return this.seriesFor(labels)?.value ?? 0;
  }

  override collect(): void | Promise<void> {
    const onCollect = this.onCollect;
    if (onCollect !== null) return onCollect.call(this, this);
  }

  protected newSeries(): GaugeSeries {
    return new GaugeSeries(this.name);
  }

  protected snapshotSeries(s: GaugeSeries, labelValues: readonly string[], key: string): SeriesSnapshot {
    return { labelValues, key, value: s.value, counts: null, sum: 0, count: 0 };
  }
}
