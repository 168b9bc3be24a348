import type { AnomalyStore, GroupKey } from '../store/anomaly-store.js';

/** One span type's part in a latency change, per transaction of the group. */
export interface SpanTypeChange {
  spanType: string;
  typicalMs: number;
  actualMs: number;
  /** This type's share of the change in mean latency (of the rises, for a rise). */
  share: number;
}

/** Buckets before the anomaly's run that make its baseline. */
export const BASELINE_BUCKETS = 10;
const MAX_BASELINE_MS = 30 * 60_000;
const MAX_TYPES = 3;
const round = (ms: number): number => Math.round(ms * 100) / 100;

/**
 * Which span types account for a latency anomaly: self time per transaction by span type
 * in the anomalous bucket against the buckets before its run began (so a long run is still
 * compared with what was normal). Types whose share of the change is under 10% are left out.
 */
export async function explainLatency(
  store: AnomalyStore, key: GroupKey, bucketStartMs: number, bucketMs: number, runStartMs: number, direction: 'up' | 'down',
): Promise<SpanTypeChange[]> {
  const baselineMs = Math.min(BASELINE_BUCKETS * bucketMs, MAX_BASELINE_MS);
  const [actual, typical] = await Promise.all([
    store.selfTime(key, bucketStartMs, bucketStartMs + bucketMs),
    store.selfTime(key, runStartMs - baselineMs, runStartMs),
  ]);
  if (actual.transactions === 0 || typical.transactions === 0) return [];
  const types = new Set([...actual.byType.keys(), ...typical.byType.keys()]);
  const changes = [...types].map((spanType) => {
    const actualMs = (actual.byType.get(spanType) ?? 0) / actual.transactions;
    const typicalMs = (typical.byType.get(spanType) ?? 0) / typical.transactions;
    return { spanType, typicalMs, actualMs, delta: actualMs - typicalMs };
  });
  const sign = direction === 'up' ? 1 : -1;
  const total = changes.reduce((sum, c) => sum + Math.max(0, sign * c.delta), 0);
  if (total <= 0) return [];
  return changes
    .map((c) => ({ spanType: c.spanType, typicalMs: round(c.typicalMs), actualMs: round(c.actualMs), share: Math.round((Math.max(0, sign * c.delta) / total) * 100) / 100 }))
    .filter((c) => c.share >= 0.1)
    .sort((a, b) => b.share - a.share)
    .slice(0, MAX_TYPES);
}
