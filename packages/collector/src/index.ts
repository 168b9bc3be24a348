export { startCollector } from './server/collector.js';
export type { RunningCollector } from './server/collector.js';
export type { CollectorOptions } from './config.js';
export { DEFAULTS as COLLECTOR_DEFAULTS, parseDurationMs } from './config.js';
export { openStore } from './store/open.js';
export type { OpenStoreOptions } from './store/open.js';
export type {
  Store, RangeFilter, Page, ServiceSummary, TransactionGroup, TimeseriesPoint, DistributionBucket, Trace,
  ErrorGroup, ErrorGroupDetail, MetricPoint, MetricFilter,
} from './store/store.js';
export type { EventBatch, TransactionRow, SpanRow, ErrorRow, MetricRow, LogRow } from './model/event.js';
export { errorFingerprint, normaliseMessage } from './model/fingerprint.js';
export { CollectorError, ERROR_CODES } from './errors.js';
export type { CollectorErrorCode } from './errors.js';
