/**
 * Ships events to the intake (Elastic APM intake v2) in gzipped ndjson batches.
 *
 * send() only puts the event in a preallocated ring and, once per burst, schedules an
 * encoding tick; the tick serialises queued events into the open batch off the request
 * path. A batch goes out when it reaches maxBatchBytes, flushIntervalMs after its first
 * event, or when someone flushes. One request is in flight at a time: meanwhile the next
 * batch fills up, then the ring, then send() drops and counts. Failures that may succeed
 * later (no answer, 5xx, 429) are retried with backoff; the server's refusals (4xx) are
 * not. Nothing here throws into the app, and no timer or socket keeps the process alive.
 */
import { gzip } from 'node:zlib';
import type { Config } from '../config/table.js';
import { logger } from '../log.js';
import { suppressTracing } from '../trace/context.js';
import type { EventKind, EventSink } from '../trace/sink.js';
import { backoffDelayMs } from './backoff.js';
import { acceptedFromBody, Batch, serverMessage } from './batch.js';
import { encodeLine, encodeMetadataLine } from './encode.js';
import { IntakeClient, type PostResult } from './http-client.js';
import { type Metadata, withFramework } from './metadata.js';
import { Ring } from './ring.js';
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

/** Events serialised per encoding tick at most, so a burst never holds the event loop for long. */
const ENCODE_BUDGET = 256;
/** After an overflow, warn again only if the queue filled up again this much later. */
const QUEUE_FULL_REWARN_MS = 60_000;
const LOG_KEYS = ['transport-unreachable', 'transport-unavailable', 'transport-gave-up'];

export class Transport implements EventSink {
  private readonly ring: Ring;
  private readonly client: IntakeClient;
  private readonly waiters = new FlushWaiters();
  private readonly counters: TransportStats = newTransportStats();
  private readonly maxBatchBytes: number;
  private readonly flushIntervalMs: number;
  private readonly flushTimeoutMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxAttempts: number;
  private metadata: Metadata;
  private metadataLine: string;
  /** Events sent or given up; accepted - settled are the ones still held. */
  private settled = 0;
  private openLines: string[] = [];
  private openBytes = 0;
  /** The open batch has waited flushIntervalMs: send it as soon as nothing is in flight. */
  private due = false;
  private inflight: Batch | null = null;
  /** Second halves of batches the server found too large (413), sent before the open batch. */
  private readonly splitQueue: Batch[] = [];
  private consecutiveFailures = 0;
  private encodeImmediate: NodeJS.Immediate | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private queueFullWarnedAtMs = 0;
  private accepting = true;
  private stopped = false;
  private closing: Promise<void> | null = null;

  constructor(config: Config, metadata: Metadata, options: TransportOptions = {}) {
    this.ring = new Ring(config.maxQueueSize);
    this.maxBatchBytes = config.maxBatchBytes;
    this.flushIntervalMs = config.flushIntervalMs;
    this.flushTimeoutMs = config.flushTimeoutMs;
    this.backoffBaseMs = options.backoffBaseMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.metadata = metadata;
    this.metadataLine = encodeMetadataLine(metadata);
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
    if (!this.ring.push(kind, event)) {
      this.counters.droppedQueueFull++;
      this.counters.dropped++;
      if (this.queueFullWarnedAtMs === 0) this.warnQueueFull();
      return false;
    }
    this.counters.accepted++;
    if (this.encodeImmediate === null && this.openBytes < this.maxBatchBytes) this.scheduleEncode();
    return true;
  }

  setFramework(name: string, version: string | null): void {
    if (typeof name !== 'string' || name === '') return;
    try {
      this.metadata = withFramework(this.metadata, name, typeof version === 'string' ? version : null);
      this.metadataLine = encodeMetadataLine(this.metadata);
    } catch (err) {
      this.internalError(err);
    }
  }

  flush(timeoutMs?: number): Promise<void> {
    const target = this.counters.accepted;
    if (this.stopped || this.settled >= target) return Promise.resolve();
    const ms = typeof timeoutMs === 'number' && timeoutMs >= 0 ? timeoutMs : this.flushTimeoutMs;
    const done = this.waiters.wait(target, ms);
    this.scheduleEncode();
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

  private readonly armEncode = (): void => {
    this.encodeImmediate = setImmediate(this.onEncodeTick);
    this.encodeImmediate.unref();
  };

  /** Serialises queued events into the open batch, a bounded number per tick. */
  private readonly onEncodeTick = (): void => {
    this.encodeImmediate = null;
    if (this.stopped) return;
    try {
      const ring = this.ring;
      let budget = ENCODE_BUDGET;
      while (ring.size > 0 && this.openBytes < this.maxBatchBytes && budget-- > 0) {
        const kind = ring.peekKind();
        const line = encodeLine(kind, ring.peekEvent());
        ring.shift();
        if (typeof line === 'string') this.addLine(line);
        else this.dropUnserializable(kind, line);
      }
      if (ring.size > 0 && this.openBytes < this.maxBatchBytes) this.scheduleEncode();
      this.trySend();
    } catch (err) {
      this.internalError(err);
    }
  };

  private readonly onFlushTimer = (): void => {
    this.flushTimer = null;
    this.due = true;
    try {
      this.trySend();
    } catch (err) {
      this.internalError(err);
    }
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
    if (this.encodeImmediate !== null) clearImmediate(this.encodeImmediate);
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.encodeImmediate = this.flushTimer = this.retryTimer = null;
    const abandoned = this.counters.accepted - this.settled;
    if (abandoned > 0) {
      this.counters.droppedClosed += abandoned;
      this.counters.dropped += abandoned;
      logger.warn(`transport closed with ${abandoned} events unsent (counted in droppedClosed)`);
    }
    this.ring.clear();
    this.openLines = [];
    this.openBytes = 0;
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

  private scheduleEncode(): void {
    if (this.encodeImmediate !== null || this.stopped) return;
    // Scheduled from the app's context; the work it starts must not be traced, nor hold on to the app's transaction.
    suppressTracing(this.armEncode);
  }

  private addLine(line: string): void {
    this.openLines.push(line);
    this.openBytes += Buffer.byteLength(line);
    if (this.openLines.length === 1 && this.flushTimer === null) {
      this.flushTimer = setTimeout(this.onFlushTimer, this.flushIntervalMs);
      this.flushTimer.unref();
    }
  }

  /** Starts the next batch if nothing is in flight and one is ready. */
  private trySend(): void {
    if (this.stopped || this.inflight !== null) return;
    let batch = this.splitQueue.shift() ?? null;
    if (batch === null) {
      if (this.openLines.length === 0) return;
      if (this.openBytes < this.maxBatchBytes && !this.due && !this.waiters.pending) return;
      batch = new Batch(this.openLines, this.openBytes);
      this.openLines = [];
      this.openBytes = 0;
      this.due = false;
      if (this.flushTimer !== null) clearTimeout(this.flushTimer);
      this.flushTimer = null;
      if (this.ring.size > 0) this.scheduleEncode();
    }
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
    const raw = Buffer.from(this.metadataLine + batch.lines.join(''));
    batch.bodyUncompressedBytes = raw.length;
    gzip(raw, (err, body) => {
      if (this.stopped || this.inflight !== batch) return;
      try {
        if (err !== null) this.giveUp(batch, `gzip failed: ${err.message}`);
        else this.post(batch, (batch.body = body));
      } catch (e) {
        this.internalError(e);
      }
    });
  }

  private post(batch: Batch, body: Buffer): void {
    batch.attempts++;
    if (batch.attempts > 1) this.counters.retries++;
    this.counters.requests++;
    this.counters.bytesSent += body.length;
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
    this.inflight = null;
    this.settle(count);
    if (this.ring.size > 0) this.scheduleEncode();
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

  private warnQueueFull(): void {
    this.queueFullWarnedAtMs = Date.now();
    logger.once(
      'warn',
      'transport-queue-full',
      `the transport queue is full (maxQueueSize ${this.ring.capacity}); new events are dropped and counted in stats droppedQueueFull`,
    );
  }

  private dropUnserializable(kind: EventKind, err: Error): void {
    this.counters.droppedUnserializable++;
    this.counters.dropped++;
    this.settle(1);
    logger.once('warn', 'transport-unserializable', `dropped a ${kind} that cannot be serialised (${err.message}); counted in droppedUnserializable`);
  }

  private internalError(err: unknown): void {
    logger.once('error', 'transport-internal', `transport error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}
