import { parseMetricPatterns } from './anomaly/metric-patterns.js';
import { CollectorError } from './errors.js';

export interface CollectorOptions {
  host?: string;
  port?: number;
  /** A file path for SQLite, or a postgres:// URL. */
  db?: string;
  /** PostgreSQL schema to use (created if missing); lets tests and tenants share a database. */
  pgSchema?: string;
  /** Events older than this are deleted, e.g. '7d', '12h'; 0 or undefined keeps everything. */
  retention?: string | number;
  secretToken?: string;
  apiKeys?: string[];
  /** Longest accepted intake line, decompressed. APM Server's max_event_size default. */
  maxEventBytes?: number;
  /** Most decompressed bytes read from one request; stops decompression bombs. */
  maxRequestBytes?: number;
  /** Events the write queue holds before intake answers 503. */
  queueSize?: number;
  /** Events written per database transaction. */
  batchSize?: number;
  /** Longest an event waits in the queue for other intake requests still streaming; with none, it is written at once. */
  flushIntervalMs?: number;
  /** Seconds agents are told to wait (Retry-After) when the queue is full. */
  retryAfterSeconds?: number;
  /** A request body that sends nothing for this long is cut off (slowloris). */
  bodyTimeoutMs?: number;
  /** A client must send its request headers within this long. */
  headersTimeoutMs?: number;
  /** Anomaly detection on (default) or off. */
  anomalies?: boolean;
  /** Anomaly detection's bucket, e.g. '1m' (default), '5m', '10s'; at least 1s. */
  anomalyBucket?: string | number;
  /** Buckets with data a series needs before it may raise an anomaly (default 30). */
  anomalyWarmup?: number;
  /** Anomaly records are kept for scores at or above this, 0–100 (default 50). */
  anomalyThreshold?: number;
  /** How long after a bucket ends late events are waited for (default: half the bucket, at most 15s). */
  anomalyGrace?: string | number;
  /**
   * Metric series to watch for anomalies too, per service and label set: exact names or
   * prefixes ending in `*`, e.g. ['system.cpu.total.norm.pct', 'custom.*'], or one
   * comma-separated string (default none; at most 1000 series are watched).
   */
  anomalyMetrics?: string | readonly string[];
}

export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly db: string;
  readonly pgSchema: string | undefined;
  readonly retentionMs: number;
  readonly secretToken: string | undefined;
  readonly apiKeys: readonly string[];
  readonly maxEventBytes: number;
  readonly maxRequestBytes: number;
  readonly queueSize: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly retryAfterSeconds: number;
  readonly bodyTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly anomalies: boolean;
  readonly anomalyBucketMs: number;
  readonly anomalyWarmup: number;
  readonly anomalyThreshold: number;
  readonly anomalyGraceMs: number;
  readonly anomalyMetrics: readonly string[];
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8200,
  db: './sightline.db',
  maxEventBytes: 300 * 1024,
  maxRequestBytes: 64 * 1024 * 1024,
  queueSize: 20_000,
  batchSize: 1_000,
  flushIntervalMs: 20,
  retryAfterSeconds: 10,
  bodyTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  anomalyBucketMs: 60_000,
  anomalyWarmup: 30,
  anomalyThreshold: 50,
} as const;

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses '7d', '12h', '30m', '90s', '500ms' or a number of milliseconds. */
export function parseDurationMs(value: string | number, name = 'duration'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/.exec(String(value).trim());
  if (match === null) {
    throw new CollectorError(
      'SIGHTLINE_ERR_COLLECTOR_OPTION',
      `${name} must look like 7d, 12h, 30m, 90s or 500ms, got ${JSON.stringify(value)}`,
    );
  }
  return Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 'ms']!;
}

function positiveInt(value: number | undefined, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new CollectorError('SIGHTLINE_ERR_COLLECTOR_OPTION', `${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

export function resolveOptions(options: CollectorOptions = {}): ResolvedOptions {
  const port = options.port ?? DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CollectorError('SIGHTLINE_ERR_COLLECTOR_OPTION', `port must be 0-65535, got ${port}`);
  }
  const apiKeys = (options.apiKeys ?? []).filter((key) => key.length > 0);
  const anomalyBucketMs = options.anomalyBucket === undefined ? DEFAULTS.anomalyBucketMs : parseDurationMs(options.anomalyBucket, 'anomalyBucket');
  if (anomalyBucketMs < 1000 || anomalyBucketMs > 86_400_000 || !Number.isInteger(anomalyBucketMs)) {
    throw new CollectorError('SIGHTLINE_ERR_COLLECTOR_OPTION', `anomalyBucket must be a whole number of ms from 1s to 1d, got ${JSON.stringify(options.anomalyBucket)}`);
  }
  const anomalyThreshold = options.anomalyThreshold ?? DEFAULTS.anomalyThreshold;
  if (!(anomalyThreshold >= 0 && anomalyThreshold <= 100)) {
    throw new CollectorError('SIGHTLINE_ERR_COLLECTOR_OPTION', `anomalyThreshold must be from 0 to 100, got ${anomalyThreshold}`);
  }
  const secretToken = options.secretToken === '' ? undefined : options.secretToken;
  return Object.freeze({
    host: options.host ?? DEFAULTS.host,
    port,
    db: options.db ?? DEFAULTS.db,
    pgSchema: options.pgSchema,
    retentionMs: options.retention === undefined ? 0 : parseDurationMs(options.retention, 'retention'),
    secretToken,
    apiKeys: Object.freeze(apiKeys),
    maxEventBytes: positiveInt(options.maxEventBytes, DEFAULTS.maxEventBytes, 'maxEventBytes', 16),
    maxRequestBytes: positiveInt(options.maxRequestBytes, DEFAULTS.maxRequestBytes, 'maxRequestBytes', 1024),
    queueSize: positiveInt(options.queueSize, DEFAULTS.queueSize, 'queueSize'),
    batchSize: positiveInt(options.batchSize, DEFAULTS.batchSize, 'batchSize'),
    flushIntervalMs: positiveInt(options.flushIntervalMs, DEFAULTS.flushIntervalMs, 'flushIntervalMs'),
    retryAfterSeconds: positiveInt(options.retryAfterSeconds, DEFAULTS.retryAfterSeconds, 'retryAfterSeconds'),
    bodyTimeoutMs: positiveInt(options.bodyTimeoutMs, DEFAULTS.bodyTimeoutMs, 'bodyTimeoutMs'),
    headersTimeoutMs: positiveInt(options.headersTimeoutMs, DEFAULTS.headersTimeoutMs, 'headersTimeoutMs'),
    anomalies: options.anomalies ?? true,
    anomalyBucketMs,
    anomalyWarmup: positiveInt(options.anomalyWarmup, DEFAULTS.anomalyWarmup, 'anomalyWarmup', 0),
    anomalyThreshold,
    anomalyGraceMs: options.anomalyGrace === undefined
      ? Math.min(15_000, anomalyBucketMs / 2)
      : parseDurationMs(options.anomalyGrace, 'anomalyGrace'),
    anomalyMetrics: parseMetricPatterns(options.anomalyMetrics),
  });
}
