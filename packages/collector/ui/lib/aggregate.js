// Service-wide numbers put together from the per-group answers of the query API, which
// has no service-level time series or distribution of its own.
import { pooled } from './api.js';

/** Groups beyond this many (by count) are left out of service-wide charts and p95. */
export const MAX_GROUPS = 20;
const CONCURRENCY = 6;

const enc = encodeURIComponent;

/** count-weighted error rate over groups, 0..1, or null with no transactions. */
export function weightedErrorRate(groups) {
  let total = 0;
  let failures = 0;
  for (const g of groups) {
    total += g.count;
    failures += g.count * g.errorRate;
  }
  return total === 0 ? null : failures / total;
}

/** The busiest groups, the ones service-wide figures are built from. */
export function topGroups(groups) {
  return groups.slice().sort((a, b) => b.count - a.count).slice(0, MAX_GROUPS);
}

/**
 * Merges latency buckets (the same log-scale bounds for every group) and reads a
 * nearest-rank percentile as the bucket's geometric middle, as the collector does.
 */
export function percentileFromBuckets(buckets, quantile) {
  const merged = new Map();
  for (const b of buckets) {
    const entry = merged.get(b.fromMs);
    if (entry) entry.count += b.count;
    else merged.set(b.fromMs, { fromMs: b.fromMs, toMs: b.toMs, count: b.count });
  }
  const sorted = [...merged.values()].sort((a, b) => a.fromMs - b.fromMs);
  const total = sorted.reduce((sum, b) => sum + b.count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(quantile * total));
  let seen = 0;
  for (const b of sorted) {
    seen += b.count;
    if (seen >= rank) return b.fromMs > 0 ? Math.sqrt(b.fromMs * b.toMs) : b.toMs / 2;
  }
  return null;
}

/**
 * Sums the time series of several groups slot by slot: throughput adds up, error rate
 * and average latency are weighted by count, and p95 is the slowest group's.
 * @returns {Array<{ timestampMs: number, count: number, throughputPerMin: number, errorRate: number | null, avgMs: number | null, p95Ms: number | null }>}
 */
export function combineTimeseries(seriesList) {
  const slots = new Map();
  for (const series of seriesList) {
    for (const p of series) {
      let slot = slots.get(p.timestampMs);
      if (!slot) {
        slot = { timestampMs: p.timestampMs, count: 0, throughputPerMin: 0, failures: 0, totalMs: 0, p95Ms: null };
        slots.set(p.timestampMs, slot);
      }
      slot.count += p.count;
      slot.throughputPerMin += p.throughputPerMin;
      slot.failures += p.count * p.errorRate;
      if (p.avgMs !== null) slot.totalMs += p.count * p.avgMs;
      if (p.p95Ms !== null && (slot.p95Ms === null || p.p95Ms > slot.p95Ms)) slot.p95Ms = p.p95Ms;
    }
  }
  return [...slots.values()].sort((a, b) => a.timestampMs - b.timestampMs).map((s) => ({
    timestampMs: s.timestampMs,
    count: s.count,
    throughputPerMin: s.throughputPerMin,
    errorRate: s.count === 0 ? null : s.failures / s.count,
    avgMs: s.count === 0 ? null : s.totalMs / s.count,
    p95Ms: s.p95Ms,
  }));
}

/** GET …/transactions for one service, every group (up to 1000). */
export async function fetchGroups(ctx, service) {
  const body = await ctx.api(`/services/${enc(service)}/transactions?${ctx.range.params}&limit=1000`);
  return body.items;
}

export function fetchTimeseries(ctx, service, name) {
  return ctx.api(`/services/${enc(service)}/transactions/${enc(name)}/timeseries?${ctx.range.params}`).then((b) => b.points);
}

export function fetchDistribution(ctx, service, name) {
  return ctx.api(`/services/${enc(service)}/transactions/${enc(name)}/distribution?${ctx.range.params}`).then((b) => b.buckets);
}

/** Service-wide time series from its busiest groups. */
export async function serviceTimeseries(ctx, service, groups) {
  const series = await pooled(topGroups(groups), CONCURRENCY, (g) => fetchTimeseries(ctx, service, g.name));
  return combineTimeseries(series);
}

/** Service-wide p95 from the merged distributions of its busiest groups. */
export async function serviceP95(ctx, service, groups) {
  const lists = await pooled(topGroups(groups), CONCURRENCY, (g) => fetchDistribution(ctx, service, g.name));
  return percentileFromBuckets(lists.flat(), 0.95);
}
