/**
 * The one configuration table. Every option has a name (the `start()` option), an
 * environment variable, a type, a default and a validation; docs/configuration.md is
 * generated from this table and a test keeps the two in step.
 */
import {
  booleanParser,
  durationParser,
  enumParser,
  labelsParser,
  listParser,
  numberParser,
  optionalString,
  stringParser,
  urlParser,
  type Parser,
} from './parse.js';

export interface ConfigEntry<T> {
  readonly env: string;
  readonly type: string;
  /** A value, or a function of the environment for defaults that must be discovered. */
  readonly default: T | (() => T);
  /** How the default reads in the docs when it is discovered. */
  readonly defaultDoc?: string;
  readonly parse: Parser<T>;
  readonly description: string;
  /** Never printed in logs. */
  readonly secret?: boolean;
}

function entry<T>(e: ConfigEntry<T>): ConfigEntry<T> {
  return e;
}

const SERVICE_NAME = /^[a-zA-Z0-9 _-]+$/;

export const CONFIG_TABLE = {
  serviceName: entry<string>({
    env: 'SIGHTLINE_SERVICE_NAME',
    type: 'string',
    default: '',
    defaultDoc: "the `name` in the app's package.json",
    parse: stringParser({ pattern: SERVICE_NAME, allowed: 'letters, digits, spaces, "_" and "-"', maxLength: 1024 }),
    description: 'The name of the service, as it shows in the collector.',
  }),
  serviceVersion: entry<string | null>({
    env: 'SIGHTLINE_SERVICE_VERSION',
    type: 'string',
    default: null,
    defaultDoc: "the `version` in the app's package.json",
    parse: optionalString,
    description: 'The version of the service (a release, a commit).',
  }),
  serviceNodeName: entry<string | null>({
    env: 'SIGHTLINE_SERVICE_NODE_NAME',
    type: 'string',
    default: null,
    parse: optionalString,
    description: 'A name for this instance of the service, to tell replicas apart.',
  }),
  environment: entry<string>({
    env: 'SIGHTLINE_ENVIRONMENT',
    type: 'string',
    default: () => process.env.NODE_ENV || 'development',
    defaultDoc: '`NODE_ENV`, else `development`',
    parse: stringParser({ maxLength: 1024 }),
    description: 'The environment the service runs in (production, staging, …).',
  }),
  serverUrl: entry<string>({
    env: 'SIGHTLINE_SERVER_URL',
    type: 'url',
    default: 'http://127.0.0.1:8200',
    parse: urlParser,
    description: 'The collector (or Elastic APM Server) to send events to.',
  }),
  secretToken: entry<string | null>({
    env: 'SIGHTLINE_SECRET_TOKEN',
    type: 'string',
    default: null,
    parse: optionalString,
    description: 'Sent as `Authorization: Bearer <token>`.',
    secret: true,
  }),
  apiKey: entry<string | null>({
    env: 'SIGHTLINE_API_KEY',
    type: 'string',
    default: null,
    parse: optionalString,
    description: 'Sent as `Authorization: ApiKey <key>`; wins over `secretToken`.',
    secret: true,
  }),
  active: entry<boolean>({
    env: 'SIGHTLINE_ACTIVE',
    type: 'boolean',
    default: true,
    parse: booleanParser,
    description: 'When false the agent records and sends nothing, and patches nothing.',
  }),
  logLevel: entry<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off'>({
    env: 'SIGHTLINE_LOG_LEVEL',
    type: 'enum',
    default: 'warn',
    parse: enumParser(['trace', 'debug', 'info', 'warn', 'error', 'off'] as const),
    description: "The agent's own log level (to stderr).",
  }),
  sampleRate: entry<number>({
    env: 'SIGHTLINE_SAMPLE_RATE',
    type: 'number',
    default: 1,
    parse: numberParser(0, 1),
    description: 'The share of new traces recorded in full. Traces continued from a `traceparent` follow its sampled flag.',
  }),
  transactionMaxSpans: entry<number>({
    env: 'SIGHTLINE_TRANSACTION_MAX_SPANS',
    type: 'integer',
    default: 500,
    parse: numberParser(-1, 100_000, true),
    description: 'Spans recorded per transaction at most; later ones are counted as dropped. -1 for no limit.',
  }),
  globalLabels: entry<Readonly<Record<string, string | number | boolean>>>({
    env: 'SIGHTLINE_GLOBAL_LABELS',
    type: 'labels',
    default: {},
    parse: labelsParser,
    description: 'Labels added to every event, e.g. `region=eu,tier=web`.',
  }),
  captureHeaders: entry<boolean>({
    env: 'SIGHTLINE_CAPTURE_HEADERS',
    type: 'boolean',
    default: true,
    parse: booleanParser,
    description: 'Record request and response headers (sanitized).',
  }),
  captureBody: entry<'off' | 'errors' | 'transactions' | 'all'>({
    env: 'SIGHTLINE_CAPTURE_BODY',
    type: 'enum',
    default: 'off',
    parse: enumParser(['off', 'errors', 'transactions', 'all'] as const),
    description: 'Record request bodies (size-capped and sanitized) on errors, transactions or both.',
  }),
  captureBodyMaxBytes: entry<number>({
    env: 'SIGHTLINE_CAPTURE_BODY_MAX_BYTES',
    type: 'integer',
    default: 2048,
    parse: numberParser(0, 1_048_576, true),
    description: 'A captured request body is cut to this many bytes.',
  }),
  sanitizeFieldNames: entry<readonly string[]>({
    env: 'SIGHTLINE_SANITIZE_FIELD_NAMES',
    type: 'list',
    default: ['password', 'passwd', 'pwd', 'secret', '*key', '*token*', '*session*', '*credit*', '*card*', '*auth*', 'set-cookie', 'cookie', '*principal*'],
    parse: listParser,
    description: 'Header, cookie, query and form field names whose values are redacted (`*` is a wildcard, case-insensitive).',
  }),
  ignoreUrls: entry<readonly string[]>({
    env: 'SIGHTLINE_IGNORE_URLS',
    type: 'list',
    default: [],
    parse: listParser,
    description: 'Request paths not recorded as transactions (`*` is a wildcard), e.g. `/healthz,/static/*`.',
  }),
  errorOn4xx: entry<boolean>({
    env: 'SIGHTLINE_ERROR_ON_4XX',
    type: 'boolean',
    default: false,
    parse: booleanParser,
    description: 'Count 4xx responses as failed transactions.',
  }),
  captureExceptions: entry<boolean>({
    env: 'SIGHTLINE_CAPTURE_EXCEPTIONS',
    type: 'boolean',
    default: true,
    parse: booleanParser,
    description: 'Capture `uncaughtException` and `unhandledRejection`, flush, and exit as Node would.',
  }),
  stackTraceLimit: entry<number>({
    env: 'SIGHTLINE_STACK_TRACE_LIMIT',
    type: 'integer',
    default: 50,
    parse: numberParser(0, 1000, true),
    description: 'Stack frames kept per error at most.',
  }),
  sourceLinesAppFrames: entry<number>({
    env: 'SIGHTLINE_SOURCE_LINES_APP_FRAMES',
    type: 'integer',
    default: 5,
    parse: numberParser(0, 50, true),
    description: 'Source lines shown before and after the line of each app frame of an error.',
  }),
  sourceLinesLibraryFrames: entry<number>({
    env: 'SIGHTLINE_SOURCE_LINES_LIBRARY_FRAMES',
    type: 'integer',
    default: 0,
    parse: numberParser(0, 50, true),
    description: 'Source lines shown around library frames (node_modules, node: internals).',
  }),
  sqlStatementCapture: entry<'sanitized' | 'full' | 'off'>({
    env: 'SIGHTLINE_SQL_STATEMENT_CAPTURE',
    type: 'enum',
    default: 'sanitized',
    parse: enumParser(['sanitized', 'full', 'off'] as const),
    description: 'SQL in spans: literals replaced by `?` (sanitized), as written (full), or not at all (off).',
  }),
  spanMinDurationMs: entry<number>({
    env: 'SIGHTLINE_SPAN_MIN_DURATION',
    type: 'duration',
    default: 0,
    parse: durationParser(0, 3_600_000),
    description: 'Exit spans shorter than this are dropped (and counted).',
  }),
  spanCompressionEnabled: entry<boolean>({
    env: 'SIGHTLINE_SPAN_COMPRESSION_ENABLED',
    type: 'boolean',
    default: true,
    parse: booleanParser,
    description: 'Fold consecutive identical short exit spans into one composite span with count and sum.',
  }),
  spanCompressionMaxDurationMs: entry<number>({
    env: 'SIGHTLINE_SPAN_COMPRESSION_MAX_DURATION',
    type: 'duration',
    default: 50,
    parse: durationParser(0, 3_600_000),
    description: 'Identical exit spans up to this long may be compressed.',
  }),
  disableInstrumentations: entry<readonly string[]>({
    env: 'SIGHTLINE_DISABLE_INSTRUMENTATIONS',
    type: 'list',
    default: [],
    parse: listParser,
    description: 'Modules not to instrument, e.g. `pg,undici`.',
  }),
  metricsIntervalMs: entry<number>({
    env: 'SIGHTLINE_METRICS_INTERVAL',
    type: 'duration',
    default: 30_000,
    parse: durationParser(0, 3_600_000),
    description: 'How often metrics (RED per transaction name, breakdown, runtime, your own) are sent; 0 sends none, and turns the agent\'s own metrics off unless `metricsPort` is set.',
  }),
  metricsPort: entry<number>({
    env: 'SIGHTLINE_METRICS_PORT',
    type: 'integer',
    default: 0,
    parse: numberParser(0, 65_535, true),
    description: 'Serve the Prometheus exposition at `/metrics` on this port (0: no server; mount `createMetricsHandler()` in your app instead).',
  }),
  metricsHost: entry<string>({
    env: 'SIGHTLINE_METRICS_HOST',
    type: 'string',
    default: '127.0.0.1',
    parse: stringParser({ maxLength: 255 }),
    description: 'The address the `metricsPort` server listens on; `0.0.0.0` to let other machines scrape it.',
  }),
  maxTransactionsPerSecond: entry<number>({
    env: 'SIGHTLINE_MAX_TRANSACTIONS_PER_SECOND',
    type: 'integer',
    default: 0,
    parse: numberParser(0, 1_000_000, true),
    description: 'Under overload, sample down to this many recorded transactions a second (0: no cap). Metrics stay exact.',
  }),
  flushIntervalMs: entry<number>({
    env: 'SIGHTLINE_FLUSH_INTERVAL',
    type: 'duration',
    default: 1000,
    parse: durationParser(10, 600_000),
    description: 'A batch is sent at least this often while there are events.',
  }),
  maxBatchBytes: entry<number>({
    env: 'SIGHTLINE_MAX_BATCH_BYTES',
    type: 'integer',
    default: 768 * 1024,
    parse: numberParser(1024, 64 * 1024 * 1024, true),
    description: 'A batch is sent once its serialized events reach this size (before gzip), or once it holds half of maxQueueSize events.',
  }),
  maxQueueSize: entry<number>({
    env: 'SIGHTLINE_MAX_QUEUE_SIZE',
    type: 'integer',
    default: 2048,
    parse: numberParser(1, 1_000_000, true),
    description: 'Events waiting to be sent at most; when full, new events are dropped and counted.',
  }),
  serverTimeoutMs: entry<number>({
    env: 'SIGHTLINE_SERVER_TIMEOUT',
    type: 'duration',
    default: 30_000,
    parse: durationParser(100, 600_000),
    description: 'A request to the collector that takes longer fails (and is retried).',
  }),
  flushTimeoutMs: entry<number>({
    env: 'SIGHTLINE_FLUSH_TIMEOUT',
    type: 'duration',
    default: 2000,
    parse: durationParser(0, 60_000),
    description: 'On `close()`, SIGTERM or a crash, how long the agent may spend sending what it holds.',
  }),
} as const;

export type ConfigTable = typeof CONFIG_TABLE;
export type ConfigKey = keyof ConfigTable;
type ValueOf<E> = E extends ConfigEntry<infer T> ? T : never;
export type Config = { readonly [K in ConfigKey]: ValueOf<ConfigTable[K]> };
export type ConfigOptions = { [K in ConfigKey]?: ValueOf<ConfigTable[K]> | string };
