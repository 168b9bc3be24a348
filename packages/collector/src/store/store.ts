import type { EventBatch } from '../model/event.js';

/** Filters shared by every query; times are epoch milliseconds, `to` exclusive. */
export interface RangeFilter {
  fromMs: number;
  toMs: number;
  service?: string | undefined;
  environment?: string | undefined;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface ServiceSummary {
  name: string;
  environments: string[];
  transactionCount: number;
  errorCount: number;
  lastSeenMs: number;
}

export interface TransactionGroup {
  name: string;
  type: string;
  count: number;
  /** Transactions per minute over the requested range. */
  throughputPerMin: number;
  /** Share of transactions whose outcome is failure, 0..1. */
  errorRate: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  sampleTraceId: string;
}

export interface TimeseriesPoint {
  timestampMs: number;
  count: number;
  throughputPerMin: number;
  errorRate: number;
  avgMs: number | null;
  p95Ms: number | null;
}

export interface DistributionBucket {
  /** Bucket bounds in ms; a duration d falls in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  count: number;
  sampleTraceId: string;
}

export interface TraceEvent {
  kind: 'transaction' | 'span' | 'error';
  /** The full event as received, with service and timestamp applied. */
  doc: Record<string, unknown>;
}

export interface Trace {
  traceId: string;
  transactions: Record<string, unknown>[];
  spans: Record<string, unknown>[];
  errors: Record<string, unknown>[];
}

export interface ErrorGroup {
  groupId: string;
  service: string;
  type: string;
  message: string;
  culprit: string;
  count: number;
  handled: boolean | null;
  firstSeenMs: number;
  lastSeenMs: number;
}

export interface ErrorGroupDetail extends ErrorGroup {
  latest: Record<string, unknown>;
}

export interface MetricPoint {
  timestampMs: number;
  name: string;
  value: number | null;
  labels: Record<string, unknown>;
}

export interface MetricFilter extends RangeFilter {
  name?: string | undefined;
}

/**
 * Everything the collector needs from a database. SQLite and PostgreSQL both implement it
 * and are held to it by one shared test suite (test/store-suite.ts).
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  write(batch: EventBatch): Promise<void>;
  services(filter: RangeFilter, page: Page): Promise<ServiceSummary[]>;
  transactionGroups(filter: RangeFilter & { service: string }, page: Page): Promise<TransactionGroup[]>;
  transactionTimeseries(
    filter: RangeFilter & { service: string; name: string },
    intervalMs: number,
  ): Promise<TimeseriesPoint[]>;
  transactionDistribution(filter: RangeFilter & { service: string; name: string }): Promise<DistributionBucket[]>;
  slowestTransactions(filter: RangeFilter, page: Page): Promise<Record<string, unknown>[]>;
  trace(traceId: string): Promise<Trace | null>;
  errorGroups(filter: RangeFilter, page: Page): Promise<ErrorGroup[]>;
  errorGroup(groupId: string, filter: RangeFilter): Promise<ErrorGroupDetail | null>;
  metricSeries(filter: MetricFilter, page: Page): Promise<MetricPoint[]>;
  /** Deletes every event older than the cutoff; returns how many rows went. */
  deleteOlderThan(cutoffMs: number): Promise<number>;
  close(): Promise<void>;
}
