import type { Page, RangeFilter } from '../store/store.js';
import { parseDurationMs } from '../config.js';

/** A bad query parameter; answered with 400 and this message. */
export class ParamError extends Error {
  override name = 'ParamError';
}

const DEFAULT_RANGE_MS = 24 * 3_600_000;
const NICE_INTERVALS_MS = [1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];

/** Accepts epoch milliseconds (digits) or anything Date.parse reads as ISO 8601. */
export function parseTime(value: string, name: string): number {
  const ms = /^-?\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new ParamError(`${name} must be an ISO 8601 time or epoch milliseconds, got ${JSON.stringify(value)}`);
  }
  return ms;
}

function optional(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

/** from/to (default: the last 24 hours), service and environment. */
export function parseRange(query: URLSearchParams, nowMs = Date.now()): RangeFilter {
  const to = optional(query, 'to');
  const from = optional(query, 'from');
  const toMs = to === undefined ? nowMs : parseTime(to, 'to');
  const fromMs = from === undefined ? toMs - DEFAULT_RANGE_MS : parseTime(from, 'from');
  if (fromMs >= toMs) throw new ParamError(`from (${new Date(fromMs).toISOString()}) must be before to (${new Date(toMs).toISOString()})`);
  return { fromMs, toMs, service: optional(query, 'service'), environment: optional(query, 'environment') };
}

export function integer(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(query, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ParamError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A non-negative number of milliseconds, or undefined when absent. */
export function optionalMs(query: URLSearchParams, name: string): number | undefined {
  const raw = optional(query, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(value)) {
    throw new ParamError(`${name} must be a non-negative number of milliseconds, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A yes/no flag: true, 1 or yes. */
export function flag(query: URLSearchParams, name: string): boolean {
  const raw = optional(query, name);
  return raw !== undefined && /^(true|1|yes)$/i.test(raw);
}

/** limit and offset, or a cursor from a previous page's `page.nextCursor`. */
export function parsePage(query: URLSearchParams, defaultLimit = 50, maxLimit = 1000): Page {
  const limit = integer(query, 'limit', defaultLimit, 1, maxLimit);
  const cursor = optional(query, 'cursor');
  if (cursor !== undefined) {
    const offset = Number(/^o(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'))?.[1]);
    if (!Number.isSafeInteger(offset)) throw new ParamError(`cursor ${JSON.stringify(cursor)} is not one this server gave out`);
    return { limit, offset };
  }
  return { limit, offset: integer(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER) };
}

export function pageInfo(page: Page, returned: number): Record<string, unknown> {
  const full = returned === page.limit;
  const nextOffset = full ? page.offset + page.limit : null;
  return {
    limit: page.limit,
    offset: page.offset,
    nextOffset,
    nextCursor: nextOffset === null ? null : Buffer.from(`o${nextOffset}`, 'latin1').toString('base64url'),
  };
}

/** `interval` as a duration (30s, 5m) or ms; by default about 60 points over the range. */
export function parseInterval(query: URLSearchParams, range: RangeFilter): number {
  const raw = optional(query, 'interval');
  const span = range.toMs - range.fromMs;
  if (raw === undefined) return NICE_INTERVALS_MS.find((ms) => span / ms <= 60) ?? 86_400_000;
  let ms: number;
  try {
    ms = parseDurationMs(raw, 'interval');
  } catch {
    throw new ParamError(`interval must look like 30s, 5m or 1h, got ${JSON.stringify(raw)}`);
  }
  if (ms < 1000) throw new ParamError('interval must be at least 1s');
  if (span / ms > 10_000) throw new ParamError(`interval ${raw} gives more than 10000 points over this range; use a longer one`);
  return ms;
}

export function rangeInfo(range: RangeFilter): Record<string, string> {
  return { from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString() };
}
