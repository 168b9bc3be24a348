import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestBody } from '../intake/body.js';
import { processElasticStream, REQUEST_BATCH_EVENTS, type IntakeIssue } from '../intake/elastic-stream.js';
import { readLines } from '../intake/line-reader.js';
import type { EventBatch } from '../model/event.js';
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
  const lines = readLines(requestBody(req, ctx.options.maxRequestBytes), ctx.options.maxEventBytes);
  // A request still streaming when shutdown starts is refused from then on, as APM Server does.
  const offer = (batch: EventBatch) => (ctx.closing ? 'closing' : ctx.queue.offer(batch));
  // A queue smaller than the usual batch must still be able to take a batch.
  const batchEvents = Math.min(REQUEST_BATCH_EVENTS, ctx.queue.capacity);
  const result = await processElasticStream(lines, offer, requestTimeUs, batchEvents);
  for (const [type, count] of Object.entries(result.acceptedByKind)) ctx.metrics.eventsAccepted.inc({ type }, count);
  for (const [type, count] of Object.entries(result.rejectedByKind)) ctx.metrics.eventsRejected.inc({ type, reason: 'invalid' }, count);
  if (result.stoppedEarly) discardRest(req, res);
  answer(ctx, res, result.accepted, result.issues);
}
