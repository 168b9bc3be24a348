/**
 * Metric families keyed by name, each holding its series keyed by label set. A label set's
 * key (its values in label-name order, joined) is computed once when a caller binds it with
 * `labels()`, or per call when labels are passed inline. Snapshots are what the reporter
 * and the exposition read; they run gauges' collect callbacks first.
 */
import { SightlineError } from '../error-codes.js';
import { logger } from '../log.js';
import { checkLabelNames, checkMetricName } from './names.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type LabelValues = Readonly<Record<string, unknown>>;

/** One series at one moment: `value` for counters and gauges; `counts` (per bucket, the last for +Inf), `sum`, `count` for histograms. */
export interface SeriesSnapshot {
  readonly labelValues: readonly string[];
  readonly key: string;
  readonly value: number;
  readonly counts: readonly number[] | null;
  readonly sum: number;
  readonly count: number;
}

export interface FamilySnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly unit: string | null;
  readonly labelNames: readonly string[];
  /** Upper bounds, ascending, without +Inf; null unless a histogram. */
  readonly buckets: readonly number[] | null;
  readonly series: readonly SeriesSnapshot[];
}

export interface MetricOptions {
  name: string;
  help: string;
  /** e.g. `seconds`, `bytes`, `ratio`; the name should end with `_<unit>`. */
  unit?: string;
  labelNames?: readonly string[];
  /** Repair invalid names (`api.calls` -> `api_calls`) instead of throwing. */
  sanitize?: boolean;
}

const MAX_LABEL_VALUE = 1024;
const KEY_SEPARATOR = '\u0000';
const UNIT = /^[a-zA-Z0-9_]*$/;
const EMPTY: LabelValues = Object.freeze({});
/** Series per family at most; later label sets are dropped (and said once). */
export const MAX_SERIES = 2000;

/** Anything a caller passes becomes a label value; never throws. */
export function labelValue(v: unknown): string {
  if (typeof v === 'string') {
    const s = v.length > MAX_LABEL_VALUE ? v.slice(0, MAX_LABEL_VALUE) : v;
    return s.includes(KEY_SEPARATOR) ? s.replaceAll(KEY_SEPARATOR, '') : s;
  }
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return labelValue(String(v));
  } catch {
    return '[unprintable]';
  }
}

export function invalidArgument(message: string): SightlineError {
  return new SightlineError('SIGHTLINE_ERR_INVALID_ARGUMENT', message);
}

export abstract class Family<S> {
  readonly name: string;
  readonly help: string;
  readonly unit: string | null;
  readonly labelNames: readonly string[];
  abstract readonly type: MetricType;
  protected readonly series = new Map<string, S>();
  private readonly seriesValues = new Map<string, readonly string[]>();
  /** The one series of a family without labels, once used. */
  private single: S | null = null;

  constructor(opts: MetricOptions) {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('a metric is defined with an options object: { name, help, labelNames? }');
    const sanitize = opts.sanitize === true;
    this.name = checkMetricName(opts.name, sanitize);
    if (typeof opts.help !== 'string') throw invalidArgument(`metric ${this.name}: \`help\` must be a string saying what it measures`);
    this.help = opts.help;
    if (opts.unit !== undefined && (typeof opts.unit !== 'string' || !UNIT.test(opts.unit))) {
      throw invalidArgument(`metric ${this.name}: \`unit\` must be a word such as "seconds" or "bytes"`);
    }
    this.unit = opts.unit || null;
    this.labelNames = Object.freeze(checkLabelNames(this.name, opts.labelNames, sanitize));
  }

  protected abstract newSeries(): S;
  protected abstract snapshotSeries(series: S, labelValues: readonly string[], key: string): SeriesSnapshot;

  /** The series for a label set (created on first use); null when the family is full. Never throws. */
  seriesFor(labels: LabelValues | null | undefined): S | null {
    if (this.single !== null) return this.single;
    const names = this.labelNames;
    if (names.length === 0) return (this.single = this.addSeries('', EMPTY));
    const src = labels !== null && typeof labels === 'object' ? labels : EMPTY;
    let key = labelValue(src[names[0]!]);
    for (let i = 1; i < names.length; i++) key += KEY_SEPARATOR + labelValue(src[names[i]!]);
    const found = this.series.get(key);
    if (found !== undefined) return found;
    return this.addSeries(key, src);
  }

  private addSeries(key: string, src: LabelValues): S | null {
    if (this.series.size >= MAX_SERIES) {
      logger.once('warn', `metrics-cardinality:${this.name}`, `metric ${this.name} has ${MAX_SERIES} label sets; new ones are dropped (a label with unbounded values?)`);
      return null;
    }
    for (const k of Object.keys(src)) {
      if (!this.labelNames.includes(k)) {
        logger.once('warn', `metrics-label:${this.name}:${k}`, `metric ${this.name} has no label "${k}" (labelNames: ${this.labelNames.join(', ') || 'none'}); it is ignored`);
      }
    }
    const values = this.labelNames.map((n) => labelValue(src[n]));
    const s = this.newSeries();
    this.series.set(key, s);
    this.seriesValues.set(key, values);
    return s;
  }

  /** Runs before a snapshot (a gauge's collect callback). */
  collect(): void | Promise<void> {}

  snapshot(): FamilySnapshot {
    if (this.labelNames.length === 0) this.seriesFor(EMPTY);
    const series: SeriesSnapshot[] = [];
    for (const [key, s] of this.series) series.push(this.snapshotSeries(s, this.seriesValues.get(key)!, key));
    return { name: this.name, help: this.help, type: this.type, unit: this.unit, labelNames: this.labelNames, buckets: this.bucketBounds(), series };
  }

  protected bucketBounds(): readonly number[] | null {
    return null;
  }

  /** Forgets every series (a test's fresh start). */
  reset(): void {
    this.single = null;
    this.series.clear();
    this.seriesValues.clear();
  }
}

export class Registry {
  private readonly families = new Map<string, Family<unknown>>();

  /** Registers `created()` under its name; the same definition again returns the first one. */
  getOrCreate<F extends Family<unknown>>(created: F): F {
    const existing = this.families.get(created.name);
    if (existing === undefined) {
      this.families.set(created.name, created);
      return created;
    }
    if (existing.type === created.type && existing.constructor === created.constructor && sameList(existing.labelNames, created.labelNames)) {
      return existing as F;
    }
    throw invalidArgument(
      `metric ${created.name} is already defined as a ${existing.type} with labels [${existing.labelNames.join(', ')}]; ` +
        'define each metric once and share it',
    );
  }

  get(name: string): Family<unknown> | undefined {
    return this.families.get(name);
  }

  remove(name: string): boolean {
    return this.families.delete(name);
  }

  /** Every family's snapshot, after running collect callbacks (a failing one is said once and skipped). */
  async collect(): Promise<FamilySnapshot[]> {
    const out: FamilySnapshot[] = [];
    for (const family of this.families.values()) {
      try {
        const pending = family.collect();
        if (pending !== undefined) await withTimeout(pending, COLLECT_TIMEOUT_MS, `collect callback of metric ${family.name}`);
      } catch (err) {
        logger.once('warn', `metrics-collect:${family.name}`, `collect callback of metric ${family.name} failed: ${(err as Error)?.message ?? err}`);
      }
      out.push(family.snapshot());
    }
    return out;
  }
}

/** A collect callback (or a bridged registry) that takes longer is not waited for: a report must not hang. */
export const COLLECT_TIMEOUT_MS = 2000;

export function withTimeout<T>(pending: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The app's own metrics (`metrics.counter()` …): one per process, defined before or after start(). */
export const userRegistry = new Registry();
