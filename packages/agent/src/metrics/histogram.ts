/**
 * A histogram: observations counted into fixed buckets (upper bounds, `le`), with their sum
 * and count. Buckets are kept per bucket here; the exposition makes them cumulative and
 * the metricsets send each bucket's own count, as the intake's histogram shape wants.
 */
import { performance } from 'node:perf_hooks';
import { logger } from '../log.js';
import { Family, invalidArgument, type LabelValues, type MetricOptions, type SeriesSnapshot } from './registry.js';

/** Prometheus' default buckets, in seconds: 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

export class HistogramSeries {
  /** One per bucket, the last for observations above every bound (+Inf). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    private readonly metric: string,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts `value`; a NaN or non-number is ignored and said once. Never throws. */
  observe(value: number): void {
    if (typeof value !== 'number' || value !== value) {
      logger.once('warn', `metrics-observe:${this.metric}`, `histogram ${this.metric}: observe(${String(value)}) ignored; pass a number`);
      return;
    }
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Starts a timer; calling what it returns observes the seconds since, and returns them. */
  startTimer(): () => number {
    const t0 = performance.now();
    return () => {
      const seconds = (performance.now() - t0) / 1000;
      this.observe(seconds);
      return seconds;
    };
  }
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, ascending; +Inf is implied. Default: DEFAULT_BUCKETS (seconds). */
  buckets?: readonly number[];
}

export function checkBuckets(metric: string, buckets: unknown): readonly number[] {
  if (buckets === undefined) return DEFAULT_BUCKETS;
  if (!Array.isArray(buckets)) throw invalidArgument(`histogram ${metric}: \`buckets\` must be an array of numbers in ascending order`);
  const out = buckets[buckets.length - 1] === Infinity ? buckets.slice(0, -1) : buckets.slice();
  if (out.length === 0) throw invalidArgument(`histogram ${metric}: \`buckets\` needs at least one finite upper bound`);
  for (let i = 0; i < out.length; i++) {
    const b = out[i];
    if (typeof b !== 'number' || !Number.isFinite(b)) throw invalidArgument(`histogram ${metric}: bucket ${String(b)} is not a finite number`);
    if (i > 0 && b <= out[i - 1]) throw invalidArgument(`histogram ${metric}: buckets must be strictly ascending (${out[i - 1]} then ${b})`);
  }
  return Object.freeze(out as number[]);
}

/** `count` buckets from `start`, `width` apart. */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!(width > 0) || !(count >= 1)) throw invalidArgument('linearBuckets(start, width, count) needs width > 0 and count >= 1');
  return Array.from({ length: count }, (_, i) => start + i * width);
}

/** `count` buckets from `start`, each `factor` times the one before. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !(count >= 1)) throw invalidArgument('exponentialBuckets(start, factor, count) needs start > 0, factor > 1 and count >= 1');
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

const NO_BOUNDS: readonly number[] = [];
const DROPPED = new HistogramSeries('(dropped)', NO_BOUNDS);
DROPPED.observe = () => {};

export class Histogram extends Family<HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly buckets: readonly number[];

  constructor(opts: HistogramOptions) {
    super(opts);
    this.buckets = checkBuckets(this.name, opts.buckets);
  }

  /** `observe(0.2)` or `observe({ route: '/users' }, 0.2)`. Never throws. */
  observe(labelsOrValue: LabelValues | number, value?: number): void {
    if (typeof labelsOrValue === 'number') this.seriesFor(undefined)?.observe(labelsOrValue);
    else this.seriesFor(labelsOrValue)?.observe(value as number);
  }

  /** `const end = h.startTimer({ route }); …; end({ code: 200 })` observes the seconds in between. */
  startTimer(labels?: LabelValues): (endLabels?: LabelValues) => number {
    const t0 = performance.now();
    return (endLabels?: LabelValues) => {
      const seconds = (performance.now() - t0) / 1000;
      this.seriesFor(endLabels === undefined ? labels : { ...labels, ...endLabels })?.observe(seconds);
      return seconds;
    };
  }

  labels(labels: LabelValues): HistogramSeries {
    return this.seriesFor(labels) ?? DROPPED;
  }

  protected newSeries(): HistogramSeries {
    return new HistogramSeries(this.name, this.buckets);
  }

  protected override bucketBounds(): readonly number[] {
    return this.buckets;
  }

  protected snapshotSeries(s: HistogramSeries, labelValues: readonly string[], key: string): SeriesSnapshot {
    return { labelValues, key, value: 0, counts: s.counts.slice(), sum: s.sum, count: s.count };
  }
}
