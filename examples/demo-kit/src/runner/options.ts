/**
 * The runner's command line and environment: `pnpm demo [--duration 20s] [--requests 500]
 * [--concurrency 4] [--rate 20] [--port 8200] [--dir .] [--exit]`, each also settable as
 * DEMO_DURATION, DEMO_REQUESTS, DEMO_CONCURRENCY, DEMO_RATE, DEMO_PORT, DEMO_DIR, DEMO_EXIT.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_DURATION_MS } from '../load/generator.js';

export interface RunOptions {
  durationMs: number | undefined;
  requests: number | undefined;
  concurrency: number;
  ratePerSecond: number;
  /** The collector's port; `explicit` when asked for (then a taken port is an error). */
  port: number;
  portExplicit: boolean;
  /** Where sightline.db and .sightline-demo/ (app databases, logs) go. */
  dir: string;
  /** The collector's database: a SQLite file or postgres://…; default <dir>/sightline.db. */
  collectorDb: string | undefined;
  /** With a PostgreSQL collectorDb: the schema for the collector's tables. */
  collectorPgSchema: string | undefined;
  /** Stop once the load is done, instead of waiting for Ctrl-C. */
  exitAfterLoad: boolean;
  /** `--fault sql-group`: the demo's injected latency fault, for watching anomaly detection. */
  fault: 'sql-group' | undefined;
  /** When the fault starts, after the apps start. */
  faultAfterMs: number;
  help: boolean;
}

/**
 * With a fault, the collector judges 10-second buckets, so that its models are warmed up
 * (30 buckets with traffic) before the fault starts, 6 minutes in by default.
 */
export const FAULT_ANOMALY_BUCKET = '10s';
const FAULT_AFTER_DEFAULT_MS = 6 * 60_000;

export const RUN_HELP = `Usage: pnpm demo [options]

Starts the Sightline collector, the two demo apps (Express, Fastify), their upstream and a
load generator, and prints the UI's address. Ctrl-C stops everything.

Options (or environment variables):
  --duration <time>     load for this long, e.g. 20s, 5m, 1h (DEMO_DURATION; default and most: 30m)
  --requests <n>        load for this many requests (DEMO_REQUESTS)
  --concurrency <n>     requests in flight (DEMO_CONCURRENCY; default 4)
  --rate <n>            requests per second, 0 for as fast as possible (DEMO_RATE; default 20)
  --port <n>            the collector's port (DEMO_PORT; default 8200, or a free one if taken)
  --dir <path>          where sightline.db and .sightline-demo/ go (DEMO_DIR; default .)
  --collector-db <db>   the collector's SQLite file or postgres://… URL (DEMO_COLLECTOR_DB;
                        default <dir>/sightline.db)
  --collector-pg-schema <name>  with a postgres:// --collector-db, the schema for the
                        collector's tables (DEMO_COLLECTOR_PG_SCHEMA; created if missing)
  --exit                stop when the load is done (DEMO_EXIT=1); by default the stack keeps
                        running for the UI until Ctrl-C
  --fault sql-group     make /sql-group 8 ms slower in the database after a while
                        (DEMO_FAULT), and have the collector judge 10 s buckets, so that
                        anomaly detection flags it on the apps' service pages
  --fault-after <time>  when the fault starts (DEMO_FAULT_AFTER; default 6m, after the
                        detector's 5-minute warm-up)
  -h, --help            show this help

DATABASE_URL=postgres://… runs the apps on PostgreSQL (DEMO_PG_SCHEMA: a schema of their own).
`;

export class UsageError extends Error {}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, what: string): number {
  const m = DURATION.exec(text.trim());
  if (m === null) throw new UsageError(`${what} must look like 20s, 5m or 1h, got '${text}'`);
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
  if (ms <= 0 || ms > MAX_DURATION_MS) throw new UsageError(`${what} must be more than 0 and at most 30m, got '${text}'`);
  return ms;
}

function integer(text: string | undefined, what: string, min: number, max: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${what} must be an integer from ${min} to ${max}, got '${text}'`);
  return Number(text);
}

export function parseRunOptions(argv: string[], env: NodeJS.ProcessEnv, cwd: string): RunOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: {
        duration: { type: 'string' },
        requests: { type: 'string' },
        concurrency: { type: 'string' },
        rate: { type: 'string' },
        port: { type: 'string' },
        dir: { type: 'string' },
        'collector-db': { type: 'string' },
        'collector-pg-schema': { type: 'string' },
        exit: { type: 'boolean' },
        fault: { type: 'string' },
        'fault-after': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const durationText = values.duration ?? env.DEMO_DURATION;
  const portValue = integer(values.port ?? env.DEMO_PORT, '--port', 0, 65535);
  const faultText = values.fault ?? (env.DEMO_FAULT || undefined);
  if (faultText !== undefined && faultText !== 'sql-group') throw new UsageError(`--fault must be sql-group, got '${faultText}'`);
  const faultAfterText = values['fault-after'] ?? (env.DEMO_FAULT_AFTER || undefined);
  return {
    durationMs: durationText ? parseDuration(durationText, '--duration') : undefined,
    requests: integer(values.requests ?? env.DEMO_REQUESTS, '--requests', 1, 10_000_000),
    concurrency: integer(values.concurrency ?? env.DEMO_CONCURRENCY, '--concurrency', 1, 256) ?? 4,
    ratePerSecond: integer(values.rate ?? env.DEMO_RATE, '--rate', 0, 100_000) ?? 20,
    port: portValue ?? 8200,
    portExplicit: portValue !== undefined,
    dir: resolve(cwd, values.dir ?? env.DEMO_DIR ?? '.'),
    collectorDb: collectorDb(values['collector-db'] ?? env.DEMO_COLLECTOR_DB, cwd),
    collectorPgSchema: values['collector-pg-schema'] ?? (env.DEMO_COLLECTOR_PG_SCHEMA || undefined),
    exitAfterLoad: values.exit === true || env.DEMO_EXIT === '1' || env.DEMO_EXIT === 'true',
    fault: faultText,
    faultAfterMs: faultAfterText ? parseDuration(faultAfterText, '--fault-after') : FAULT_AFTER_DEFAULT_MS,
    help: values.help === true,
  };
}

function collectorDb(value: string | undefined, cwd: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  return /^postgres(ql)?:\/\//.test(value) ? value : resolve(cwd, value);
}
