/**
 * The prom-client bridge: an app that already keeps its metrics in a prom-client registry
 * ships them as they are. On each report the registry's `getMetricsAsJSON()` is read and
 * turned into snapshots (histograms back into per-bucket counts, summaries into gauges
 * per quantile plus `_sum` and `_count` counters). prom-client itself is never imported:
 * the registry is recognised by its method.
 */
import { invalidArgument, type FamilySnapshot, type MetricType, type SeriesSnapshot } from './registry.js';
import type { MetricSource } from './reporter.js';

/** The part of a prom-client Registry the bridge uses. */
export interface PromClientRegistry {
  getMetricsAsJSON(): Promise<ReadonlyArray<PromMetricJson>>;
}

interface PromMetricJson {
  name: string;
  help: string;
  type: string | number;
  values: ReadonlyArray<{ value: number; labels?: Readonly<Record<string, string | number | undefined>>; metricName?: string }>;
}

const registries = new Map<PromClientRegistry, MetricSource>();
let nextId = 1;

/** Ships `registry`'s metrics with the agent's, from now on; returns the function that stops it. */
export function addPromClientRegistry(registry: PromClientRegistry): () => void {
  if (registry === null || typeof registry !== 'object' || typeof (registry as { getMetricsAsJSON?: unknown }).getMetricsAsJSON !== 'function') {
    throw invalidArgument('addPromClientRegistry() takes a prom-client Registry (e.g. `register` from "prom-client")');
  }
  if (!registries.has(registry)) {
    const id = `prom-client#${nextId++}`;
    registries.set(registry, { id, collect: async () => fromPromClient(await registry.getMetricsAsJSON()) });
  }
  return () => {
    registries.delete(registry);
  };
}

export function promClientSources(): MetricSource[] {
  return [...registries.values()];
}

const TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'counter', 1: 'gauge', 2: 'histogram', 3: 'summary' };

/** prom-client's JSON as snapshots. */
export function fromPromClient(metrics: ReadonlyArray<PromMetricJson>): FamilySnapshot[] {
  const out: FamilySnapshot[] = [];
  for (const m of metrics) {
    const type = typeof m.type === 'number' ? TYPE_NAMES[m.type] : m.type;
    const values = Array.isArray(m.values) ? m.values : [];
    if (type === 'counter' || type === 'gauge') out.push(plain(m.name, m.help, type, values));
    else if (type === 'histogram') out.push(histogram(m, values));
    else if (type === 'summary') {
      out.push(plain(m.name, m.help, 'gauge', values.filter((v) => v.metricName === undefined || v.metricName === m.name)));
      out.push(plain(`${m.name}_sum`, m.help, 'counter', values.filter((v) => v.metricName === `${m.name}_sum`)));
      out.push(plain(`${m.name}_count`, m.help, 'counter', values.filter((v) => v.metricName === `${m.name}_count`)));
    }
  }
  return out;
}

type Values = PromMetricJson['values'];

function labelNamesOf(values: Values, skip: string): string[] {
  const names = new Set<string>();
  for (const v of values) for (const k of Object.keys(v.labels ?? {})) if (k !== skip) names.add(k);
  return [...names].sort();
}

function labelValuesOf(names: readonly string[], labels: Readonly<Record<string, unknown>> | undefined): string[] {
  return names.map((n) => (labels?.[n] === undefined ? '' : String(labels[n])));
}

function plain(name: string, help: string, type: MetricType, values: Values): FamilySnapshot {
  const labelNames = labelNamesOf(values, '');
  const series: SeriesSnapshot[] = values.map((v) => {
    const labelValues = labelValuesOf(labelNames, v.labels);
    return { labelValues, key: labelValues.join('\u0000'), value: Number(v.value), counts: null, sum: 0, count: 0 };
  });
  return { name, help, type, unit: null, labelNames, buckets: null, series };
}

function histogram(m: PromMetricJson, values: Values): FamilySnapshot {
  const labelNames = labelNamesOf(values, 'le');
  const bounds = new Set<number>();
  for (const v of values) {
    const le = v.labels?.le;
    if (v.metricName === `${m.name}_bucket` && le !== '+Inf' && le !== undefined) bounds.add(Number(le));
  }
  const buckets = [...bounds].sort((a, b) => a - b);
  const bySeries = new Map<string, { labelValues: string[]; cumulative: number[]; sum: number; count: number }>();
  for (const v of values) {
    const labelValues = labelValuesOf(labelNames, v.labels);
    const key = labelValues.join('\u0000');
    let s = bySeries.get(key);
    if (s === undefined) {
      s = { labelValues, cumulative: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 };
      bySeries.set(key, s);
    }
    if (v.metricName === `${m.name}_sum`) s.sum = v.value;
    else if (v.metricName === `${m.name}_count`) s.count = v.value;
    else if (v.metricName === `${m.name}_bucket`) {
      const le = v.labels?.le;
      const i = le === '+Inf' ? buckets.length : buckets.indexOf(Number(le));
      if (i >= 0) s.cumulative[i] = v.value;
    }
  }
  const series: SeriesSnapshot[] = [];
  for (const [key, s] of bySeries) {
    const counts = s.cumulative.map((c, i) => (i === 0 ? c : c - s.cumulative[i - 1]!));
    series.push({ labelValues: s.labelValues, key, value: 0, counts, sum: s.sum, count: s.count });
  }
  return { name: m.name, help: m.help, type: 'histogram', unit: null, labelNames, buckets, series };
}
