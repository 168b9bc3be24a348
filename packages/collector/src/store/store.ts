import type { EventBatch } from '../model/event.js';
import type { AnomalyStore } from './anomaly-store.js';

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
  /** Transactions per minute over the requested range. */
  throughputPerMin: number;
  /** Share of transactions whose outcome is failure, 0..1. */
  errorRate: number;
  /** Latency over all the service's transactions; null without any. */
  avgMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Transactions per interval over the range, when asked for (`countsOverTime`). */
  countsOverTime?: number[];
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
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface DistributionBucket {
  /** Bucket bounds in ms; a duration d falls in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  count: number;
  /** The trace of the most recent transaction in the bucket (null only if retention just removed it). */
  sampleTraceId: string | null;
}

/** A transaction as listed (slowest, or samples of a latency bucket). */
export interface TransactionSummary {
  id: string;
  traceId: string;
  service: string;
  environment: string | null;
  name: string;
  type: string;
  result: string | null;
  outcome: string;
  timestampMs: number;
  durationMs: number;
}

export interface SampleFilter extends RangeFilter {
  service: string;
  name: string;
  /** Durations in [minMs, maxMs); either may be left open. */
  minMs?: number | undefined;
  maxMs?: number | undefined;
}

export interface ErrorCountPoint {
  timestampMs: number;
  count: number;
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
  /** Occurrences per interval from `from`, when asked for (errorGroups with intervalMs). */
  countsOverTime?: number[];
}

export interface ErrorGroupDetail extends ErrorGroup {
  latest: Record<string, unknown>;
}

export interface MetricPoint {
  timestampMs: number;
  name: string;
  value: number | null;
  labels: Record<string, unknown>;
  /** With an interval: samples averaged into this point (which starts the interval). */
  count?: number;
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
  /** The anomaly detector's models, progress and records. */
  readonly anomalies: AnomalyStore;
  write(batch: EventBatch): Promise<void>;
  services(filter: RangeFilter, page: Page, countsOverTimeMs?: number): Promise<ServiceSummary[]>;
  transactionGroups(filter: RangeFilter & { service: string }, page: Page): Promise<TransactionGroup[]>;
  transactionTimeseries(
    filter: RangeFilter & { service: string; name: string },
    intervalMs: number,
  ): Promise<TimeseriesPoint[]>;
  transactionDistribution(filter: RangeFilter & { service: string; name: string }): Promise<DistributionBucket[]>;
  /** Every transaction group of the service together. */
  serviceTimeseries(filter: RangeFilter & { service: string }, intervalMs: number): Promise<TimeseriesPoint[]>;
  serviceDistribution(filter: RangeFilter & { service: string }): Promise<DistributionBucket[]>;
  /** Transactions of one group with a duration in the bounds, most recent first. */
  transactionSamples(filter: SampleFilter, limit: number): Promise<TransactionSummary[]>;
  slowestTransactions(filter: RangeFilter, page: Page): Promise<TransactionSummary[]>;
  trace(traceId: string): Promise<Trace | null>;
  /** With `countsOverTimeMs`, each group carries its counts per interval of that length. */
  errorGroups(filter: RangeFilter, page: Page, countsOverTimeMs?: number): Promise<ErrorGroup[]>;
  errorGroup(groupId: string, filter: RangeFilter): Promise<ErrorGroupDetail | null>;
  /** Occurrences of one error group per interval; null for an unknown group. */
  errorTimeseries(groupId: string, filter: RangeFilter, intervalMs: number): Promise<ErrorCountPoint[] | null>;
  /** Samples in time order; with `intervalMs`, their average per interval, name and labels. */
  metricSeries(filter: MetricFilter, page: Page, intervalMs?: number): Promise<MetricPoint[]>;
  /** Deletes every event older than the cutoff; returns how many rows went. */
  deleteOlderThan(cutoffMs: number): Promise<number>;
  close(): Promise<void>;
}
