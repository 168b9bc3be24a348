/**
 * `context.request` and `context.response` of a transaction, built from the Node request and
 * response when the batch is serialised, not while the request runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REDACTED, sanitizeCookies, sanitizeHeaders, sanitizeQuery, type NameMatcher } from '../sanitize.js';

export interface HttpContextOptions {
  captureHeaders: boolean;
  isSecret: NameMatcher;
}

const NO_HEADERS: Record<string, string> = {};

function hasAnyKey(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function hostAndPort(req: IncomingMessage): { hostname: string; port: string | null } {
  const host = typeof req.headers.host === 'string' ? req.headers.host : '';
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (m === null) return { hostname: req.socket?.localAddress ?? 'localhost', port: req.socket?.localPort ? String(req.socket.localPort) : null };
  return { hostname: m[1]!, port: m[2] ?? null };
}

export function buildRequestContext(req: IncomingMessage, body: unknown, opts: HttpContextOptions): Record<string, unknown> {
  // Express rewrites req.url inside mounted routers; originalUrl is the URL the client sent.
  const original = (req as { originalUrl?: unknown }).originalUrl;
  const raw = typeof original === 'string' ? original : (req.url ?? '/');
  const q = raw.indexOf('?');
  const pathname = q === -1 ? raw : raw.slice(0, q);
  const search = q === -1 ? '' : sanitizeQuery(raw.slice(q), opts.isSecret);
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const protocol = encrypted ? 'https:' : 'http:';
  const { hostname, port } = hostAndPort(req);
  const url: Record<string, unknown> = {
    raw: pathname + search,
    protocol,
    hostname,
    pathname,
    full: `${protocol}//${hostname}${port ? `:${port}` : ''}${pathname}${search}`,
  };
  if (port !== null) url.port = port;
  if (search !== '') url.search = search;

  const ctx: Record<string, unknown> = {
    method: req.method ?? 'GET',
    url,
    http_version: req.httpVersion,
    socket: { remote_address: req.socket?.remoteAddress ?? null },
  };
  if (opts.captureHeaders) {
    const headers = sanitizeHeaders(req.headers, opts.isSecret);
    ctx.headers = headers;
    const cookie = req.headers.cookie;
    if (typeof cookie === 'string' && cookie !== '') {
      ctx.cookies = sanitizeCookies(cookie);
      headers.cookie = REDACTED;
    }
  }
  if (body !== undefined) ctx.body = body;
  return ctx;
}

/**
 * The headers as they went out on the wire (the response's header block), when sent, with
 * secret values redacted. Read in place with indexOf: no array of lines, one object.
 */
function sentHeaders(res: ServerResponse, isSecret: NameMatcher): Record<string, string> {
  const block = (res as { _header?: unknown })._header;
  const out: Record<string, string> = {};
  if (typeof block !== 'string') return out;
  const length = block.length;
  let start = block.indexOf('\r\n');
  if (start === -1) return out;
  start += 2;
  while (start < length) {
    let end = block.indexOf('\r\n', start);
    if (end === -1) end = length;
    const colon = block.indexOf(':', start);
    if (colon > start && colon < end) {
      const name = block.slice(start, colon).trim().toLowerCase();
      if (name !== '') {
        if (isSecret(name)) {
          out[name] = REDACTED;
        } else {
          const value = block.slice(colon + 1, end).trim();
          out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${value}` : value;
        }
      }
    }
    start = end + 2;
  }
  return out;
}

export function buildResponseContext(res: ServerResponse, opts: HttpContextOptions): Record<string, unknown> {
  const ctx: Record<string, unknown> = {
    status_code: res.statusCode,
    finished: res.writableFinished,
    headers_sent: res.headersSent,
  };
  if (opts.captureHeaders) {
    let headers: Record<string, string> = NO_HEADERS;
    try {
      const stored = res.getHeaders() as Record<string, string | string[] | number | undefined>;
      // writeHead(status, headers) (Fastify does it) sends headers without storing them.
      headers = hasAnyKey(stored) ? sanitizeHeaders(stored, opts.isSecret) : sentHeaders(res, opts.isSecret);
    } catch {
      // A response object some framework replaced: leave headers out rather than fail the batch.
    }
    ctx.headers = headers;
  }
  return ctx;
}
