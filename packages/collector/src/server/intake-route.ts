import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestBody } from '../intake/body.js';
import { processElasticStream, REQUEST_BATCH_EVENTS, type IntakeIssue } from '../intake/elastic-stream.js';
import { readLines } from '../intake/line-reader.js';
import type { EventBatch } from '../model/event.js';
import type { OfferResult } from '../store/write-queue.js';
import type { CollectorContext } from './context.js';
import { discardRest, sendJson } from './respond.js';

interface IntakeBody {
  accepted: number;
  errors?: Array<{ message: string; document?: string }>;
}

function answer(ctx: CollectorContext, res: ServerResponse, accepted: number, issues: IntakeIssue[]): void {
  const status = issues.reduce((highest, issue) => Math.max(highest, issue.status), 202);
  const body: IntakeBody = { accepted };
  if (issues.length > 0) {
    body.errors = issues.map((issue) =>
      issue.document === undefined ? { message: issue.message } : { message: issue.message, document: issue.document },
    );
  }
  if (ctx.closing) res.shouldKeepAlive = false;
  const headers: Record<string, string> = status === 503 ? { 'retry-after': String(ctx.options.retryAfterSeconds) } : {};
  sendJson(res, status, body, headers);
}

/** POST /intake/v2/events: Elastic APM intake v2, answered as APM Server answers. */
export async function handleIntake(ctx: CollectorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    answer(ctx, res, 0, [{ status: 405, message: 'only POST requests are supported' }]);
    return;
  }
  if (ctx.authorize !== null && !ctx.authorize(req)) {
    discardRest(req, res);
    answer(ctx, res, 0, [{ status: 401, message: 'authentication failed: missing or invalid Authorization header' }]);
    return;
  }
  const contentType = req.headers['content-type'] ?? '';
  if (!/application\/(x-)?ndjson/i.test(contentType)) {
    discardRest(req, res);
    answer(ctx, res, 0, [{ status: 400, message: `invalid content type: '${contentType}'` }]);
    return;
  }
  if (ctx.closing) {
    discardRest(req, res);
    answer(ctx, res, 0, [{ status: 503, message: 'server is shutting down' }]);
    return;
  }
  const requestTimeUs = Date.now() * 1000;
  const lines = readLines(requestBody(req, ctx.options.maxRequestBytes, ctx.options.bodyTimeoutMs), ctx.options.maxEventBytes);
  // Each slice of the request's events is written in some group commit; the answer waits for all of them.
  const slices: Array<Promise<number>> = [];
  // A request still streaming when shutdown starts is refused from then on, as APM Server does.
  const offer = (batch: EventBatch, events: number): OfferResult => {
    if (ctx.closing) return 'closing';
    let told: (written: boolean) => void = () => {};
    const written = new Promise<number>((resolve) => (told = (ok) => resolve(ok ? events : -events)));
    const outcome = ctx.queue.offer(batch, told);
    if (outcome === 'accepted') slices.push(written);
    return outcome;
  };
  // A queue smaller than the usual batch must still be able to take a batch.
  const batchEvents = Math.min(REQUEST_BATCH_EVENTS, ctx.queue.capacity);
  ctx.queue.streamStarted();
  let result;
  try {
    result = await processElasticStream(lines, offer, requestTimeUs, batchEvents);
  } finally {
    ctx.queue.streamEnded();
  }
  if (result.stoppedEarly) discardRest(req, res);
  // "accepted" is what is in the database: the slices written before the first one that was not, as the
  // agent resends everything after the accepted count (a later slice written anyway is sent twice, not lost).
  let accepted = 0;
  let failed = 0;
  for (const events of await Promise.all(slices)) {
    if (events > 0 && failed === 0) accepted += events;
    else failed += Math.abs(events);
  }
  if (failed === 0) {
    for (const [type, count] of Object.entries(result.acceptedByKind)) ctx.metrics.eventsAccepted.inc({ type }, count);
  } else {
    ctx.metrics.eventsAccepted.inc({ type: 'unknown' }, accepted);
    ctx.metrics.eventsRejected.inc({ type: 'unknown', reason: 'unavailable' }, failed);
    const cause = ctx.queue.lastError?.message ?? 'write failed';
    result.issues.push({ status: 503, message: `cannot write to the database (${cause.slice(0, 200)}); retry later` });
  }
  for (const [type, count] of Object.entries(result.rejectedByKind)) ctx.metrics.eventsRejected.inc({ type, reason: 'invalid' }, count);
  answer(ctx, res, accepted, result.issues);
}
