/**
 * Outgoing calls through undici: its request/fetch/Pool/Client API and the global fetch
 * (Node's bundled undici). Both publish `undici:request:*` diagnostics channels on the
 * process-wide registry, so one set of subscribers covers every copy; nothing is patched.
 * The span starts at `create`, where `request.addHeader` can still add `traceparent`, takes
 * the status at `headers`, and ends at `trailers` (the body is done) or `error`.
 */
import dc from 'node:diagnostics_channel';
import type { Agent } from '../agent.js';
import { logger } from '../log.js';
import { stripUrlCredentials, sanitizeQuery } from '../sanitize.js';
import { currentActive } from '../trace/context.js';
import type { Span } from '../trace/span.js';
import type { ChannelInstrumentation } from './types.js';

/** The parts of undici's Request that are read (docs/api/DiagnosticsChannel.md). */
interface UndiciRequest {
  origin: string | URL;
  method: string;
  path: string;
  /** undici 6+: a flat [name, value, …] array; undici 5: `name: value\r\n` text. */
  headers: string[] | string;
  addHeader(name: string, value: string): unknown;
}

/**
 * Whether the app set `traceparent` / `tracestate` itself: bit 1 and bit 2. Names are compared
 * in lower case only when their length matches (fetch's own headers are never lower-cased).
 */
function ownTraceHeaders(headers: string[] | string): number {
  if (typeof headers === 'string') {
    const lower = headers.toLowerCase();
    return (lower.includes('traceparent:') ? 1 : 0) | (lower.includes('tracestate:') ? 2 : 0);
  }
  if (!Array.isArray(headers)) return 0;
  let found = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const raw = headers[i];
    const name = typeof raw === 'string' ? raw : String(raw);
    if (name.length === 11) {
      if (name.toLowerCase() === 'traceparent') found |= 1;
    } else if (name.length === 10) {
      if (name.toLowerCase() === 'tracestate') found |= 2;
    }
  }
  return found;
}

/**
 * Adds a header to undici's request. undici 6+ keeps the headers as a flat [name, value, …]
 * array, and `addHeader` would validate the name and value (a lower-casing, a token check and
 * a value RegExp) before pushing them there: ours are valid by construction (hex, dashes, and
 * tracestate members that passed the W3C grammar), so they are pushed as `addHeader` would.
 * undici 5 keeps `name: value\r\n` text and goes through `addHeader`.
 */
function addTraceHeader(request: UndiciRequest, name: string, value: string): void {
  const headers = request.headers;
  if (Array.isArray(headers)) headers.push(name, value);
  else request.addHeader(name, value);
}

/** What a span needs from a request's origin, worked out once per origin string. */
interface OriginInfo {
  /** `http://host:port`, as the span's URL starts (no credentials). */
  readonly prefix: string;
  readonly host: string;
  readonly hostname: string;
  readonly port: number;
  /** `hostname:port`, the span's `service.target.name`. */
  readonly targetName: string;
  /** Span names by method (`GET host:port`), at most MAX_NAMES. */
  readonly names: Map<string, string>;
}

/** Origins seen; a client talks to a handful, so this stays small (cleared if it ever grows past MAX_ORIGINS). */
const MAX_ORIGINS = 256;
const origins = new Map<string, OriginInfo>();

function originInfo(raw: string | URL): OriginInfo {
  const key = typeof raw === 'string' ? raw : String(raw);
  let info = origins.get(key);
  if (info !== undefined) return info;
  const origin = new URL(key);
  const defaultPort = origin.protocol === 'https:' ? 443 : 80;
  const port = origin.port === '' ? defaultPort : Number(origin.port);
  const hostname = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
  info = {
    prefix: stripUrlCredentials(`${origin.protocol}//${origin.host}`),
    host: origin.host,
    hostname,
    port,
    targetName: `${hostname}:${port}`,
    names: new Map<string, string>(),
  };
  if (origins.size >= MAX_ORIGINS) origins.clear();
  origins.set(key, info);
  return info;
}

/** Span names kept per origin: the methods an app uses are few; any beyond these are built per call. */
const MAX_NAMES = 16;

function spanName(info: OriginInfo, method: string): string {
  const name = info.names.get(method);
  if (name !== undefined) return name;
  const built = `${method} ${info.host}`;
  if (info.names.size < MAX_NAMES) info.names.set(method, built);
  return built;
}

/**
 * The span of a request in flight, kept on undici's Request object itself (as http-client
 * keeps it on the ClientRequest) rather than in a WeakMap: a WeakMap entry per request is a
 * hash insert, two lookups and a delete, and an ephemeron the garbage collector must revisit.
 */
const SPAN = Symbol('sightline.undici.span');
type Traced = { [SPAN]?: Span | undefined };

function createHandler(agent: Agent) {
  return function onCreate(message: unknown): void {
    // Null when there is no transaction and when tracing is suppressed (the agent's own calls).
    const active = currentActive();
    if (active === null) return;
    const request = (message as { request: UndiciRequest }).request;
    try {
      const info = originInfo(request.origin);
      const rawMethod = request.method;
      const method = typeof rawMethod === 'string' && rawMethod !== '' ? rawMethod.toUpperCase() : 'GET';
      const span = agent.tracer.startSpan(spanName(info, method), 'external', 'http', method, active, null, true);
      if (span !== null) {
        const path = typeof request.path === 'string' && request.path !== '' ? request.path : '/';
        const q = path.indexOf('?');
        const clean = q === -1 ? path : path.slice(0, q) + sanitizeQuery(path.slice(q), agent.tracer.httpContextOptions.isSecret);
        // status_code is there from the start (written as nothing until set): setting it at
        // `headers` then stores into the object instead of adding a property to it.
        span.setHttpContext({ method, url: info.prefix + clean, status_code: undefined });
        span.setDestination({ address: info.hostname, port: info.port });
        span.targetName = info.targetName;
        (request as Traced)[SPAN] = span;
      }
      const own = ownTraceHeaders(request.headers);
      if ((own & 1) === 0) {
        const from = span ?? active;
        addTraceHeader(request, 'traceparent', from.traceparent());
        const state = from.tracestate();
        if (state !== '' && (own & 2) === 0) addTraceHeader(request, 'tracestate', state);
      }
    } catch (err) {
      logger.once('warn', 'undici:trace', `undici: could not trace a request: ${(err as Error)?.message ?? err}`);
    }
  };
}

export const undiciInstrumentation: ChannelInstrumentation = {
  id: 'undici',
  enable(agent: Agent) {
    const onCreate = createHandler(agent);
    const onHeaders = (message: unknown): void => {
      const { request, response } = message as { request: Traced; response: { statusCode: number } };
      const span = request[SPAN];
      if (span === undefined) return;
      const status = response.statusCode;
      if (span.http !== null) span.http.status_code = status;
      span.setOutcome(status >= 400 ? 'failure' : 'success', false);
    };
    const onTrailers = (message: unknown): void => {
      const request = (message as { request: Traced }).request;
      const span = request[SPAN];
      if (span === undefined) return;
      request[SPAN] = undefined;
      if (span.outcome === 'unknown') span.setOutcome('success', false);
      span.end();
    };
    const onError = (message: unknown): void => {
      const request = (message as { request: Traced }).request;
      const span = request[SPAN];
      if (span === undefined) return;
      request[SPAN] = undefined;
      span.setOutcome('failure', false);
      span.end();
    };
    const channels: Array<[string, (m: unknown) => void]> = [
      ['undici:request:create', onCreate],
      ['undici:request:headers', onHeaders],
      ['undici:request:trailers', onTrailers],
      ['undici:request:error', onError],
    ];
    for (const [name, fn] of channels) dc.subscribe(name, fn);
    return () => {
      for (const [name, fn] of channels) dc.unsubscribe(name, fn);
    };
  },
};
