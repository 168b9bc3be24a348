/**
 * Family snapshots to intake metricsets. One metricset per source and label set (Elastic
 * groups samples that share tags); the labels transaction_name/transaction_type and
 * span_type/span_subtype become the metricset's `transaction` and `span`, the rest its tags.
 * Counters and histograms carry what was added since the last report (a delta, as Elastic's
 * own transaction and breakdown metrics do); gauges carry their value. A metricset in which
 * nothing happened since the last report is not sent.
 */
import type { FamilySnapshot, SeriesSnapshot } from './registry.js';

export interface Sample {
  type?: string;
  unit?: string;
  value?: number;
  values?: number[];
  counts?: number[];
}

export interface Metricset {
  timestamp: number;
  tags?: Record<string, string>;
  transaction?: { name?: string; type?: string };
  span?: { type?: string; subtype?: string };
  samples: Record<string, Sample>;
}

/** Units as the intake names them; others are passed through (and ignored by Elastic). */
const ELASTIC_UNITS: Readonly<Record<string, string>> = {
  seconds: 's',
  milliseconds: 'ms',
  microseconds: 'micros',
  nanoseconds: 'nanos',
  bytes: 'byte',
  ratio: 'percent',
};

interface Previous {
  value: number;
  counts: readonly number[] | null;
  sum: number;
  count: number;
}

interface Group {
  metricset: Metricset;
  active: boolean;
}

/** Remembers what each counter and histogram series was at the last report. */
export class DeltaTracker {
  private previous = new Map<string, Previous>();
  private next = new Map<string, Previous>();

  /** Starts a report: series not seen in it are forgotten at the end. */
  begin(): void {
    this.next = new Map();
  }

  end(): void {
    this.previous = this.next;
  }

  /** Keeps a source's last values through a report in which it could not be collected. */
  keep(source: string): void {
    const prefix = `${source}\u0000`;
    for (const [id, p] of this.previous) if (id.startsWith(prefix)) this.next.set(id, p);
  }

  take(id: string, s: SeriesSnapshot): Previous {
    const before = this.previous.get(id);
    this.next.set(id, { value: s.value, counts: s.counts, sum: s.sum, count: s.count });
    // A value that went down was reset (a restarted registry): everything now is new.
    if (before === undefined || s.value < before.value || s.count < before.count) return { value: s.value, counts: s.counts, sum: s.sum, count: s.count };
    return {
      value: s.value - before.value,
      counts: s.counts === null ? null : s.counts.map((c, i) => c - (before.counts?.[i] ?? 0)),
      sum: s.sum - before.sum,
      count: s.count - before.count,
    };
  }
}

/** Adds the metricsets of one source's families to `out`. */
export function toMetricsets(source: string, families: readonly FamilySnapshot[], deltas: DeltaTracker, timestampUs: number, out: Metricset[]): void {
  const groups = new Map<string, Group>();
  for (const f of families) {
    const unit = f.unit === null ? undefined : (ELASTIC_UNITS[f.unit] ?? f.unit);
    for (const s of f.series) {
      const group = groupFor(groups, f.labelNames, s.labelValues, timestampUs);
      const samples = group.metricset.samples;
      if (f.type === 'gauge') {
        if (!Number.isFinite(s.value)) continue;
        samples[f.name] = unit === undefined ? { type: 'gauge', value: s.value } : { type: 'gauge', unit, value: s.value };
        group.active = true;
        continue;
      }
      const d = deltas.take(`${source}\u0000${f.name}\u0000${s.key}`, s);
      if (f.type === 'counter') {
        if (!Number.isFinite(d.value)) continue;
        samples[f.name] = unit === undefined ? { value: d.value } : { unit, value: d.value };
        if (d.value !== 0) group.active = true;
        continue;
      }
      const { values, counts } = histogramShape(f.buckets ?? [], d.counts ?? []);
      samples[f.name] = unit === undefined ? { type: 'histogram', values, counts } : { type: 'histogram', unit, values, counts };
      samples[`${f.name}_count`] = { value: d.count };
      if (Number.isFinite(d.sum)) samples[`${f.name}_sum`] = unit === undefined ? { value: d.sum } : { unit, value: d.sum };
      if (d.count !== 0) group.active = true;
    }
  }
  for (const g of groups.values()) if (g.active) out.push(g.metricset);
}

/**
 * The intake's histogram: each non-empty bucket as a representative value (its midpoint;
 * the first bucket's half its bound; the +Inf bucket's the last bound) and its count.
 */
export function histogramShape(bounds: readonly number[], counts: readonly number[]): { values: number[]; counts: number[] } {
  const values: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c <= 0) continue;
    let v: number;
    if (i >= bounds.length) v = bounds[bounds.length - 1] ?? 0;
    else if (i === 0) v = bounds[0]! > 0 ? bounds[0]! / 2 : bounds[0]!;
    else v = (bounds[i - 1]! + bounds[i]!) / 2;
    values.push(v);
    out.push(Math.round(c));
  }
  return { values, counts: out };
}

function groupFor(groups: Map<string, Group>, names: readonly string[], values: readonly string[], timestampUs: number): Group {
  let key = '';
  const order = names.length > 1 ? names.map((_, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : 1)) : names.map((_, i) => i);
  for (const i of order) key += `${names[i]}\u0001${values[i]}\u0000`;
  let g = groups.get(key);
  if (g !== undefined) return g;
  const metricset: Metricset = { timestamp: timestampUs, samples: {} };
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = values[i]!;
    switch (name) {
      case 'transaction_name':
        (metricset.transaction ??= {}).name = value;
        break;
      case 'transaction_type':
        (metricset.transaction ??= {}).type = value;
        break;
      case 'span_type':
        (metricset.span ??= {}).type = value;
        break;
      case 'span_subtype':
        if (value !== '') (metricset.span ??= {}).subtype = value;
        break;
      default:
        (metricset.tags ??= {})[name] = value;
    }
  }
  g = { metricset, active: false };
  groups.set(key, g);
  return g;
}
