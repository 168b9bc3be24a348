/** A counter: a value that only goes up (requests served, bytes sent). */
import { logger } from '../log.js';
import { Family, type LabelValues, type MetricOptions, type SeriesSnapshot } from './registry.js';

export class CounterSeries {
  value = 0;
  constructor(private readonly metric: string) {}

  /** Adds `value` (default 1). A negative, NaN or non-number value is ignored and said once. */
  inc(value = 1): void {
    if (typeof value === 'number' && value >= 0 && value !== Infinity) {
      this.value += value;
      return;
    }
    logger.once('warn', `metrics-counter-inc:${this.metric}`, `counter ${this.metric}: inc(${String(value)}) ignored; a counter only goes up by a finite number >= 0`);
  }
}

/** What `labels()` returns when the family is full: takes calls, keeps nothing. */
const DROPPED = new CounterSeries('(dropped)');
DROPPED.inc = () => {};

export class Counter extends Family<CounterSeries> {
  readonly type = 'counter' as const;

  constructor(opts: MetricOptions) {
    super(opts);
  }

  /** `inc()`, `inc(5)`, `inc({ route: '/users' })`, `inc({ route: '/users' }, 5)`. Never throws. */
  inc(labelsOrValue?: LabelValues | number, value?: number): void {
    if (labelsOrValue === undefined || typeof labelsOrValue === 'number') {
      this.seriesFor(undefined)?.inc(labelsOrValue);
    } else {
      this.seriesFor(labelsOrValue)?.inc(value);
    }
  }

  /** The series for a label set, bound once: `const ok = c.labels({ code: '200' }); ok.inc();`. */
  labels(labels: LabelValues): CounterSeries {
    return this.seriesFor(labels) ?? DROPPED;
  }

  /** The current value for a label set (0 when never incremented). */
  get(labels?: LabelValues): number {
    return this.seriesFor(labels)?.value ?? 0;
  }

  protected newSeries(): CounterSeries {
    return new CounterSeries(this.name);
  }

  protected snapshotSeries(s: CounterSeries, labelValues: readonly string[], key: string): SeriesSnapshot {
    return { labelValues, key, value: s.value, counts: null, sum: 0, count: 0 };
  }
}
