import { ANOMALY_METRICS } from '../anomaly/model.js';
import type { CollectorContext } from '../server/context.js';
import { integer, ParamError, parseRange, rangeInfo } from './params.js';
import type { QueryRequest } from './routes.js';

function minScore(query: URLSearchParams): number {
  const raw = query.get('minScore');
  if (raw === null || raw === '') return 0;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value > 100) throw new ParamError(`minScore must be a number from 0 to 100, got ${JSON.stringify(raw)}`);
  return value;
}

const MAX_METRIC_NAME = 1024;

/** A transaction metric (ANOMALY_METRICS) or a watched metric series' name. */
function metric(query: URLSearchParams): string | undefined {
  const raw = query.get('metric');
  if (raw === null || raw === '') return undefined;
  // eslint-disable-next-line no-control-regex
  if (raw.length > MAX_METRIC_NAME || /[\u0000-\u001f]/.test(raw)) {
    throw new ParamError(`metric must be one of ${ANOMALY_METRICS.join(', ')} or a metric's name (at most ${MAX_METRIC_NAME} characters)`);
  }
  return raw;
}

function kind(query: URLSearchParams): 'transaction' | 'metric' | undefined {
  const raw = query.get('kind');
  if (raw === null || raw === '') return undefined;
  if (raw !== 'transaction' && raw !== 'metric') throw new ParamError(`kind must be transaction or metric, got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * GET /api/v1/anomalies: anomaly records, newest bucket first. Each carries the series
 * (service, environment, transaction type and name, metric; or for a watched metric series
 * its metric name and label set, the transaction fields null), its bucket, score,
 * probability, typical and actual values, and for latency the span types behind it; the
 * flat `timestampMs`, `metric` and `transaction` are what the UI places marks by.
 */
export async function anomalies(ctx: CollectorContext, { query }: QueryRequest): Promise<unknown> {
  const range = parseRange(query);
  const filter = {
    fromMs: range.fromMs,
    toMs: range.toMs,
    service: range.service,
    environment: range.environment,
    transactionName: query.get('transaction') || undefined,
    metric: metric(query),
    kind: kind(query),
    minScore: minScore(query),
    limit: integer(query, 'limit', 100, 1, 1000),
  };
  const records = await ctx.store.anomalies.anomalies(filter);
  return {
    range: rangeInfo(range),
    detection: ctx.options.anomalies
      ? {
        enabled: true, bucketMs: ctx.options.anomalyBucketMs, threshold: ctx.options.anomalyThreshold, warmupBuckets: ctx.options.anomalyWarmup,
        metrics: ctx.options.anomalyMetrics,
      }
      : { enabled: false },
    items: records.map((r) => ({
      score: r.score,
      probability: r.probability,
      series: r.labels !== undefined && r.labels !== null
        ? {
          kind: 'metric', service: r.service, environment: r.environment === '' ? null : r.environment,
          transactionType: null, transactionName: null, metric: r.metric, labels: r.labels,
        }
        : {
          kind: 'transaction', service: r.service, environment: r.environment === '' ? null : r.environment,
          transactionType: r.transactionType, transactionName: r.transactionName, metric: r.metric,
        },
      bucketStartMs: r.bucketStartMs,
      bucketMs: r.bucketMs,
      typical: r.typical,
      actual: r.actual,
      explanation: r.explanation,
      timestampMs: r.bucketStartMs,
      metric: r.metric,
      transaction: r.labels !== undefined && r.labels !== null ? null : r.transactionName,
    })),
  };
}
