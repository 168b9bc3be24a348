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
import { currentActive, isTracingSuppressed } from '../trace/context.js';
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

function hasHeader(headers: string[] | string, name: string): boolean {
  if (typeof headers === 'string') return headers.toLowerCase().includes(`${name}:`);
  if (!Array.isArray(headers)) return false;
  for (let i = 0; i < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === name) return true;
  }
  return false;
}

function createHandler(agent: Agent, spans: WeakMap<object, Span>) {
  return function onCreate(message: unknown): void {
    if (isTracingSuppressed()) return;
    const active = currentActive();
    if (active === null) return;
    const request = (message as { request: UndiciRequest }).request;
    try {
      const origin = new URL(String(request.origin));
      const defaultPort = origin.protocol === 'https:' ? 443 : 80;
      const port = origin.port === '' ? defaultPort : Number(origin.port);
      const hostname = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
      const method = String(request.method || 'GET').toUpperCase();
      const span = agent.tracer.startSpan(`${method} ${origin.host}`, 'external', 'http', method, active, null, true);
      if (span !== null) {
        const path = String(request.path || '/');
        const q = path.indexOf('?');
        const clean = q === -1 ? path : path.slice(0, q) + sanitizeQuery(path.slice(q), agent.tracer.httpContextOptions.isSecret);
        span.setHttpContext({ method, url: stripUrlCredentials(`${origin.protocol}//${origin.host}${clean}`) });
        span.setDestination({ address: hostname, port });
        span.targetName = `${hostname}:${port}`;
        spans.set(request, span);
      }
      if (!hasHeader(request.headers, 'traceparent')) {
        const from = span ?? active;
        request.addHeader('traceparent', from.traceparent());
        const state = from.tracestate();
        if (state !== '' && !hasHeader(request.headers, 'tracestate')) request.addHeader('tracestate', state);
      }
    } catch (err) {
      logger.once('warn', 'undici:trace', `undici: could not trace a request: ${(err as Error)?.message ?? err}`);
    }
  };
}

export const undiciInstrumentation: ChannelInstrumentation = {
  id: 'undici',
  enable(agent: Agent) {
    const spans = new WeakMap<object, Span>();
    const onCreate = createHandler(agent, spans);
    const onHeaders = (message: unknown): void => {
      const { request, response } = message as { request: object; response: { statusCode: number } };
      const span = spans.get(request);
      if (span === undefined) return;
      const status = response.statusCode;
      if (span.http !== null) span.http.status_code = status;
      span.setOutcome(status >= 400 ? 'failure' : 'success', false);
    };
    const onTrailers = (message: unknown): void => {
      const request = (message as { request: object }).request;
      const span = spans.get(request);
      if (span === undefined) return;
      spans.delete(request);
      if (span.outcome === 'unknown') span.setOutcome('success', false);
      span.end();
    };
    const onError = (message: unknown): void => {
      const request = (message as { request: object }).request;
      const span = spans.get(request);
      if (span === undefined) return;
      spans.delete(request);
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
