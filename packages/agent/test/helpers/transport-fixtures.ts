/** Shared set-up for the transport tests: a config, metadata and a captured agent log. */
import { readConfig } from '../../src/config/read.js';
import type { ConfigOptions } from '../../src/config/table.js';
import { logger, type LogLevel } from '../../src/log.js';
import { buildMetadata } from '../../src/transport/metadata.js';
import { Transport, type TransportOptions } from '../../src/transport/transport.js';

export const AGENT_VERSION = '9.9.9-test';

/** Fast retries so that failure tests take milliseconds. */
export const FAST: TransportOptions = { backoffBaseMs: 10, backoffMaxMs: 40, maxAttempts: 5 };

export function makeTransport(options: ConfigOptions, transportOptions: TransportOptions = FAST): Transport {
  const config = readConfig({ serviceName: 'transport-test', serviceVersion: '1.2.3', flushIntervalMs: 20, ...options }, {});
  return new Transport(config, buildMetadata(config, AGENT_VERSION), transportOptions);
}

/** Captures the agent's log lines (instead of stderr) and forgets which were said once. */
export function captureLog(): Array<{ level: LogLevel; message: string }> {
  const lines: Array<{ level: LogLevel; message: string }> = [];
  logger.setSink((level, message) => lines.push({ level, message }));
  for (const key of ['transport-queue-full', 'transport-unserializable', 'transport-unreachable', 'transport-unavailable', 'transport-gave-up']) {
    logger.forget(key);
  }
  for (const status of [400, 401, 403, 404, 413]) logger.forget(`transport-rejected-${status}`);
  return lines;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
