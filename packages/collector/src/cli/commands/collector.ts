import { DEFAULTS, parseDurationMs } from '../../config.js';
import { CollectorError } from '../../errors.js';
import { startCollector } from '../../server/collector.js';
import type { CliIo } from '../io.js';
import { parse, usageError } from '../options.js';

export const COLLECTOR_HELP = `Usage: sightline collector [options]

Starts the collector: Elastic APM intake v2 and OTLP/HTTP intake, the query API, /metrics.

Options:
  --host <address>        address to listen on (default ${DEFAULTS.host})
  --port <port>           port to listen on (default ${DEFAULTS.port}; 0 picks a free one)
  --db <path | url>       SQLite file (default ${DEFAULTS.db}) or postgres://user@host:5432/db
  --pg-schema <name>      PostgreSQL schema to use (created if missing)
  --retention <duration>  delete events older than this, e.g. 7d, 12h (default: keep all)
  --secret-token <token>  require 'Authorization: Bearer <token>' ($SIGHTLINE_SECRET_TOKEN)
  --api-key <key>         require 'Authorization: ApiKey <key>'; repeat for several ($SIGHTLINE_API_KEY)
  --max-event-size <n>    longest intake line in bytes (default ${DEFAULTS.maxEventBytes})
  --queue-size <n>        events held in memory before intake answers 503 (default ${DEFAULTS.queueSize})
  --anomaly-bucket <time> anomaly detection's bucket, e.g. 1m, 5m, 10s (default 1m)
  --anomaly-warmup <n>    buckets a series learns before it may raise anomalies (default ${DEFAULTS.anomalyWarmup})
  --anomaly-threshold <n> keep anomalies scoring at least this, 0-100 (default ${DEFAULTS.anomalyThreshold})
  --anomaly-metrics <list> metric series to watch for anomalies too, per service and label
                          set: names or prefixes ending in *, comma-separated, e.g.
                          'system.cpu.total.norm.pct,custom.*' ($SIGHTLINE_ANOMALY_METRICS)
  --no-anomalies          turn anomaly detection off
  -h, --help              show this help
`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  db: { type: 'string' },
  'pg-schema': { type: 'string' },
  retention: { type: 'string' },
  'secret-token': { type: 'string' },
  'api-key': { type: 'string', multiple: true },
  'max-event-size': { type: 'string' },
  'queue-size': { type: 'string' },
  'anomaly-bucket': { type: 'string' },
  'anomaly-warmup': { type: 'string' },
  'anomaly-threshold': { type: 'string' },
  'anomaly-metrics': { type: 'string' },
  'no-anomalies': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw usageError('collector', `--${name} must be an integer from ${min} to ${max}, got '${value}'`);
  return Number(value);
}

/** Runs until SIGINT or SIGTERM, then drains the write queue and exits 0. */
export async function collectorCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse('collector', args, OPTIONS);
  if (values.help) return io.out(COLLECTOR_HELP), 0;
  if (values.retention !== undefined) {
    try {
      parseDurationMs(values.retention, '--retention');
    } catch {
      throw usageError('collector', `--retention must look like 7d, 12h or 30m, got '${values.retention}'`);
    }
  }
  const envKey = io.env.SIGHTLINE_API_KEY;
  let collector;
  try {
    collector = await startCollector({
      host: values.host,
      port: integerFlag('port', values.port, 0, 65535),
      db: values.db,
      pgSchema: values['pg-schema'],
      retention: values.retention,
      secretToken: values['secret-token'] ?? io.env.SIGHTLINE_SECRET_TOKEN,
      apiKeys: values['api-key'] ?? (envKey ? [envKey] : []),
      maxEventBytes: integerFlag('max-event-size', values['max-event-size'], 1024, 64 * 1024 * 1024),
      queueSize: integerFlag('queue-size', values['queue-size'], 1, 10_000_000),
      anomalies: values['no-anomalies'] !== true,
      anomalyBucket: values['anomaly-bucket'],
      anomalyWarmup: integerFlag('anomaly-warmup', values['anomaly-warmup'], 0, 100_000),
      anomalyThreshold: integerFlag('anomaly-threshold', values['anomaly-threshold'], 0, 100),
      anomalyMetrics: values['anomaly-metrics'] ?? io.env.SIGHTLINE_ANOMALY_METRICS,
    });
  } catch (error) {
    if (error instanceof CollectorError) throw usageError('collector', error.message);
    throw error;
  }
  const where = collector.store.kind === 'sqlite' ? `SQLite ${values.db ?? DEFAULTS.db}` : 'PostgreSQL';
  io.out(`sightline collector listening on ${collector.url} (${where})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.out('sightline collector: shutting down, writing queued events…\n');
      void collector.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
