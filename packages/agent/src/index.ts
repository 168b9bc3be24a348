/** @sightline/agent — the public API. Everything not exported here is internal. */
export {
  start,
  isStarted,
  startTransaction,
  startSpan,
  withSpan,
  withTransaction,
  currentTransaction,
  currentSpan,
  currentTraceIds,
  setLabel,
  addLabels,
  setUser,
  setCustomContext,
  setTransactionName,
  captureError,
  flush,
  close,
  getStats,
} from './api.js';
export { metrics, createMetricsHandler, addPromClientRegistry } from './metrics/api.js';
export type { Counter, CounterSeries } from './metrics/counter.js';
export type { Gauge, GaugeSeries, GaugeOptions } from './metrics/gauge.js';
export type { Histogram, HistogramSeries, HistogramOptions } from './metrics/histogram.js';
export type { MetricOptions, LabelValues } from './metrics/registry.js';
export type { MetricsHandler } from './metrics/prometheus.js';
export type { PromClientRegistry } from './metrics/prom-client.js';
export { SightlineError, ERROR_CODES } from './error-codes.js';
export type { SightlineErrorCode } from './error-codes.js';
export { CONFIG_TABLE } from './config/table.js';
export type { Config, ConfigOptions } from './config/table.js';
export type { Transaction, UserContext } from './trace/transaction.js';
export type { Span, DbContext, HttpSpanContext, DestinationContext } from './trace/span.js';
export type { Outcome } from './trace/outcome.js';
export type { StartTransactionOptions } from './trace/tracer.js';
export type { CaptureErrorOptions } from './errors/reporter.js';
export type { AgentStats } from './agent.js';
export type { TracerStats } from './trace/stats.js';
export type { TransportStats } from './transport/transport.js';
