/**
 * The rows the collector stores. Both intake formats (Elastic intake v2 and OTLP) are
 * mapped onto these; `doc` keeps the whole event as JSON so nothing the agent sent is lost.
 * Times are epoch microseconds, durations milliseconds, as in the intake v2 schema.
 */
export interface TransactionRow {
  id: string;
  traceId: string;
  parentId: string | null;
  service: string;
  environment: string | null;
  name: string;
  type: string;
  result: string | null;
  outcome: string;
  timestampUs: number;
  durationMs: number;
  sampled: boolean;
  doc: string;
}

export interface SpanRow {
  id: string;
  traceId: string;
  transactionId: string | null;
  parentId: string | null;
  service: string;
  environment: string | null;
  name: string;
  type: string;
  subtype: string | null;
  action: string | null;
  outcome: string;
  timestampUs: number;
  durationMs: number;
  doc: string;
}

export interface ErrorRow {
  id: string;
  traceId: string | null;
  transactionId: string | null;
  parentId: string | null;
  service: string;
  environment: string | null;
  fingerprint: string;
  exceptionType: string;
  message: string;
  culprit: string;
  handled: boolean | null;
  timestampUs: number;
  doc: string;
}

export interface MetricRow {
  service: string;
  environment: string | null;
  name: string;
  /** Gauges and counters carry a value; histograms a null value and their buckets in doc. */
  value: number | null;
  labels: string;
  timestampUs: number;
  doc: string;
}

export interface LogRow {
  service: string;
  environment: string | null;
  level: string | null;
  message: string;
  traceId: string | null;
  timestampUs: number;
  doc: string;
}

/** What one write to the store carries; any of the lists may be empty. */
export interface EventBatch {
  transactions: TransactionRow[];
  spans: SpanRow[];
  errors: ErrorRow[];
  metrics: MetricRow[];
  logs: LogRow[];
}

export type EventKind = 'transaction' | 'span' | 'error' | 'metricset' | 'log';

export function emptyBatch(): EventBatch {
  return { transactions: [], spans: [], errors: [], metrics: [], logs: [] };
}

export function batchSize(batch: EventBatch): number {
  return (
    batch.transactions.length + batch.spans.length + batch.errors.length + batch.metrics.length + batch.logs.length
  );
}
