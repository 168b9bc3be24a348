import type { IncomingMessage, ServerResponse } from 'node:http';
import { APM_SERVER_COMPAT_VERSION, COLLECTOR_VERSION } from '../version.js';
import type { CollectorContext } from './context.js';
import { sendJson } from './respond.js';

/**
 * GET /: what Elastic agents ask for at start-up. Like APM Server, without valid
 * credentials (when some are required) it tells only that it is up.
 */
export function handleServerInfo(ctx: CollectorContext, req: IncomingMessage, res: ServerResponse): void {
  if ((req.headers.accept ?? '').includes('text/html')) {
    res.writeHead(302, { location: '/ui/' });
    res.end();
    return;
  }
  if (ctx.authorize !== null && !ctx.authorize(req)) {
    sendJson(res, 200, { publish_ready: !ctx.closing });
    return;
  }
  sendJson(res, 200, {
    build_date: '',
    build_sha: '',
    publish_ready: !ctx.closing,
    version: APM_SERVER_COMPAT_VERSION,
    sightline: { version: COLLECTOR_VERSION, store: ctx.store.kind },
  });
}

/** GET /healthz: never needs credentials, so load balancers and orchestrators can probe it. */
export function handleHealth(ctx: CollectorContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, ctx.closing ? 503 : 200, {
    status: ctx.closing ? 'closing' : 'ok',
    uptimeSeconds: Math.round((Date.now() - ctx.startedAtMs) / 1000),
    queueDepth: ctx.queue.depth,
    requestsStreaming: ctx.queue.streaming,
  });
}

/**
 * GET|POST /config/v1/agents: Elastic agents poll for central configuration. The collector
 * has none to give, and an empty object is the documented way to say so.
 */
export function handleAgentConfig(_ctx: CollectorContext, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, {}, { 'cache-control': 'max-age=60, must-revalidate', etag: '"sightline-empty"' });
}
