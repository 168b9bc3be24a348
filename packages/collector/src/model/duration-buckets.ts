/**
 * Log-scale latency buckets, stored with each transaction so that percentiles and
 * distributions are one GROUP BY in any database (SQLite has no percentile function).
 * 16 buckets per doubling make each about 4.4% wide, so a percentile read from them is
 * within ±2.2% of the exact value.
 */
const BUCKETS_PER_DOUBLING = 16;

export function durationBucket(durationMs: number): number {
  const us = durationMs * 1000;
  if (!(us >= 1)) return 0;
  return 1 + Math.floor(Math.log2(us) * BUCKETS_PER_DOUBLING);
}

export function bucketLowerMs(bucket: number): number {
  return bucket <= 0 ? 0 : 2 ** ((bucket - 1) / BUCKETS_PER_DOUBLING) / 1000;
}

export function bucketUpperMs(bucket: number): number {
  return 2 ** (bucket / BUCKETS_PER_DOUBLING) / 1000;
}

/** The value reported for a bucket: the geometric middle of its bounds. */
export function bucketValueMs(bucket: number): number {
  return bucket <= 0 ? 0 : 2 ** ((bucket - 0.5) / BUCKETS_PER_DOUBLING) / 1000;
}

/**
 * Nearest-rank percentile over bucket counts sorted by bucket.
 * `quantiles` ascending, e.g. [0.5, 0.95, 0.99].
 */
export function percentilesFromBuckets(
  buckets: ReadonlyArray<{ bucket: number; count: number }>,
  quantiles: readonly number[],
): number[] {
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  const results: number[] = [];
  if (total === 0) return quantiles.map(() => 0);
  let cumulative = 0;
  let index = 0;
  for (const quantile of quantiles) {
    const rank = Math.max(1, Math.ceil(quantile * total));
    while (index < buckets.length && cumulative + buckets[index]!.count < rank) {
      cumulative += buckets[index]!.count;
      index += 1;
    }
    const bucket = buckets[Math.min(index, buckets.length - 1)]!.bucket;
    results.push(roundMs(bucketValueMs(bucket)));
  }
  return results;
}

export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
