import { percentilesFromBuckets } from './duration-buckets.js';

/**
 * A latency histogram: transaction counts per log-scale duration bucket
 * (duration-buckets.ts). Rollup rows store it as a JSON object, `{"161":3,"175":1}`,
 * which both SQLite and PostgreSQL can merge in an upsert and any client can read.
 */
export type Histogram = Map<number, number>;

export function addCount(histogram: Histogram, bucket: number, count: number): void {
  histogram.set(bucket, (histogram.get(bucket) ?? 0) + count);
}

export function mergeInto(target: Histogram, source: Histogram): void {
  for (const [bucket, count] of source) addCount(target, bucket, count);
}

export function encodeHistogram(histogram: Histogram): string {
  let text = '{';
  for (const [bucket, count] of histogram) text += `${text.length === 1 ? '' : ','}"${bucket}":${count}`;
  return `${text}}`;
}

/** Adds the stored histogram (JSON text, or an object when the driver parsed it) into `target`. */
export function decodeInto(target: Histogram, stored: unknown): void {
  if (stored === null || stored === undefined) return;
  const object = (typeof stored === 'string' ? JSON.parse(stored) : stored) as Record<string, number>;
  for (const key in object) addCount(target, Number(key), Number(object[key]));
}

/**
 * The merge behind the SQLite upsert (PostgreSQL has the same in SQL): counts added per
 * bucket. Runs for every rollup row a write touches again, so it stays on plain objects.
 */
export function mergeEncoded(current: string | null, incoming: string | null): string {
  if (current === null) return incoming ?? '{}';
  if (incoming === null) return current;
  const merged = JSON.parse(current) as Record<string, number>;
  const added = JSON.parse(incoming) as Record<string, number>;
  for (const key in added) merged[key] = (merged[key] ?? 0) + added[key]!;
  return JSON.stringify(merged);
}

/** Buckets in ascending order, as percentilesFromBuckets wants them. */
export function sortedBuckets(histogram: Histogram): Array<{ bucket: number; count: number }> {
  return [...histogram].sort((a, b) => a[0] - b[0]).map(([bucket, count]) => ({ bucket, count }));
}

const QUANTILES = [0.5, 0.95, 0.99] as const;

/** p50, p95 and p99 in ms (bucket middles, ±2.2%); zeros for an empty histogram. */
export function percentiles(histogram: Histogram): [p50Ms: number, p95Ms: number, p99Ms: number] {
  const [p50, p95, p99] = percentilesFromBuckets(sortedBuckets(histogram), QUANTILES);
  return [p50!, p95!, p99!];
}
