import { addCount, decodeInto, type Histogram } from '../model/histogram.js';
import { planRange, type Span } from './range-plan.js';
import { ERR_ROLLUP, METRIC_ROLLUP, rollupTable, TX_ROLLUP, type RollupLevel } from './rollups.js';
import type { SqlDriver } from './sql-driver.js';
import { Where } from './where.js';

type Row = Record<string, any>;

/** What an aggregate query asks for: a range, optional filters, and time slots (or none). */
export interface PartsQuery {
  fromMs: number;
  toMs: number;
  service?: string | undefined;
  environment?: string | undefined;
  /** Transaction or metric name. */
  name?: string | undefined;
  fingerprint?: string | undefined;
  /** Slot length of a time series; null puts everything in slot 0. */
  slotMs: number | null;
}

/** One transaction group's figures in one slot, from rollups or events alike. */
export interface TxPart {
  service: string;
  environment: string | null;
  type: string;
  name: string;
  slot: number;
  count: number;
  failures: number;
  sumMs: number;
  lastUs: number;
  histogram: Histogram;
}

export interface ErrPart {
  service: string;
  fingerprint: string;
  slot: number;
  count: number;
  firstUs: number;
  lastUs: number;
  type: string;
  message: string;
  culprit: string;
  handled: number | null;
}

export interface MetricPart {
  service: string;
  environment: string | null;
  count: number;
  lastUs: number;
}

/**
 * Adds a stored histogram (`{"161":3,"175":1}`; PostgreSQL's merge writes `{"161": 3, …}`)
 * into `target` without building an object per row: a day of a service is thousands of
 * rows. Anything else (a driver that parsed the JSON) goes through decodeInto().
 */
export function addEncoded(target: Histogram, stored: unknown): void {
  if (typeof stored !== 'string' || !scan(stored)) {
    decodeInto(target, stored);
    return;
  }
  for (let i = 0; i < scratchLength; i += 2) {
    const bucket = scratch[i]!;
    target.set(bucket, (target.get(bucket) ?? 0) + scratch[i + 1]!);
  }
}

/** Bucket and count pairs of the last scan(); reused, the collector reads on one thread. */
const scratch: number[] = [];
let scratchLength = 0;

let pos = 0;

function skipSpaces(text: string): void {
  while (text.charCodeAt(pos) === 32) pos++;
}

/** An unsigned integer at pos, or -1. */
function digits(text: string): number {
  const start = pos;
  let value = 0;
  for (let c = text.charCodeAt(pos); c >= 48 && c <= 57; c = text.charCodeAt(++pos)) value = value * 10 + (c - 48);
  return pos === start || pos - start > 15 ? -1 : value;
}

/** Reads `{"b":n,…}` of unsigned integers into scratch; false for anything else. */
function scan(text: string): boolean {
  scratchLength = 0;
  pos = 0;
  skipSpaces(text);
  if (text.charCodeAt(pos++) !== 123) return false; // {
  skipSpaces(text);
  if (text.charCodeAt(pos) === 125) return pos + 1 === text.length; // {}
  for (;;) {
    skipSpaces(text);
    if (text.charCodeAt(pos++) !== 34) return false; // "
    const bucket = digits(text);
    if (bucket < 0 || text.charCodeAt(pos++) !== 34) return false;
    skipSpaces(text);
    if (text.charCodeAt(pos++) !== 58) return false; // :
    skipSpaces(text);
    const count = digits(text);
    if (count < 0) return false;
    scratch[scratchLength++] = bucket;
    scratch[scratchLength++] = count;
    skipSpaces(text);
    const c = text.charCodeAt(pos++);
    if (c === 125) return pos === text.length; // }
    if (c !== 44) return false; // ,
  }
}

const FAILURES = "SUM(CASE WHEN outcome = 'failure' THEN 1 ELSE 0 END)";
const environmentOf = (value: string | null): string | null => (value === '' || value === null ? null : value);

/**
 * Reads aggregates for a range from the rollup tables and, for the seconds at its ends
 * that no whole rollup row covers, from the events (see range-plan.ts). Each source is a
 * narrow indexed read; parts are merged by the caller.
 */
export class RollupReader {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async transactions(query: PartsQuery): Promise<TxPart[]> {
    const plan = planRange(query.fromMs, query.toMs, query.slotMs);
    const reads: Promise<TxPart[]>[] = [];
    for (const span of plan.raw) reads.push(this.#rawTransactions(query, span));
    for (const { level, spans } of plan.rollups) {
      for (const span of spans) reads.push(this.#rollupTransactions(query, level, span));
    }
    return (await Promise.all(reads)).flat();
  }

  async errors(query: PartsQuery): Promise<ErrPart[]> {
    const plan = planRange(query.fromMs, query.toMs, query.slotMs);
    const reads: Promise<Row[]>[] = [];
    const select = (slot: string, count: string, first: string, last: string, type: string, handled: string) =>
      `SELECT service, fingerprint, ${slot} AS slot, ${count} AS count, MIN(${first}) AS first_us, MAX(${last}) AS last_us, ` +
      `MIN(${type}) AS type, MIN(message) AS message, MIN(culprit) AS culprit, MIN(${handled}) AS handled`;
    for (const span of plan.raw) {
      const where = this.#rawWhere(query, span).addIf(query.fingerprint, 'fingerprint = ?');
      const [slot, slotParams] = this.#slot('timestamp_us', query.slotMs, 1000);
      reads.push(this.#db.all<Row>(
        `${select(slot, 'COUNT(*)', 'timestamp_us', 'timestamp_us', 'exception_type', 'handled')} FROM errors ${where} ` +
          `GROUP BY service, fingerprint${query.slotMs === null ? '' : ', slot'}`,
        [...slotParams, ...where.params],
      ));
    }
    for (const { level, spans } of plan.rollups) {
      for (const span of spans) {
        const where = this.#rollupWhere(query, span).addIf(query.fingerprint, 'fingerprint = ?');
        const [slot, slotParams] = this.#slot('start_ms', query.slotMs, 1);
        reads.push(this.#db.all<Row>(
          `${select(slot, 'SUM(count)', 'first_us', 'last_us', 'exception_type', 'handled')} FROM ${rollupTable(ERR_ROLLUP, level)} ` +
            `${where} GROUP BY service, fingerprint${query.slotMs === null ? '' : ', slot'}`,
          [...slotParams, ...where.params],
        ));
      }
    }
    return (await Promise.all(reads)).flat().map((r) => ({
      service: r.service, fingerprint: r.fingerprint, slot: Number(r.slot), count: Number(r.count),
      firstUs: Number(r.first_us), lastUs: Number(r.last_us), type: r.type, message: r.message, culprit: r.culprit,
      handled: r.handled === null ? null : Number(r.handled),
    }));
  }

  /**
   * Transactions per service and slot, summed in SQL without reading a histogram: the
   * services list's trend (a day of hourly slots is ~5,000 group rows whose histograms,
   * kept per group and slot, cost far more than the list itself).
   */
  async transactionCounts(query: PartsQuery & { slotMs: number }): Promise<Array<{ service: string; slot: number; count: number }>> {
    const plan = planRange(query.fromMs, query.toMs, query.slotMs);
    const reads: Promise<Row[]>[] = [];
    for (const span of plan.raw) {
      const where = this.#rawWhere(query, span);
      const [slot, slotParams] = this.#slot('timestamp_us', query.slotMs, 1000);
      reads.push(this.#db.all<Row>(
        `SELECT service, ${slot} AS slot, COUNT(*) AS count FROM transactions ${where} GROUP BY service, slot`,
        [...slotParams, ...where.params],
      ));
    }
    for (const { level, spans } of plan.rollups) {
      for (const span of spans) {
        const where = this.#rollupWhere(query, span);
        const [slot, slotParams] = this.#slot('start_ms', query.slotMs, 1);
        reads.push(this.#db.all<Row>(
          `SELECT service, ${slot} AS slot, SUM(count) AS count FROM ${rollupTable(TX_ROLLUP, level)} ${where} GROUP BY service, slot`,
          [...slotParams, ...where.params],
        ));
      }
    }
    return (await Promise.all(reads)).flat().map((r) => ({ service: r.service, slot: Number(r.slot), count: Number(r.count) }));
  }

  /** Metric samples per service and environment (for the services list). */
  async metrics(query: PartsQuery): Promise<MetricPart[]> {
    const plan = planRange(query.fromMs, query.toMs, null);
    const reads: Promise<Row[]>[] = [];
    for (const span of plan.raw) {
      const where = this.#rawWhere(query, span);
      reads.push(this.#db.all<Row>(
        `SELECT service, environment, COUNT(*) AS count, MAX(timestamp_us) AS last_us FROM metrics ${where} GROUP BY service, environment`,
        where.params,
      ));
    }
    for (const { level, spans } of plan.rollups) {
      for (const span of spans) {
        const where = this.#rollupWhere(query, span);
        reads.push(this.#db.all<Row>(
          `SELECT service, environment, SUM(count) AS count, MAX(last_us) AS last_us FROM ${rollupTable(METRIC_ROLLUP, level)} ` +
            `${where} GROUP BY service, environment`,
          where.params,
        ));
      }
    }
    return (await Promise.all(reads)).flat().map((r) => ({
      service: r.service, environment: environmentOf(r.environment), count: Number(r.count), lastUs: Number(r.last_us),
    }));
  }

  async #rawTransactions(query: PartsQuery, span: Span): Promise<TxPart[]> {
    const where = this.#rawWhere(query, span).addIf(query.name, 'name = ?');
    const [slot, slotParams] = this.#slot('timestamp_us', query.slotMs, 1000);
    const rows = await this.#db.all<Row>(
      `SELECT service, environment, type, name, ${slot} AS slot, duration_bucket AS bucket, COUNT(*) AS count, ` +
        `${FAILURES} AS failures, SUM(duration_ms) AS sum_ms, MAX(timestamp_us) AS last_us FROM transactions ${where} ` +
        `GROUP BY service, environment, type, name, ${query.slotMs === null ? '' : 'slot, '}duration_bucket`,
      [...slotParams, ...where.params],
    );
    // One row per bucket; parts are per group and slot.
    const parts = new Map<string, TxPart>();
    for (const r of rows) {
      const id = `${r.service}\u0000${r.environment}\u0000${r.type}\u0000${r.name}\u0000${r.slot}`;
      let part = parts.get(id);
      if (part === undefined) {
        part = {
          service: r.service, environment: environmentOf(r.environment), type: r.type, name: r.name, slot: Number(r.slot),
          count: 0, failures: 0, sumMs: 0, lastUs: 0, histogram: new Map(),
        };
        parts.set(id, part);
      }
      part.count += Number(r.count);
      part.failures += Number(r.failures);
      part.sumMs += Number(r.sum_ms);
      part.lastUs = Math.max(part.lastUs, Number(r.last_us));
      addCount(part.histogram, Number(r.bucket), Number(r.count));
    }
    return [...parts.values()];
  }

  async #rollupTransactions(query: PartsQuery, level: RollupLevel, span: Span): Promise<TxPart[]> {
    const where = this.#rollupWhere(query, span).addIf(query.name, 'name = ?');
    const rows = await this.#db.all<Row>(
      `SELECT service, environment, type, name, start_ms, count, failures, sum_ms, last_us, hist ` +
        `FROM ${rollupTable(TX_ROLLUP, level)} ${where}`,
      where.params,
    );
    // Rows of one group and slot merge into one part as they are read (a day is ~24 hourly rows
    // per group), their histograms decoded straight into the part's.
    const slotMs = query.slotMs;
    const parts = new Map<string, TxPart>();
    for (const r of rows) {
      const slot = slotMs === null ? 0 : Math.floor(Number(r.start_ms) / slotMs);
      const id = `${r.service}\u0000${r.environment}\u0000${r.type}\u0000${r.name}\u0000${slot}`;
      let part = parts.get(id);
      if (part === undefined) {
        part = {
          service: r.service, environment: environmentOf(r.environment), type: r.type, name: r.name, slot,
          count: 0, failures: 0, sumMs: 0, lastUs: 0, histogram: new Map(),
        };
        parts.set(id, part);
      }
      part.count += Number(r.count);
      part.failures += Number(r.failures);
      part.sumMs += Number(r.sum_ms);
      const lastUs = Number(r.last_us);
      if (lastUs > part.lastUs) part.lastUs = lastUs;
      addEncoded(part.histogram, r.hist);
    }
    return [...parts.values()];
  }

  #rawWhere(query: PartsQuery, [fromMs, toMs]: Span): Where {
    return new Where().range({ fromMs, toMs, service: query.service, environment: query.environment });
  }

  #rollupWhere(query: PartsQuery, [fromMs, toMs]: Span): Where {
    return new Where()
      .addIf(query.service, 'service = ?')
      .add('start_ms >= ?', fromMs)
      .add('start_ms < ?', toMs)
      .addIf(query.environment, 'environment = ?');
  }

  /** The slot expression of a column counted in `unitsPerMs` per millisecond. */
  #slot(column: string, slotMs: number | null, unitsPerMs: number): [string, unknown[]] {
    if (slotMs === null) return ['0', []];
    return [`CAST(${column} / ? AS BIGINT)`, [slotMs * unitsPerMs]];
  }
}
