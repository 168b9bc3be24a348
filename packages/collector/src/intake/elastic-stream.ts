import { emptyBatch, batchSize, type EventBatch, type EventKind } from '../model/event.js';
import { BodyError } from './body.js';
import type { OfferResult } from '../store/write-queue.js';
import { mapError, mapLog, mapMetricset, mapSpan, mapTransaction, readMetadata, type RequestMetadata } from './elastic-mapper.js';
import { parseJsonLine } from './json-line.js';
import { rawEventText } from './raw-event.js';
import type { Line } from './line-reader.js';
import { intakeValidators } from './validator.js';

export interface IntakeIssue {
  status: number;
  message: string;
  document?: string;
}

export interface IntakeResult {
  accepted: number;
  acceptedByKind: Record<EventKind, number>;
  /** Rejected lines by event kind ('unknown' when the line named none). */
  rejectedByKind: Record<string, number>;
  issues: IntakeIssue[];
  /** True when reading stopped before the end of the body (bad metadata, full queue). */
  stoppedEarly: boolean;
}

/** Events handed to the write queue at once; bounds a request's memory whatever its size. */
export const REQUEST_BATCH_EVENTS = 100;
/** Errors listed in one response; the rest are counted in /metrics only. */
const MAX_LISTED_ISSUES = 100;
/** Longest `document` echoed back per rejected line. */
const MAX_DOCUMENT_CHARS = 4096;

const EVENT_KINDS = new Set(['transaction', 'span', 'error', 'metricset', 'log']);

const OFFER_ISSUES: Record<Exclude<OfferResult, 'accepted'>, IntakeIssue> = {
  full: { status: 503, message: 'cannot handle stream: cannot process batch: queue is full' },
  closing: { status: 503, message: 'server is shutting down' },
};

/**
 * Reads an intake v2 stream: a metadata line, then one event per line. Each line is
 * validated on its own; bad lines are reported and skipped, good ones are queued in
 * batches as they come, so the valid events of a partly bad request are all kept.
 */
export async function processElasticStream(
  /** The body's lines, a chunk's worth at a time (readLines). */
  lines: AsyncIterable<readonly Line[]>,
  /** `events` counts the request's lines in the batch (a metricset line may hold several rows). */
  offer: (batch: EventBatch, events: number) => OfferResult,
  requestTimeUs: number,
  batchEvents = REQUEST_BATCH_EVENTS,
): Promise<IntakeResult> {
  const validators = intakeValidators();
  const result: IntakeResult = {
    accepted: 0,
    acceptedByKind: { transaction: 0, span: 0, error: 0, metricset: 0, log: 0 },
    rejectedByKind: {},
    issues: [],
    stoppedEarly: false,
  };
  const report = (issue: IntakeIssue, kind: string) => {
    result.rejectedByKind[kind] = (result.rejectedByKind[kind] ?? 0) + 1;
    if (result.issues.length < MAX_LISTED_ISSUES) {
      if (issue.document !== undefined) issue.document = issue.document.slice(0, MAX_DOCUMENT_CHARS);
      result.issues.push(issue);
    }
  };
  let metadata: RequestMetadata | null = null;
  let pending = emptyBatch();
  let pendingByKind: Partial<Record<EventKind, number>> = {};
  const flush = (): boolean => {
    let events = 0;
    for (const count of Object.values(pendingByKind)) events += count;
    const outcome = offer(pending, events);
    if (outcome !== 'accepted') {
      result.issues.push(OFFER_ISSUES[outcome]);
      return false;
    }
    for (const [kind, count] of Object.entries(pendingByKind)) {
      result.acceptedByKind[kind as EventKind] += count;
      result.accepted += count;
    }
    pending = emptyBatch();
    pendingByKind = {};
    return true;
  };

  const stop = (): IntakeResult => ({ ...result, stoppedEarly: true });
  try {
    for await (const group of lines) for (const line of group) {
      if (line.tooLarge) {
        report({ status: 413, message: 'event exceeded the permitted size', document: line.text }, 'unknown');
        if (metadata === null) return stop();
        continue;
      }
      if (line.text.trim() === '') continue;
      const parsed = parseJsonLine(line.text);
      if ('error' in parsed) {
        report({ status: 400, message: `decode error: invalid JSON: ${parsed.error}`, document: line.text }, 'unknown');
        if (metadata === null) return stop();
        continue;
      }
      const value = parsed.value;
      const keys = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
      const kind = keys[0];
      if (metadata === null) {
        if (kind !== 'metadata' && kind !== 'm') {
          report({ status: 400, message: '"metadata" or "m" required', document: line.text }, 'metadata');
          return stop();
        }
        const body = (value as Record<string, unknown>)[kind];
        const invalid = validators.check('metadata', body);
        if (invalid !== null) {
          report({ status: 400, message: invalid, document: line.text }, 'metadata');
          return stop();
        }
        metadata = readMetadata(body as Record<string, any>);
        continue;
      }
      if (kind === undefined || !EVENT_KINDS.has(kind)) {
        report({ status: 400, message: `did not recognize object type: ${JSON.stringify(kind ?? null)}`, document: line.text }, 'unknown');
        continue;
      }
      const event = (value as Record<string, any>)[kind];
      if (kind === 'log' && event && typeof event['@timestamp'] === 'string') {
        // APM Server takes an RFC 3339 string here as well as epoch microseconds.
        const parsedMs = Date.parse(event['@timestamp']);
        event['@timestamp'] = Number.isNaN(parsedMs) ? event['@timestamp'] : parsedMs * 1000;
      }
      const invalid = validators.check(kind as EventKind, event) ?? numbersOutOfRange(event);
      if (invalid !== null) {
        report({ status: 400, message: invalid, document: line.text }, kind);
        continue;
      }
      // Transactions and spans, nearly all of the traffic, may be stored from the line's own text.
      const raw = (kind === 'transaction' || kind === 'span') && parsed.whole && keys.length === 1 ? rawEventText(line.text, kind) : null;
      try {
        addEvent(pending, kind as EventKind, event, metadata, requestTimeUs, raw);
      } catch (error) {
        // The schema let through a shape the mapper cannot read; report it rather than fail the request.
        report({ status: 400, message: `cannot read event: ${(error as Error).message}`, document: line.text }, kind);
        continue;
      }
      pendingByKind[kind as EventKind] = (pendingByKind[kind as EventKind] ?? 0) + 1;
      if (batchSize(pending) >= batchEvents && !flush()) return stop();
    }
  } catch (error) {
    // The body broke off (bad compression, too large, client gone): keep what was valid before it.
    const status = error instanceof BodyError ? error.status : 400;
    result.issues.push({ status, message: error instanceof BodyError ? error.message : String(error) });
    result.rejectedByKind.unknown = (result.rejectedByKind.unknown ?? 0) + 1;
    flush();
    return stop();
  }
  flush();
  return result;
}

/** Epoch µs of 9999-12-31: beyond it a timestamp is garbage, and past int8 it would fail the whole database write. */
const MAX_TIMESTAMP_US = 253_402_300_799_999_999;

/**
 * JSON.parse reads 1e309 as Infinity and 1e30 as a float, both "numbers" to the schema. In a
 * stored column they would make PostgreSQL refuse the whole group commit, every other
 * request's events with it, so such an event is refused on its own.
 */
function numbersOutOfRange(event: Record<string, unknown>): string | null {
  const { timestamp, duration } = event;
  if (typeof timestamp === 'number' && !(timestamp >= 0 && timestamp <= MAX_TIMESTAMP_US)) {
    return `validation error: timestamp ${timestamp} is out of range (epoch microseconds)`;
  }
  if (typeof duration === 'number' && !Number.isFinite(duration)) return `validation error: duration ${duration} is out of range`;
  return null;
}

function addEvent(batch: EventBatch, kind: EventKind, event: any, meta: RequestMetadata, requestTimeUs: number, raw: string | null): void {
  switch (kind) {
    case 'transaction':
      batch.transactions.push(mapTransaction(event, meta, requestTimeUs, raw));
      break;
    case 'span':
      batch.spans.push(mapSpan(event, meta, requestTimeUs, raw));
      break;
    case 'error':
      batch.errors.push(mapError(event, meta, requestTimeUs));
      break;
    case 'metricset':
      batch.metrics.push(...mapMetricset(event, meta, requestTimeUs));
      break;
    case 'log':
      batch.logs.push(mapLog(event, meta, requestTimeUs));
      break;
  }
}
