import { LatencyHistogram } from './histogram.js';

/** What one request came to: an HTTP status, or 0 when it got no answer. */
export interface RequestResult {
  key: string;
  status: number;
  durationMs: number;
}

class Tally {
  requests = 0;
  errors = 0;
  clientErrors = 0;
  readonly latency = new LatencyHistogram();

  add(r: RequestResult): void {
    this.requests++;
    if (r.status === 0 || r.status >= 500) this.errors++;
    else if (r.status >= 400) this.clientErrors++;
    this.latency.record(r.durationMs);
  }
}

/** Totals for the live line, and per `service route` for the summary at the end. */
export class LoadStats {
  readonly total = new Tally();
  readonly byKey = new Map<string, Tally>();
  readonly startedAt = performance.now();

  add(r: RequestResult): void {
    this.total.add(r);
    let t = this.byKey.get(r.key);
    if (t === undefined) this.byKey.set(r.key, (t = new Tally()));
    t.add(r);
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}
