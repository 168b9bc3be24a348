/**
 * RED metrics (rate, errors, duration) per transaction name and type, from every ended
 * transaction, sampled or not, so they stay exact at any sample rate. The per-request path
 * is two Map lookups and three number updates: each name's series are bound once.
 */
import { logger } from '../log.js';
import { Counter, type CounterSeries } from './counter.js';
import { Histogram, type HistogramSeries } from './histogram.js';
import { Registry } from './registry.js';

/** Transaction durations, in seconds: 5 ms to 10 s. */
export const RED_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
/** Distinct transaction names tracked at most; later ones are counted under OTHER_NAME. */
export const MAX_RED_NAMES = 1000;
export const OTHER_NAME = '_other';

/** What record() reads from a transaction. */
export interface RedInput {
  readonly name: string;
  readonly type: string;
  readonly durationMs: number;
  readonly outcome: string;
}

export class RedEntry {
  /** Breakdown's series for this name (see Breakdown.onTransactionEnd), found here instead of by its own lookups. */
  breakdown: unknown = null;
  constructor(
    readonly requests: CounterSeries,
    readonly errors: CounterSeries,
    readonly duration: HistogramSeries,
  ) {}
}

export class RedMetrics {
  readonly requests: Counter;
  readonly errors: Counter;
  readonly duration: Histogram;
  private readonly byType = new Map<string, Map<string, RedEntry>>();
  private readonly maxNames: number;
  private names = 0;

  constructor(registry: Registry = new Registry(), maxNames = MAX_RED_NAMES) {
    const labelNames = ['transaction_name', 'transaction_type'];
    this.requests = registry.getOrCreate(new Counter({ name: 'transactions_total', help: 'Transactions ended (requests served), sampled or not.', labelNames }));
    this.errors = registry.getOrCreate(
      new Counter({ name: 'transaction_errors_total', help: 'Transactions ended with outcome failure (e.g. HTTP 5xx).', labelNames }),
    );
    this.duration = registry.getOrCreate(
      new Histogram({ name: 'transaction_duration_seconds', help: 'Transaction duration.', unit: 'seconds', labelNames, buckets: RED_BUCKETS }),
    );
    this.maxNames = maxNames;
  }

  /** Counts one ended transaction, and returns the entry it was counted in. Never throws. */
  record(tx: RedInput): RedEntry {
    let byName = this.byType.get(tx.type);
    if (byName === undefined) {
      byName = new Map();
      this.byType.set(tx.type, byName);
    }
    const entry = byName.get(tx.name) ?? this.add(byName, tx.name, tx.type);
    entry.requests.value++;
    if (tx.outcome === 'failure') entry.errors.value++;
    entry.duration.observe(tx.durationMs / 1000);
    return entry;
  }

  /** The name RED (and breakdown) counts `name` under: itself, or OTHER_NAME past the limit. */
  boundedName(name: string, type: string): string {
    return this.byType.get(type)?.has(name) === true || this.names < this.maxNames ? name : OTHER_NAME;
  }

  private add(byName: Map<string, RedEntry>, name: string, type: string): RedEntry {
    if (this.names >= this.maxNames) {
      logger.once(
        'warn',
        'red-names',
        `more than ${this.maxNames} distinct transaction names: later ones are counted as "${OTHER_NAME}". ` +
          'Name transactions by route (GET /users/:id), not by URL.',
      );
      const other = byName.get(OTHER_NAME);
      if (other !== undefined) return other;
      name = OTHER_NAME;
    } else {
      this.names++;
    }
    const labels = { transaction_name: name, transaction_type: type };
    const entry = new RedEntry(this.requests.labels(labels), this.errors.labels(labels), this.duration.labels(labels));
    byName.set(name, entry);
    return entry;
  }
}
