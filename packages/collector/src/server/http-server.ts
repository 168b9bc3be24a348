import type { IncomingMessage, ServerResponse } from 'node:http';
import { QUERY_ROUTES, type QueryHandler } from '../query/routes.js';
import { ParamError } from '../query/params.js';
import type { CollectorContext } from './context.js';
import { handleAgentConfig, handleHealth, handleServerInfo } from './info-route.js';
import { handleIntake } from './intake-route.js';
import { handleOtlp } from './otlp-route.js';
import { sendApiError, sendJson, sendText } from './respond.js';
import { Router } from './router.js';
import { handleUi } from './ui-route.js';

type Handler = (ctx: CollectorContext, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface Endpoint {
  /** Label for the requests counter in /metrics. */
  name: string;
  methods: readonly string[] | null;
  /** Routes that check credentials themselves (or never need them) say false. */
  auth: boolean;
  handle: Handler;
}

const handleMetrics: Handler = (ctx, _req, res) =>
  sendText(res, 200, ctx.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');

const ENDPOINTS = new Router<Endpoint>()
  .add('/', { name: 'info', methods: ['GET', 'HEAD'], auth: false, handle: handleServerInfo })
  .add('/healthz', { name: 'healthz', methods: ['GET', 'HEAD'], auth: false, handle: handleHealth })
  .add('/metrics', { name: 'metrics', methods: ['GET'], auth: true, handle: handleMetrics })
  .add('/intake/v2/events', { name: 'intake', methods: null, auth: false, handle: handleIntake })
  .add('/v1/traces', { name: 'otlp_traces', methods: ['POST'], auth: true, handle: handleOtlp('traces') })
  .add('/v1/metrics', { name: 'otlp_metrics', methods: ['POST'], auth: true, handle: handleOtlp('metrics') })
  .add('/v1/logs', { name: 'otlp_logs', methods: ['POST'], auth: true, handle: handleOtlp('logs') })
  .add('/config/v1/agents', { name: 'agent_config', methods: ['GET', 'POST'], auth: true, handle: handleAgentConfig });

const QUERIES = new Router<QueryHandler>();
for (const [pattern, handler] of QUERY_ROUTES) QUERIES.add(pattern, handler);

async function handleQuery(ctx: CollectorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET');
    sendApiError(res, 405, `${req.method} is not supported; the query API is read-only (GET)`);
    return;
  }
  const match = QUERIES.match(url.pathname);
  if (match === null) {
    sendApiError(res, 404, `no such endpoint: ${url.pathname} (see docs/api.md)`);
    return;
  }
  const body = await match.value(ctx, { params: match.params, query: url.searchParams });
  if (body === null) sendApiError(res, 404, `not found: ${url.pathname}`);
  else sendJson(res, 200, body);
}

/**
 * The one request listener. Every failure ends in an answer: a bad parameter is a 400,
 * anything unexpected a 500, and neither ever reaches the process.
 */
export function createRequestListener(ctx: CollectorContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let routeName = 'unknown';
    res.once('finish', () => ctx.metrics.requests.inc({ route: routeName, status: String(res.statusCode) }));
    void dispatch(ctx, req, res, (name) => (routeName = name)).catch((error: unknown) => {
      if (error instanceof ParamError || error instanceof URIError) sendApiError(res, 400, error.message);
      else {
        sendApiError(res, 500, 'internal error; see the collector log');
        process.emitWarning(`sightline collector: ${(error as Error)?.stack ?? String(error)}`);
      }
    });
  };
}

async function dispatch(ctx: CollectorContext, req: IncomingMessage, res: ServerResponse, name: (n: string) => void): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://collector');
  if (url.pathname === '/ui' || url.pathname.startsWith('/ui/')) {
    name('ui');
    return handleUi(ctx, req, res, url);
  }
  if (url.pathname.startsWith('/api/')) {
    name('api');
    if (ctx.authorize !== null && !ctx.authorize(req)) {
      sendApiError(res, 401, 'authentication required: send Authorization: Bearer <secret token> or ApiKey <key>');
      return;
    }
    return handleQuery(ctx, req, res, url);
  }
  const match = ENDPOINTS.match(url.pathname);
  if (match === null) {
    sendJson(res, 404, { error: { status: 404, message: `no such endpoint: ${url.pathname}` } });
    return;
  }
  const endpoint = match.value;
  name(endpoint.name);
  if (endpoint.methods !== null && !endpoint.methods.includes(req.method ?? '')) {
    res.setHeader('allow', endpoint.methods.join(', '));
    sendApiError(res, 405, `${req.method} is not supported here; use ${endpoint.methods.join(' or ')}`);
    return;
  }
  if (endpoint.auth && ctx.authorize !== null && !ctx.authorize(req)) {
    sendApiError(res, 401, 'authentication required: send Authorization: Bearer <secret token> or ApiKey <key>');
    return;
  }
  await endpoint.handle(ctx, req, res);
}
