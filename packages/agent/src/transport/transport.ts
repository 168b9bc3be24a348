/**
 * Ships events to the intake (Elastic APM intake v2) in gzipped ndjson batches.
 *
 * send() only hands the event to the batcher (written into the open batch at once, or
 * queued in a ring for the encoding tick; see batcher.ts). One request is in flight at a
 * time: meanwhile the next batch fills up, then the ring, then send() drops and counts.
 * Failures that may succeed later (no answer, 5xx, 429) are retried with backoff and
 * jitter; the server's refusals (4xx) are not. Nothing here throws into the app, and no
 * timer or socket keeps the process alive.
 */
import type { Config } from '../config/table.js';
import { logger } from '../log.js';
import type { EventKind, EventSink } from '../trace/sink.js';
import { backoffDelayMs } from './backoff.js';
import { acceptedFromBody, type Batch, serverMessage } from './batch.js';
import { Batcher } from './batcher.js';
import { encodeMetadataLine } from './encode.js';
import { GzipBodies } from './gzip-bodies.js';
import { byteLength, IntakeClient, type PostResult } from './http-client.js';
import { type Metadata, withFramework } from './metadata.js';
import { newTransportStats, type TransportStats } from './stats.js';
import { FlushWaiters } from './waiters.js';

export type { Metadata } from './metadata.js';
export type { TransportStats } from './stats.js';

/** Internal knobs, for tests (the defaults are what users get). */
export interface TransportOptions {
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Attempts per batch, the first one included. */
  maxAttempts?: number;
}

/** After an overflow, warn again only if the queue filled up again this much later. */
const QUEUE_FULL_REWARN_MS = 60_000;
/** setTimeout's ceiling: a longer (or Infinite) flush timeout would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
const LOG_KEYS = ['transport-unreachable', 'transport-unavailable', 'transport-gave-up'];

export class Transport implements EventSink {
  private readonly batcher: Batcher;
  private readonly client: IntakeClient;
  private readonly waiters = new FlushWaiters();
  private readonly counters: TransportStats = newTransportStats();
  private readonly flushTimeoutMs: number;
  private readonly maxQueueSize: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxAttempts: number;
  private metadata: Metadata;
  /** The metadata line, UTF-8: every body starts with it. */
  private metadataBytes: Buffer;
  private readonly gzip = new GzipBodies();
  /** Events sent or given up; accepted - settled are the ones still held. */
  private settled = 0;
  private inflight: Batch | null = null;
  /** Second halves of batches the server found too large (413), sent before the open batch. */
  private readonly splitQueue: Batch[] = [];
  private consecutiveFailures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private queueFullWarnedAtMs = 0;
  private accepting = true;
  private stopped = false;
  private closing: Promise<void> | null = null;

  constructor(config: Config, metadata: Metadata, options: TransportOptions = {}) {
    this.batcher = new Batcher({
      maxQueueSize: config.maxQueueSize,
      maxBatchBytes: config.maxBatchBytes,
      flushIntervalMs: config.flushIntervalMs,
      onReady: this.onBatchReady,
      onUnserializable: this.onUnserializable,
    });
    this.flushTimeoutMs = config.flushTimeoutMs;
    this.maxQueueSize = config.maxQueueSize;
    this.backoffBaseMs = options.backoffBaseMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.metadata = metadata;
    this.metadataBytes = Buffer.from(encodeMetadataLine(metadata));
    this.client = new IntakeClient({
      serverUrl: config.serverUrl,
      secretToken: config.secretToken,
      apiKey: config.apiKey,
      userAgent: `${metadata.service.agent.name}/${metadata.service.agent.version}`,
      timeoutMs: config.serverTimeoutMs,
    });
  }

  send(kind: EventKind, event: object): boolean {
    if (!this.accepting) {
      this.counters.droppedClosed++;
      this.counters.dropped++;
      return false;
    }
    // maxQueueSize bounds every event held (the ring, the open batch and the one in flight), not only
    // the ring: a server that never answers must not let the batches hold thousands more.
    if (this.counters.accepted - this.settled >= this.maxQueueSize) return this.dropQueueFull();
    // Counted before push(), which may write the event at once, or find it unserializable and settle it.
    this.counters.accepted++;
    if (!this.batcher.push(kind, event)) {
      this.counters.accepted--;
      return this.dropQueueFull();
    }
    return true;
  }

  setFramework(name: string, version: string | null): void {
    if (typeof name !== 'string' || name === '') return;
    try {
      this.metadata = withFramework(this.metadata, name, typeof version === 'string' ? version : null);
      this.metadataBytes = Buffer.from(encodeMetadataLine(this.metadata));
    } catch (err) {
      this.internalError(err);
    }
  }

  flush(timeoutMs?: number): Promise<void> {
    const target = this.counters.accepted;
    if (this.stopped || this.settled >= target) return Promise.resolve();
    const ms = typeof timeoutMs === 'number' && timeoutMs >= 0 ? Math.min(timeoutMs, MAX_TIMER_MS) : this.flushTimeoutMs;
    const done = this.waiters.wait(target, ms);
    // The encoding tick ends by offering the open batch, which a pending flush always takes.
    this.batcher.scheduleEncode();
    return done;
  }

  close(timeoutMs?: number): Promise<void> {
    if (this.closing === null) {
      this.accepting = false;
      this.closing = this.flush(timeoutMs).then(this.stop);
    }
    return this.closing;
  }

  stats(): TransportStats {
    return { ...this.counters, queued: this.counters.accepted - this.settled };
  }

  // The callbacks below are created once, here, rather than as closures per event or per timer.

  private readonly onBatchReady = (): void => {
    try {
      this.trySend();
    } catch (err) {
      this.internalError(err);
    }
  };

  private readonly onUnserializable = (kind: EventKind, err: Error): void => {
    this.counters.droppedUnserializable++;
    this.counters.dropped++;
    this.settle(1);
    logger.once('warn', 'transport-unserializable', `dropped a ${kind} that cannot be serialised (${err.message}); counted in droppedUnserializable`);
  };

  private readonly onRetryTimer = (): void => {
    this.retryTimer = null;
    try {
      this.attempt();
    } catch (err) {
      this.internalError(err);
    }
  };

  private readonly stop = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    this.accepting = false;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const abandoned = this.counters.accepted - this.settled;
    if (abandoned > 0) {
      this.counters.droppedClosed += abandoned;
      this.counters.dropped += abandoned;
      logger.warn(`transport closed with ${abandoned} events unsent (counted in droppedClosed)`);
    }
    this.batcher.stop();
    this.gzip.destroy();
    this.inflight = null;
    this.splitQueue.length = 0;
    try {
      this.client.destroy();
    } catch (err) {
      this.internalError(err);
    }
    this.settle(abandoned);
    this.waiters.releaseAll();
  };

  /** Starts the next batch if nothing is in flight and one is ready. */
  private trySend(): void {
    if (this.stopped || this.inflight !== null) return;
    const batch = this.splitQueue.shift() ?? this.batcher.take(this.waiters.pending);
    if (batch === null) return;
    this.inflight = batch;
    // After failures even a fresh batch waits: whatever failed is probably still failing.
    const delayMs = backoffDelayMs(this.consecutiveFailures, this.backoffBaseMs, this.backoffMaxMs);
    if (delayMs > 0) this.scheduleAttempt(delayMs);
    else this.attempt();
  }

  private scheduleAttempt(delayMs: number): void {
    this.retryTimer = setTimeout(this.onRetryTimer, delayMs);
    this.retryTimer.unref();
  }

  private attempt(): void {
    const batch = this.inflight;
    if (batch === null || this.stopped) return;
    if (batch.body !== null) {
      this.post(batch, batch.body);
      return;
    }
    batch.bodyUncompressedBytes = this.metadataBytes.length + batch.data.length;
    // Only the batch in flight is compressed, and its lines stay as they are until it is settled.
    this.gzip.compress([this.metadataBytes, batch.data], (err, body) => {
      if (this.stopped || this.inflight !== batch) return;
      try {
        if (body === null) this.giveUp(batch, `gzip failed: ${err?.message}`);
        else this.post(batch, (batch.body = body));
      } catch (e) {
        this.internalError(e);
      }
    });
  }

  private post(batch: Batch, body: readonly Buffer[]): void {
    batch.attempts++;
    if (batch.attempts > 1) this.counters.retries++;
    this.counters.requests++;
    this.counters.bytesSent += byteLength(body);
    this.counters.bytesUncompressed += batch.bodyUncompressedBytes;
    this.client.post(body, (result) => {
      if (this.stopped || this.inflight !== batch) return;
      try {
        this.onResult(batch, result);
      } catch (err) {
        this.internalError(err);
      }
    });
  }

  private onResult(batch: Batch, result: PostResult): void {
    const status = result.status;
    if (status >= 200 && status < 300) {
      this.consecutiveFailures = 0;
      this.counters.sent += batch.count;
      this.recovered();
      this.finish(batch.count);
      return;
    }
    this.counters.failedRequests++;
    const message = result.error ?? `HTTP ${status}: ${serverMessage(result.body)}`;
    this.counters.lastError = message;
    // The intake reads the stream in order and says how many events it took before failing.
    const taken = status === 0 ? 0 : acceptedFromBody(result.body, batch.count);
    if (taken > 0) {
      this.counters.sent += taken;
      this.settle(taken);
      batch.dropFirst(taken);
    }
    if (status === 0 || status === 429 || status >= 500) {
      this.consecutiveFailures++;
      if (batch.count === 0) {
        this.finish(0);
        return;
      }
      if (batch.attempts >= this.maxAttempts) {
        this.giveUp(batch, message);
        return;
      }
      const key = status === 0 ? 'transport-unreachable' : 'transport-unavailable';
      logger.once('warn', key, `cannot deliver events to ${this.client.url.href} (${message}); retrying with backoff`);
      let delayMs = backoffDelayMs(this.consecutiveFailures, this.backoffBaseMs, this.backoffMaxMs);
      if (result.retryAfterMs !== null) delayMs = Math.max(delayMs, Math.min(result.retryAfterMs, this.backoffMaxMs));
      this.scheduleAttempt(delayMs);
      return;
    }
    this.consecutiveFailures = 0;
    if (status === 413 && batch.count > 1) {
      // Too large for the server (or a proxy in front of it): halve and try again, no wait needed.
      this.splitQueue.unshift(batch.splitHalf());
      batch.attempts = 0;
      this.attempt();
      return;
    }
    const hint = status === 401 || status === 403 ? ' (check secretToken / apiKey)' : '';
    logger.once('warn', `transport-rejected-${status}`, `the server rejected ${batch.count} events: ${message}${hint}; not retried (counted in droppedFailed)`);
    this.counters.droppedFailed += batch.count;
    this.counters.dropped += batch.count;
    this.finish(batch.count);
  }

  private giveUp(batch: Batch, message: string): void {
    logger.once('warn', 'transport-gave-up', `gave up on ${batch.count} events after ${batch.attempts} attempts (${message}); counted in droppedFailed`);
    this.counters.droppedFailed += batch.count;
    this.counters.dropped += batch.count;
    this.finish(batch.count);
  }

  private finish(count: number): void {
    if (this.inflight !== null) this.batcher.recycle(this.inflight);
    this.inflight = null;
    this.settle(count);
    if (this.batcher.ring.size > 0) this.batcher.scheduleEncode();
    this.trySend();
  }

  private settle(count: number): void {
    this.settled += count;
    this.waiters.settle(this.settled);
  }

  private recovered(): void {
    for (const key of LOG_KEYS) logger.forget(key);
    if (this.queueFullWarnedAtMs !== 0 && Date.now() - this.queueFullWarnedAtMs > QUEUE_FULL_REWARN_MS) {
      logger.forget('transport-queue-full');
      this.queueFullWarnedAtMs = 0;
    }
  }

  private dropQueueFull(): false {
    this.counters.droppedQueueFull++;
    this.counters.dropped++;
    if (this.queueFullWarnedAtMs === 0) this.warnQueueFull();
    return false;
  }

  private warnQueueFull(): void {
    this.queueFullWarnedAtMs = Date.now();
    logger.once(
      'warn',
      'transport-queue-full',
      `the transport queue is full (maxQueueSize ${this.batcher.ring.capacity}); new events are dropped and counted in stats droppedQueueFull`,
    );
  }

  private internalError(err: unknown): void {
    logger.once('error', 'transport-internal', `transport error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}
