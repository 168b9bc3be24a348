import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AnomalyDetector } from '../anomaly/detector.js';
import { resolveOptions, type CollectorOptions } from '../config.js';
import { openStore } from '../store/open.js';
import { startRetention } from '../store/retention.js';
import type { Store } from '../store/store.js';
import { WriteQueue } from '../store/write-queue.js';
import { createAuthorizer } from './auth.js';
import type { CollectorContext } from './context.js';
import { createRequestListener } from './http-server.js';
import { CollectorMetrics } from './metrics.js';

export interface RunningCollector {
  /** e.g. http://127.0.0.1:8200 */
  readonly url: string;
  readonly port: number;
  readonly store: Store;
  /** Resolves once everything accepted so far is in the database. */
  flush(): Promise<void>;
  /** Stops accepting, answers in-flight intake with 503, writes the queue out, closes the database. */
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 10_000;
/** A whole request, body included, must arrive within this long however it trickles. */
const REQUEST_TIMEOUT_MS = 120_000;

/** Opens the database and starts listening; the one call behind `sightline collector`. */
export async function startCollector(options: CollectorOptions = {}): Promise<RunningCollector> {
  const resolved = resolveOptions(options);
  const store = await openStore(resolved.db, { pgSchema: resolved.pgSchema, log: logMigration });
  let metrics: CollectorMetrics | undefined;
  const queue = new WriteQueue(store, {
    capacity: resolved.queueSize,
    batchSize: resolved.batchSize,
    flushIntervalMs: resolved.flushIntervalMs,
    onWrite: (events, durationMs) => metrics?.observeWrite(events, durationMs),
    onDrop: (events, error) => {
      metrics?.eventsDropped.inc({}, events);
      process.emitWarning(`sightline collector: dropped ${events} events after repeated write failures: ${error.message}`);
    },
  });
  metrics = new CollectorMetrics(queue);
  const ctx: CollectorContext = {
    options: resolved,
    store,
    queue,
    metrics,
    authorize: createAuthorizer(resolved.secretToken, resolved.apiKeys),
    startedAtMs: Date.now(),
    closing: false,
  };
  const server = createServer(
    {
      keepAliveTimeout: 65_000,
      // Slow headers are cut off (Node answers 408); the check runs this often.
      headersTimeout: resolved.headersTimeoutMs,
      requestTimeout: Math.max(REQUEST_TIMEOUT_MS, resolved.headersTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, resolved.headersTimeoutMs),
    },
    createRequestListener(ctx),
  );
  try {
    await listen(server, resolved.host, resolved.port);
  } catch (error) {
    await store.close();
    throw error;
  }
  const retention = startRetention(store, resolved.retentionMs, (deleted) => metrics.retentionDeleted.inc({}, deleted));
  const detector = resolved.anomalies ? startDetector(store, resolved, metrics) : null;
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    flush: () => queue.drain(),
    close() {
      closed ??= (async () => {
        ctx.closing = true;
        retention.stop();
        await detector?.stop();
        // Requests in flight wait for their events to be written: write them now, not after the window.
        void queue.drain();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Connections busy when close() began go idle later, and keep-alive would hold them open.
        server.closeIdleConnections();
        const idleSweep = setInterval(() => server.closeIdleConnections(), 50).unref();
        // A client that never finishes its upload must not hold shutdown forever.
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_TIMEOUT_MS).unref();
        await serverClosed;
        clearInterval(idleSweep);
        clearTimeout(force);
        await queue.close();
        await store.close();
      })();
      return closed;
    },
  };
}

function startDetector(store: Store, options: ReturnType<typeof resolveOptions>, metrics: CollectorMetrics): AnomalyDetector {
  let warned = false;
  let warnedLeftOut = false;
  return new AnomalyDetector(store.anomalies, {
    bucketMs: options.anomalyBucketMs,
    graceMs: options.anomalyGraceMs,
    warmupBuckets: options.anomalyWarmup,
    threshold: options.anomalyThreshold,
    metrics: options.anomalyMetrics,
    onMetricSeries: (watched, leftOut) => {
      metrics.observeMetricSeries(watched, leftOut);
      if (leftOut === 0 || warnedLeftOut) return;
      warnedLeftOut = true;
      process.emitWarning(`sightline collector: anomalyMetrics names more metric series than are watched (${watched}); ${leftOut} left out (counted in sightline_anomaly_metric_series_left_out_total)`);
    },
    // Once per process: a database that keeps failing would otherwise warn every tick.
    onError: (error) => {
      if (warned) return;
      warned = true;
      process.emitWarning(`sightline collector: anomaly detection failed (retrying every tick): ${error.message}`);
    },
  }).start();
}

/** Start-up migrations (a rollup backfill of an older database) say how far they are. */
function logMigration(message: string): void {
  process.stderr.write(`sightline collector: ${message}\n`);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
