const WRITE_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

class LabelledCounter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels, by = 1): void {
    if (by === 0) return;
    const key = labelText(labels);
    const entry = this.#values.get(key);
    if (entry === undefined) this.#values.set(key, { labels, value: by });
    else entry.value += by;
  }

  render(lines: string[]): void {
    lines.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [key, { value }] of this.#values) lines.push(`${this.name}${key} ${value}`);
  }
}

/** The collector's own telemetry, served at GET /metrics in Prometheus text format 0.0.4. */
export class CollectorMetrics {
  readonly eventsAccepted = new LabelledCounter('sightline_intake_events_accepted_total', 'Events accepted into the write queue, by type.');
  readonly eventsRejected = new LabelledCounter('sightline_intake_events_rejected_total', 'Events rejected at intake, by type and reason.');
  readonly requests = new LabelledCounter('sightline_http_requests_total', 'HTTP requests answered, by route and status code.');
  readonly eventsWritten = new LabelledCounter('sightline_store_events_written_total', 'Events written to the database.');
  readonly eventsDropped = new LabelledCounter('sightline_store_events_dropped_total', 'Events given up on after repeated database write failures.');
  readonly retentionDeleted = new LabelledCounter('sightline_retention_deleted_total', 'Events deleted for being older than the retention period.');
  readonly metricSeriesLeftOut = new LabelledCounter(
    'sightline_anomaly_metric_series_left_out_total',
    'Metric series named by anomalyMetrics but not watched (over the bound of series), summed over the buckets judged.',
  );
  #metricSeriesWatched = 0;
  readonly #writeBuckets = new Array<number>(WRITE_BUCKETS_SECONDS.length).fill(0);
  #writeCount = 0;
  #writeSumSeconds = 0;

  constructor(private readonly queue: { readonly depth: number; readonly capacity: number }) {}

  observeWrite(events: number, durationMs: number): void {
    const seconds = durationMs / 1000;
    this.eventsWritten.inc({}, events);
    this.#writeCount += 1;
    this.#writeSumSeconds += seconds;
    for (let i = 0; i < WRITE_BUCKETS_SECONDS.length; i++) {
      if (seconds <= WRITE_BUCKETS_SECONDS[i]!) this.#writeBuckets[i]! += 1;
    }
  }

  /** After each anomaly bucket: metric series watched, and how many were left out of it. */
  observeMetricSeries(watched: number, leftOut: number): void {
    this.#metricSeriesWatched = watched;
    this.metricSeriesLeftOut.inc({}, leftOut);
  }

  render(): string {
    const lines: string[] = [];
    for (const counter of [this.eventsAccepted, this.eventsRejected, this.requests, this.eventsWritten, this.eventsDropped, this.retentionDeleted]) {
      counter.render(lines);
    }
    this.metricSeriesLeftOut.render(lines);
    lines.push(
      '# HELP sightline_anomaly_metric_series Metric series the anomaly detector watches (anomalyMetrics).',
      '# TYPE sightline_anomaly_metric_series gauge',
      `sightline_anomaly_metric_series ${this.#metricSeriesWatched}`,
    );
    lines.push(
      '# HELP sightline_write_queue_depth Events waiting in the write queue.',
      '# TYPE sightline_write_queue_depth gauge',
      `sightline_write_queue_depth ${this.queue.depth}`,
      '# HELP sightline_write_queue_capacity Events the write queue holds before intake answers 503.',
      '# TYPE sightline_write_queue_capacity gauge',
      `sightline_write_queue_capacity ${this.queue.capacity}`,
      '# HELP sightline_store_write_duration_seconds Time to write one batch to the database.',
      '# TYPE sightline_store_write_duration_seconds histogram',
    );
    WRITE_BUCKETS_SECONDS.forEach((le, i) => lines.push(`sightline_store_write_duration_seconds_bucket{le="${le}"} ${this.#writeBuckets[i]}`));
    lines.push(
      `sightline_store_write_duration_seconds_bucket{le="+Inf"} ${this.#writeCount}`,
      `sightline_store_write_duration_seconds_sum ${this.#writeSumSeconds}`,
      `sightline_store_write_duration_seconds_count ${this.#writeCount}`,
    );
    return `${lines.join('\n')}\n`;
  }
}
