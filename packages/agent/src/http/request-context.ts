/**
 * `context.request` and `context.response` of a transaction. When the response ends, the
 * transaction keeps a RequestRecord and a ResponseRecord (the few fields read here, the
 * header objects by reference) instead of the request and response themselves, so a queued
 * transaction does not hold their socket, parser and whatever the app hung on them. The
 * context is built from the records when the batch is serialised, not while the request runs.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { REDACTED, sanitizeCookies, sanitizeHeaders, sanitizeQuery, type NameMatcher } from '../sanitize.js';

export interface HttpContextOptions {
  captureHeaders: boolean;
  isSecret: NameMatcher;
}

const NO_HEADERS: Record<string, string> = {};

/**
 * Where the host name of a Host header ends, as /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/ splits it
 * (a bracketed IPv6 address or a name without colons, then `:digits` or nothing), or -1 when
 * that does not match; read with indexOf instead of a RegExp match and its array, per request.
 */
export function hostNameEnd(host: string): number {
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    if (close > 1 && portFollows(host, close + 1)) return close + 1;
    // Not a bracketed address then: the alternative below may still match (`[a`, `[a]b`).
  }
  const colon = host.indexOf(':');
  const end = colon === -1 ? host.length : colon;
  return end > 0 && portFollows(host, end) ? end : -1;
}

/** Nothing at `i`, or a colon and at least one ASCII digit to the end. */
function portFollows(host: string, i: number): boolean {
  const length = host.length;
  if (i === length) return true;
  if (host.charCodeAt(i) !== 0x3a || i + 1 === length) return false;
  for (let j = i + 1; j < length; j++) {
    const c = host.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function hasAnyKey(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** What a RequestRecord is made from: a request, or what an unsampled transaction kept of it. */
export type RequestSource = Pick<IncomingMessage, 'method' | 'url' | 'httpVersion' | 'headers' | 'socket'> & { readonly originalUrl?: unknown };

/**
 * An unsampled transaction's request once its response ended: the fields a RequestRecord
 * is made from, by reference (no getter runs, nothing is sliced), for an error captured
 * later in the request's async work. Making the record itself cost an unsampled request
 * ~3.7k instructions (callgrind, Fastify hello at sampling 0), for an error that rarely comes.
 */
export class EndedRequest implements RequestSource {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly originalUrl: unknown;
  readonly httpVersion: string;
  readonly headers: IncomingHttpHeaders;
  readonly socket: IncomingMessage['socket'];

  constructor(req: RequestSource) {
    this.method = req.method;
    this.url = req.url;
    this.originalUrl = req.originalUrl;
    this.httpVersion = req.httpVersion;
    this.headers = req.headers;
    this.socket = req.socket;
  }
}

/** What the request context reads from a request. */
export class RequestRecord {
  readonly method: string;
  /** As the client sent it: Express rewrites req.url inside mounted routers, not originalUrl. */
  readonly url: string;
  readonly httpVersion: string;
  /** The request's own parsed headers object (by reference, never copied). */
  readonly headers: IncomingHttpHeaders;
  readonly encrypted: boolean;
  readonly remoteAddress: string | null;
  readonly hostname: string;
  readonly port: string | null;

  constructor(req: RequestSource) {
    const original = req.originalUrl;
    const socket = req.socket as (IncomingMessage['socket'] & { encrypted?: boolean }) | null | undefined;
    const headers = req.headers;
    this.method = req.method ?? 'GET';
    this.url = typeof original === 'string' ? original : (req.url ?? '/');
    this.httpVersion = req.httpVersion;
    this.headers = headers;
    this.encrypted = socket?.encrypted === true;
    this.remoteAddress = socket?.remoteAddress ?? null;
    const host = headers.host;
    const end = typeof host === 'string' ? hostNameEnd(host) : -1;
    if (end === -1) {
      this.hostname = socket?.localAddress ?? 'localhost';
      this.port = socket?.localPort ? String(socket.localPort) : null;
    } else {
      const h = host as string;
      this.hostname = end === h.length ? h : h.slice(0, end);
      this.port = end === h.length ? null : h.slice(end + 1);
    }
  }
}

/** What the response context reads from a response, taken when it ended. */
export class ResponseRecord {
  readonly statusCode: number;
  readonly finished: boolean;
  readonly headersSent: boolean;
  /**
   * The stored headers (getHeaders()) when headers are captured; the context shows them when
   * there are any, and the header block otherwise. Whether there are any is found out when the
   * context is written, not here: the object has no prototype (a dictionary), and listing its
   * keys costs as much as writing them, so it is done once, off the request path.
   */
  readonly headers: OutgoingHttpHeaders | null;
  /** The header block as sent, for a response that stored no headers (writeHead(status, headers): Fastify does it). */
  readonly headerBlock: string | null;

  constructor(res: ServerResponse, captureHeaders: boolean) {
    this.statusCode = res.statusCode;
    this.finished = res.writableFinished;
    this.headersSent = res.headersSent;
    let headers: OutgoingHttpHeaders | null = null;
    let block: string | null = null;
    if (captureHeaders) {
      try {
        headers = res.getHeaders();
        const sent = (res as { _header?: unknown })._header;
        if (typeof sent === 'string') block = sent;
      } catch {
        // A response object some framework replaced: its headers are left out rather than fail.
      }
    }
    this.headers = headers;
    this.headerBlock = block;
  }
}

export function requestRecordOf(req: RequestSource | RequestRecord): RequestRecord {
  return req instanceof RequestRecord ? req : new RequestRecord(req);
}

export function responseRecordOf(res: ServerResponse | ResponseRecord, captureHeaders: boolean): ResponseRecord {
  return res instanceof ResponseRecord ? res : new ResponseRecord(res, captureHeaders);
}

export function buildRequestContext(request: RequestSource | RequestRecord, body: unknown, opts: HttpContextOptions): Record<string, unknown> {
  const req = requestRecordOf(request);
  const raw = req.url;
  const q = raw.indexOf('?');
  const pathname = q === -1 ? raw : raw.slice(0, q);
  const search = q === -1 ? '' : sanitizeQuery(raw.slice(q), opts.isSecret);
  const protocol = req.encrypted ? 'https:' : 'http:';
  const { hostname, port } = req;
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
    method: req.method,
    url,
    http_version: req.httpVersion,
    socket: { remote_address: req.remoteAddress },
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
export function sentHeaders(block: string | null, isSecret: NameMatcher): Record<string, string> {
  const out: Record<string, string> = {};
  if (block === null) return out;
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

export function buildResponseContext(response: ServerResponse | ResponseRecord, opts: HttpContextOptions): Record<string, unknown> {
  const res = responseRecordOf(response, opts.captureHeaders);
  const ctx: Record<string, unknown> = {
    status_code: res.statusCode,
    finished: res.finished,
    headers_sent: res.headersSent,
  };
  if (opts.captureHeaders) {
    ctx.headers =
      res.headers !== null && hasAnyKey(res.headers)
        ? sanitizeHeaders(res.headers, opts.isSecret)
        : res.headerBlock !== null
          ? sentHeaders(res.headerBlock, opts.isSecret)
          : NO_HEADERS;
  }
  return ctx;
}
