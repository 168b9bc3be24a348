/**
 * Breakdown: where the time of a transaction went, by span type. Each span's self time
 * (its duration less its direct children's) is summed per span type and subtype, and the
 * transaction's own self time counts as type `app`, as Elastic's breakdown does. Computed
 * for sampled transactions (unsampled ones have no spans). Concurrent children may
 * together exceed their parent; its self time is then 0.
 */
import type { Span } from '../trace/span.js';
import type { Transaction } from '../trace/transaction.js';
import { Counter, type CounterSeries } from './counter.js';
import type { RedEntry, RedMetrics } from './red.js';
import type { Registry } from './registry.js';

class TypeTime {
  count = 0;
  selfMs = 0;
  constructor(
    readonly type: string,
    readonly subtype: string,
  ) {}
}

class BoundSeries {
  constructor(
    readonly selfTime: CounterSeries,
    readonly spans: CounterSeries,
  ) {}
}

/** A transaction name's series, by span type key, bound on first use (RED bounds the names). */
class BoundName {
  readonly bySpanType = new Map<string, BoundSeries>();
  /** bySpanType's `app` (the transaction's own time, recorded for every transaction). */
  app: BoundSeries | null = null;
  constructor(
    readonly name: string,
    readonly type: string,
  ) {}
}

export class Breakdown {
  readonly selfTime: Counter;
  readonly spans: Counter;
  /** Per transaction or span: the summed durations of its ended direct children. */
  private readonly childMs = new WeakMap<object, number>();
  private readonly perTransaction = new WeakMap<Transaction, Map<string, TypeTime>>();
  /** By transaction type, then bounded transaction name. */
  private readonly bound = new Map<string, Map<string, BoundName>>();

  constructor(
    registry: Registry,
    private readonly red: RedMetrics,
  ) {
    const labelNames = ['transaction_name', 'transaction_type', 'span_type', 'span_subtype'];
    this.selfTime = registry.getOrCreate(
      new Counter({ name: 'span_self_time_seconds_total', help: 'Self time of spans in transactions, by span type (transaction self time is type "app").', unit: 'seconds', labelNames }),
    );
    this.spans = registry.getOrCreate(new Counter({ name: 'span_self_time_count_total', help: 'Spans counted in span_self_time_seconds_total.', labelNames }));
  }

  onSpanEnd(span: Span): void {
    const tx = span.transaction;
    if (tx.ended) return;
    const parent = span.parentSpan ?? tx;
    this.childMs.set(parent, (this.childMs.get(parent) ?? 0) + span.durationMs);
    this.add(tx, span.type, span.subtype ?? '', span.durationMs - (this.childMs.get(span) ?? 0), 1);
  }

  /**
   * `red` is the RED entry the transaction was just counted in (same name, bounded alike): the
   * series of its name are kept on it, so a transaction finds them without map lookups.
   */
  onTransactionEnd(tx: Transaction, red?: RedEntry): void {
    if (!tx.sampled) return;
    let bound: BoundName;
    if (red === undefined) bound = this.boundFor(tx);
    else if (red.breakdown instanceof BoundName) bound = red.breakdown;
    else red.breakdown = bound = this.boundFor(tx);
    // No span started (most requests): no child time and no per-type times to look up.
    const childMs = tx.spansStarted === 0 ? 0 : (this.childMs.get(tx) ?? 0);
    const appSelfMs = tx.durationMs - childMs;
    const app = (bound.app ??= this.seriesFor(bound, 'app', '', 'app'));
    app.selfTime.inc((appSelfMs > 0 ? appSelfMs : 0) / 1000);
    app.spans.inc(1);
    if (tx.spansStarted === 0) return;
    const times = this.perTransaction.get(tx);
    if (times === undefined) return;
    this.perTransaction.delete(tx);
    for (const [key, t] of times) this.record(bound, t.type, t.subtype, key, t.selfMs, t.count);
  }

  /** The series bound for a transaction name and type, by span type: label keys are built once per name. */
  private boundFor(tx: Transaction): BoundName {
    const name = this.red.boundedName(tx.name, tx.type);
    let byName = this.bound.get(tx.type);
    if (byName === undefined) {
      byName = new Map();
      this.bound.set(tx.type, byName);
    }
    let bound = byName.get(name);
    if (bound === undefined) {
      bound = new BoundName(name, tx.type);
      byName.set(name, bound);
    }
    return bound;
  }

  private record(bound: BoundName, type: string, subtype: string, key: string, selfMs: number, count: number): void {
    const series = this.seriesFor(bound, type, subtype, key);
    series.selfTime.inc(selfMs / 1000);
    series.spans.inc(count);
  }

  private seriesFor(bound: BoundName, type: string, subtype: string, key: string): BoundSeries {
    let series = bound.bySpanType.get(key);
    if (series === undefined) {
      const labels = { transaction_name: bound.name, transaction_type: bound.type, span_type: type, span_subtype: subtype };
      series = new BoundSeries(this.selfTime.labels(labels), this.spans.labels(labels));
      bound.bySpanType.set(key, series);
    }
    return series;
  }

  private add(tx: Transaction, type: string, subtype: string, selfMs: number, count: number): void {
    let times = this.perTransaction.get(tx);
    if (times === undefined) {
      times = new Map();
      this.perTransaction.set(tx, times);
    }
    const key = subtype === '' ? type : `${type}\u0000${subtype}`;
    let t = times.get(key);
    if (t === undefined) {
      t = new TypeTime(type, subtype);
      times.set(key, t);
    }
    t.count += count;
    t.selfMs += selfMs > 0 ? selfMs : 0;
  }
}
