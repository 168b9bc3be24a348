/**
 * Serving the exposition: a `(req, res)` handler that works as a node:http handler, as
 * Express middleware (`app.get('/metrics', handler)`), and as a Fastify route handler
 * (it takes over `reply.raw`); and the agent's own scrape server on `metricsPort`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeHttp } from '../node-builtins.js';
import { logger } from '../log.js';
import { CONTENT_TYPES, negotiate, render } from './exposition.js';
import type { FamilySnapshot } from './registry.js';

/** The request tracing's key for a request's transaction (null: not traced). */
const kTransaction = Symbol.for('sightline.http.transaction');

export interface Exposition {
  families: readonly FamilySnapshot[];
  global: ReadonlyArray<readonly [string, string]>;
}

/** A Fastify request and reply, as far as the handler needs them. */
interface FastifyRequestLike {
  raw: IncomingMessage;
}
interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}

export type MetricsHandler = (req: IncomingMessage | FastifyRequestLike, res: ServerResponse | FastifyReplyLike, next?: unknown) => void;

export function createHandler(gather: () => Promise<Exposition>): MetricsHandler {
  return function sightlineMetrics(req, res) {
    let rawReq = req as IncomingMessage;
    let rawRes = res as ServerResponse;
    if (typeof (res as FastifyReplyLike).hijack === 'function' && (res as FastifyReplyLike).raw !== undefined) {
      (res as FastifyReplyLike).hijack();
      rawRes = (res as FastifyReplyLike).raw;
      rawReq = (req as FastifyRequestLike).raw ?? rawReq;
    }
    serve(rawReq, rawRes, gather).catch((err: unknown) => {
      logger.once('warn', 'metrics-serve', `serving /metrics failed: ${(err as Error)?.message ?? err}`);
    });
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, gather: () => Promise<Exposition>): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('Method Not Allowed\n');
    return;
  }
  const format = negotiate(req.headers.accept);
  let body: string;
  try {
    const { families, global } = await gather();
    body = render(families, format, global);
  } catch (err) {
    logger.once('warn', 'metrics-render', `metrics exposition failed: ${(err as Error)?.message ?? err}`);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('metrics collection failed\n');
    return;
  }
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { 'content-type': CONTENT_TYPES[format], 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The scrape server on its own port: `/metrics` only; it never keeps the process alive. */
export function listenMetrics(handler: MetricsHandler, port: number, host: string): Server {
  const server = nodeHttp.createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] === '/metrics') {
      handler(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found: metrics are at /metrics\n');
  });
  // Scrapes are not the app's requests: mark each as ignored (the request tracing's own
  // "not traced" value) before the server's emit would start a transaction for it.
  const emit = server.emit;
  server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && args[0] !== null && typeof args[0] === 'object') (args[0] as Record<symbol, unknown>)[kTransaction] = null;
    return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
  } as Server['emit'];
  server.on('error', (err) => {
    logger.once('warn', 'metrics-listen', `metrics server on ${host}:${port} failed: ${err.message}`);
  });
  server.listen(port, host);
  server.unref();
  return server;
}
