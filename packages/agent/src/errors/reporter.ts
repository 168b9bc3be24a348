/**
 * Captures errors: the cheap part now, on the app's stack (ids, the trace it belongs to, the
 * thrown value's properties and stack string), the slow part later (source maps and source
 * lines read from disk), then hands the event to the sink. Never throws into the app.
 */
import type { IncomingMessage } from 'node:http';
import { logger } from '../log.js';
import { epochMicros } from '../trace/clock.js';
import { currentActive, type Active } from '../trace/context.js';
import { newSpanId } from '../trace/ids.js';
import { setLabel, type LabelMap } from '../trace/labels.js';
import type { Tracer } from '../trace/tracer.js';
import { callSiteFrames } from './call-site.js';
import { buildErrorEvent, type CapturedError, type ErrorEventOptions } from './event.js';
import { allFrameLists, errorToException, valueToException } from './exception.js';
import { FrameEnricher } from './frames.js';
import { cut, isErrorLike, jsonSafe } from './safe.js';
import { SourceFiles } from './source-files.js';
import { SourceMaps } from './source-map.js';
import { safeCwd } from './stack.js';

export interface CaptureErrorOptions {
  /** Default true; uncaught exceptions and unhandled rejections are captured with false. */
  handled?: boolean;
  /** The span or transaction the error belongs to; default the current one. */
  parent?: Active | null;
  labels?: Record<string, unknown>;
  custom?: Record<string, unknown>;
  /** Sent as `log.message`; for a string capture the string itself is the message. */
  message?: string;
  /** Epoch ms. */
  timestamp?: number;
  /** A request to describe in `context.request`; default the parent transaction's. */
  request?: IncomingMessage | null;
}

/** A captured string (or `message` option) is cut to this: whole, a huge one would exceed the intake's event size and be lost. */
const MAX_LOG_MESSAGE = 10_000;
/** Errors still being enriched at once; beyond this they are sent without source lines. */
const MAX_IN_FLIGHT = 256;

export class ErrorReporter {
  private readonly tracer: Tracer;
  private readonly enricher: FrameEnricher;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly eventOptions: ErrorEventOptions;

  constructor(tracer: Tracer) {
    this.tracer = tracer;
    const files = new SourceFiles();
    this.enricher = new FrameEnricher(files, new SourceMaps(files), {
      appLines: tracer.config.sourceLinesAppFrames,
      libraryLines: tracer.config.sourceLinesLibraryFrames,
    });
    this.eventOptions = { globalLabels: tracer.globalLabels, http: tracer.httpContextOptions };
  }

  /** Returns the error's id at once; the event follows when its source lines are read. */
  capture(err: unknown, opts?: CaptureErrorOptions): string {
    const id = newSpanId();
    try {
      const captured = this.snapshot(id, err, opts ?? {});
      this.tracer.stats.errorsCaptured++;
      this.schedule(captured);
    } catch (e) {
      // Options the app broke (a throwing getter): still report that an error happened.
      logger.once('warn', 'errors:capture', `could not read an error's options: ${String(e)}`);
      this.send(bareError(id, err, this.tracer.config.stackTraceLimit));
    }
    return id;
  }

  /** Resolves when every error captured so far has been handed to the sink. */
  async pending(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private snapshot(id: string, err: unknown, opts: CaptureErrorOptions): CapturedError {
    const config = this.tracer.config;
    const cwd = safeCwd();
    const parent = opts.parent === undefined ? currentActive() : opts.parent;
    const tx = parent?.transaction ?? null;
    const c: CapturedError = {
      id,
      timestamp: typeof opts.timestamp === 'number' && Number.isFinite(opts.timestamp) ? Math.round(opts.timestamp * 1000) : epochMicros(),
      traceId: parent?.traceId ?? null,
      parentId: parent?.id ?? null,
      transaction: tx,
      exception: null,
      log: null,
      labels: labelsOf(opts.labels),
      custom: jsonSafe(opts.custom),
      request: null,
      requestBody: undefined,
    };
    if (isErrorLike(err)) {
      c.exception = errorToException(err, { frameLimit: config.stackTraceLimit, cwd });
    } else if (typeof err === 'string') {
      c.log = { message: cut(err, MAX_LOG_MESSAGE) };
      const frames = callSiteFrames(config.stackTraceLimit, cwd);
      if (frames.length > 0) c.log.stacktrace = frames;
    } else {
      c.exception = valueToException(err);
      const frames = callSiteFrames(config.stackTraceLimit, cwd);
      if (frames.length > 0) c.exception.stacktrace = frames;
    }
    if (c.exception !== null) c.exception.handled = opts.handled !== false;
    if (c.log === null && typeof opts.message === 'string') c.log = { message: cut(opts.message, MAX_LOG_MESSAGE) };

    if (opts.request !== undefined && opts.request !== null) c.request = opts.request;
    else if (opts.request === undefined && tx !== null && tx.req !== null) {
      c.request = tx.req;
      if (config.captureBody === 'errors' || config.captureBody === 'all') c.requestBody = tx.requestBody;
    }
    return c;
  }

  private schedule(c: CapturedError): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      logger.once('debug', 'errors:busy', 'many errors at once: some are sent without source lines');
      this.send(c);
      return;
    }
    const p = this.enrichAndSend(c);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async enrichAndSend(c: CapturedError): Promise<void> {
    try {
      const cwd = safeCwd();
      const lists = c.exception !== null ? allFrameLists(c.exception) : [];
      if (c.log?.stacktrace !== undefined) lists.push(c.log.stacktrace);
      for (const frames of lists) await this.enricher.enrich(frames, cwd);
    } catch {
      // Frames stay as parsed.
    }
    this.send(c);
  }

  private send(c: CapturedError): void {
    try {
      this.tracer.sink.send('error', buildErrorEvent(c, this.eventOptions));
    } catch (e) {
      logger.once('warn', 'errors:send', `could not send an error: ${String(e)}`);
    }
  }
}

function bareError(id: string, err: unknown, frameLimit: number): CapturedError {
  const exception = isErrorLike(err) ? errorToException(err, { frameLimit, cwd: safeCwd() }) : valueToException(err);
  exception.handled = true;
  return {
    id,
    timestamp: epochMicros(),
    traceId: null,
    parentId: null,
    transaction: null,
    exception,
    log: null,
    labels: null,
    custom: null,
    request: null,
    requestBody: undefined,
  };
}

function labelsOf(labels: Record<string, unknown> | undefined): LabelMap | null {
  if (labels === null || typeof labels !== 'object') return null;
  let map: LabelMap | null = null;
  try {
    for (const key of Object.keys(labels)) map = setLabel(map, key, labels[key]);
  } catch {
    // A label object with throwing getters: keep what was read.
  }
  return map;
}
