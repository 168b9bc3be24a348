/**
 * Breakdown: where the time of a transaction went, by span type. Each span's self time
 * (its duration less its direct children's) is summed per span type and subtype, and the
 * transaction's own self time counts as type `app`, as Elastic's breakdown does. Computed
 * for sampled transactions (unsampled ones have no spans). Concurrent children may
 * together exceed their parent; its self time is then 0.
 */
import type { Span } from '../trace/span.js';
import type { Transaction } from '../trace/transaction.js';
import { Counter } from './counter.js';
import type { RedMetrics } from './red.js';
import type { Registry } from './registry.js';

class TypeTime {
  count = 0;
  selfMs = 0;
  constructor(
    readonly type: string,
    readonly subtype: string,
  ) {}
}

export class Breakdown {
  readonly selfTime: Counter;
  readonly spans: Counter;
  /** Per transaction or span: the summed durations of its ended direct children. */
  private readonly childMs = new WeakMap<object, number>();
  private readonly perTransaction = new WeakMap<Transaction, Map<string, TypeTime>>();

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

  onTransactionEnd(tx: Transaction): void {
    if (!tx.sampled) return;
    this.add(tx, 'app', '', tx.durationMs - (this.childMs.get(tx) ?? 0), 1);
    const times = this.perTransaction.get(tx)!;
    this.perTransaction.delete(tx);
    const name = this.red.boundedName(tx.name, tx.type);
    for (const t of times.values()) {
      const labels = { transaction_name: name, transaction_type: tx.type, span_type: t.type, span_subtype: t.subtype };
      this.selfTime.inc(labels, t.selfMs / 1000);
      this.spans.inc(labels, t.count);
    }
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
