import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, readWholeBody } from '../intake/body.js';
import { mapOtlpLogs, mapOtlpMetrics } from '../intake/otlp-signals.js';
import { mapOtlpTraces, type OtlpMapResult } from '../intake/otlp-traces.js';
import { batchSize } from '../model/event.js';
import type { CollectorContext } from './context.js';
import { discardRest, sendJson } from './respond.js';

export type OtlpSignal = 'traces' | 'metrics' | 'logs';

const MAPPERS: Record<OtlpSignal, (body: Record<string, any>) => OtlpMapResult> = {
  traces: mapOtlpTraces,
  metrics: mapOtlpMetrics,
  logs: mapOtlpLogs,
};

const REJECTED_FIELD: Record<OtlpSignal, string> = {
  traces: 'rejectedSpans',
  metrics: 'rejectedDataPoints',
  logs: 'rejectedLogRecords',
};

// google.rpc.Code values, which OTLP/HTTP puts in its Status error bodies.
const RPC_INVALID_ARGUMENT = 3;
const RPC_UNAVAILABLE = 14;

function sendStatus(res: ServerResponse, httpStatus: number, code: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, httpStatus, { code, message }, headers);
}

/** POST /v1/{traces,metrics,logs}: OTLP/HTTP with JSON bodies, mapped onto the Elastic-shaped model. */
export function handleOtlp(signal: OtlpSignal) {
  return async (ctx: CollectorContext, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') {
      const hint = contentType === 'application/x-protobuf'
        ? 'OTLP protobuf is not supported by this collector; configure the exporter for http/json (OTEL_EXPORTER_OTLP_PROTOCOL=http/json)'
        : `unsupported Content-Type '${contentType}'; send OTLP/HTTP JSON as application/json`;
      discardRest(req, res);
      sendStatus(res, 415, RPC_INVALID_ARGUMENT, hint);
      return;
    }
    if (ctx.closing) {
      discardRest(req, res);
      sendStatus(res, 503, RPC_UNAVAILABLE, 'server is shutting down', { 'retry-after': String(ctx.options.retryAfterSeconds) });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse((await readWholeBody(req, ctx.options.maxRequestBytes, ctx.options.bodyTimeoutMs)).toString('utf8'));
    } catch (error) {
      const status = error instanceof BodyError ? error.status : 400;
      const message = error instanceof BodyError ? error.message : `body is not JSON: ${(error as Error).message}`;
      discardRest(req, res);
      sendStatus(res, status, RPC_INVALID_ARGUMENT, message);
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendStatus(res, 400, RPC_INVALID_ARGUMENT, `body must be an OTLP Export${signal === 'traces' ? 'Trace' : signal === 'metrics' ? 'Metrics' : 'Logs'}ServiceRequest object`);
      return;
    }
    const { batch, rejected, firstProblem } = MAPPERS[signal](body as Record<string, any>);
    const events = batchSize(batch);
    if (events > ctx.queue.capacity) {
      // It would never fit, so a 503 would only make the exporter retry it forever.
      sendStatus(res, 413, RPC_INVALID_ARGUMENT, `request holds ${events} items, more than the write queue's ${ctx.queue.capacity}; export smaller batches`);
      return;
    }
    // Answered once the batch is in the database (group commit), so a success is never lost to a crash.
    let told: (written: boolean) => void = () => {};
    const written = new Promise<boolean>((resolve) => (told = resolve));
    // The request is offered whole: with no intake request still streaming, it is written at once.
    ctx.queue.streamStarted();
    const outcome = ctx.queue.offer(batch, told);
    ctx.queue.streamEnded();
    if (outcome !== 'accepted' || !(await written)) {
      const message =
        outcome === 'full' ? 'queue is full; retry later' : outcome === 'closing' ? 'server is shutting down' : 'cannot write to the database; retry later';
      sendStatus(res, 503, RPC_UNAVAILABLE, message, { 'retry-after': String(ctx.options.retryAfterSeconds) });
      return;
    }
    ctx.metrics.eventsAccepted.inc({ type: 'transaction' }, batch.transactions.length);
    ctx.metrics.eventsAccepted.inc({ type: 'span' }, batch.spans.length);
    ctx.metrics.eventsAccepted.inc({ type: 'error' }, batch.errors.length);
    ctx.metrics.eventsAccepted.inc({ type: 'metricset' }, batch.metrics.length);
    ctx.metrics.eventsAccepted.inc({ type: 'log' }, batch.logs.length);
    if (rejected > 0) ctx.metrics.eventsRejected.inc({ type: signal, reason: 'invalid' }, rejected);
    sendJson(res, 200, rejected === 0 ? {} : { partialSuccess: { [REJECTED_FIELD[signal]]: rejected, errorMessage: firstProblem } });
  };
}

