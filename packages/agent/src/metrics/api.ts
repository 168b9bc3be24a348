/**
 * The public metrics API: define counters, gauges and histograms (checked when defined),
 * serve the Prometheus exposition, bridge prom-client registries.
 */
import { getAgent } from '../instance.js';
import { Counter } from './counter.js';
import { Gauge, type GaugeOptions } from './gauge.js';
import { exponentialBuckets, Histogram, linearBuckets, type HistogramOptions } from './histogram.js';
import { createHandler, type MetricsHandler } from './prometheus.js';
import { userRegistry, type MetricOptions } from './registry.js';

export { addPromClientRegistry } from './prom-client.js';

export const metrics = Object.freeze({
  /** A counter; defining the same one again returns the first, a different one by the same name throws. */
  counter(options: MetricOptions): Counter {
    return userRegistry.getOrCreate(new Counter(options));
  },
  gauge(options: GaugeOptions): Gauge {
    return userRegistry.getOrCreate(new Gauge(options));
  },
  histogram(options: HistogramOptions): Histogram {
    return userRegistry.getOrCreate(new Histogram(options));
  },
  linearBuckets,
  exponentialBuckets,
});

/**
 * A handler serving the Prometheus exposition (text 0.0.4, or OpenMetrics when asked):
 * `http.createServer(handler)`, `app.get('/metrics', handler)` in Express,
 * `fastify.get('/metrics', handler)` in Fastify. Shows the app's metrics and, while the
 * agent runs with metrics on, its RED, breakdown and runtime metrics.
 */
export function createMetricsHandler(): MetricsHandler {
  return createHandler(async () => {
    const agentMetrics = getAgent()?.metrics ?? null;
    if (agentMetrics !== null) return agentMetrics.exposition();
    return { families: await userRegistry.collect(), global: [] };
  });
}
