import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDurationMs } from '../config.js';
import { CliFailure, type ClientOptions } from './client.js';

/** Exit code for a bad command line, as most Unix tools use. */
export const USAGE_EXIT_CODE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every client command (errors, error, traces, trace) takes. */
export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  'secret-token': { type: 'string' },
  'api-key': { type: 'string' },
  service: { type: 'string' },
  environment: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const CLIENT_OPTIONS_HELP = `Options:
  --url <url>             collector address (default $SIGHTLINE_URL or http://127.0.0.1:8200)
  --service <name>        only this service
  --environment <name>    only this environment
  --since <duration>      how far back to look, e.g. 15m, 6h, 7d (default 24h)
  --limit <n>             how many rows (default 20)
  --json                  print the API's JSON instead of a table
  --secret-token <token>  credentials, when the collector requires them ($SIGHTLINE_SECRET_TOKEN)
  --api-key <key>         ($SIGHTLINE_API_KEY)
  -h, --help              show this help`;

/** parseArgs with its errors turned into a usage failure (exit code 2). */
export function parse<O extends Options>(
  command: string,
  args: string[],
  options: O,
  positionals = 0,
): { values: Record<string, any>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    throw new CliFailure(`sightline ${command}: ${(error as Error).message}\nRun 'sightline ${command} --help' for usage.`, USAGE_EXIT_CODE);
  }
  if (parsed.positionals.length > positionals) {
    throw new CliFailure(`sightline ${command}: unexpected argument '${parsed.positionals[positionals]}'\nRun 'sightline ${command} --help' for usage.`, USAGE_EXIT_CODE);
  }
  return parsed;
}

export function clientFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv): ClientOptions {
  return {
    url: (values.url as string | undefined) ?? env.SIGHTLINE_URL ?? 'http://127.0.0.1:8200',
    secretToken: (values['secret-token'] as string | undefined) ?? env.SIGHTLINE_SECRET_TOKEN,
    apiKey: (values['api-key'] as string | undefined) ?? env.SIGHTLINE_API_KEY,
  };
}

export function usageError(command: string, message: string): CliFailure {
  return new CliFailure(`sightline ${command}: ${message}\nRun 'sightline ${command} --help' for usage.`, USAGE_EXIT_CODE);
}

/** The from/limit/service/environment query of a list command. */
export function listQuery(command: string, values: Record<string, unknown>, nowMs = Date.now()): Record<string, string | number | undefined> {
  let sinceMs: number;
  try {
    sinceMs = parseDurationMs((values.since as string | undefined) ?? '24h', '--since');
  } catch {
    throw usageError(command, `--since must look like 15m, 6h or 7d, got '${values.since}'`);
  }
  const limit = (values.limit as string | undefined) ?? '20';
  if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw usageError(command, `--limit must be 1-1000, got '${limit}'`);
  return {
    from: nowMs - sinceMs,
    to: nowMs,
    limit,
    service: values.service as string | undefined,
    environment: values.environment as string | undefined,
  };
}
