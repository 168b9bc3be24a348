/**
 * Outgoing calls through `node:http` and `node:https`: each request is an external/http
 * exit span (`GET api.example.com`) and carries that span's `traceparent`/`tracestate`.
 *
 * Node publishes `http.client.request.start` only once the headers are on their way (Node
 * 20), too late to add ours, so request/get are patched on the module objects at start
 * (shared by CJS and ESM; named ESM imports are re-synced) and restored at close. The end
 * of the exchange comes from the channels Node does publish: `http.client.response.finish`
 * and `http.client.request.error`. No listener is added that would change what Node does
 * (a 'response' listener would stop Node from discarding an unread body; an 'error'
 * listener would hide a crash the app is owed).
 */
import dc from 'node:diagnostics_channel';
import type http from 'node:http';
import { nodeHttp, nodeHttps } from '../node-builtins.js';
import { syncBuiltinESMExports } from 'node:module';
import type { Agent } from '../agent.js';
import { logger } from '../log.js';
import { sanitizeQuery, type NameMatcher } from '../sanitize.js';
import { currentActive, type Active } from '../trace/context.js';
import type { Span } from '../trace/span.js';
import type { ChannelInstrumentation } from './types.js';

const SPAN = Symbol('sightline.http.span');

type RequestFn = (...args: any[]) => http.ClientRequest;

function portFromArgs(args: ArrayLike<unknown>): number | null {
  let port: unknown = null;
  for (let i = 0; i < 2 && i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'string') {
      try {
        const u = new URL(a);
        if (u.port !== '') port = u.port;
      } catch {
        // Not a URL: Node has thrown already if it mattered.
      }
    } else if (a instanceof URL) {
      if (a.port !== '') port = a.port;
    } else if (a !== null && typeof a === 'object') {
      const o = a as { port?: unknown; defaultPort?: unknown };
      if (o.port !== undefined && o.port !== null && o.port !== '') port = o.port;
      else if (port === null && typeof o.defaultPort === 'number') port = o.defaultPort;
    }
  }
  const n = Number(port);
  return port !== null && Number.isInteger(n) && n > 0 ? n : null;
}

/** `https://api.example.com:8443/v1/users?token=[REDACTED]` (no credentials: they travel in `auth`). */
function spanUrl(protocol: string, hostPort: string, path: string, isSecret: NameMatcher): string {
  const q = path.indexOf('?');
  const clean = q === -1 ? path : path.slice(0, q) + sanitizeQuery(path.slice(q), isSecret);
  return `${protocol}//${hostPort}${clean}`;
}

function traceRequest(agent: Agent, req: http.ClientRequest, args: ArrayLike<unknown>, active: Active): void {
  const protocol = req.protocol || 'http:';
  const defaultPort = protocol === 'https:' ? 443 : 80;
  const hostname = req.host || 'localhost';
  const port = portFromArgs(args) ?? ((req as any).agent?.defaultPort as number | undefined) ?? defaultPort;
  const urlHost = hostname.includes(':') ? `[${hostname}]` : hostname;
  const hostPort = port === defaultPort ? urlHost : `${urlHost}:${port}`;
  const method = (req.method || 'GET').toUpperCase();

  const span = agent.tracer.startSpan(`${method} ${hostPort}`, 'external', 'http', method, active, null, true);
  if (span !== null) {
    span.setHttpContext({ method, url: spanUrl(protocol, hostPort, req.path || '/', agent.tracer.httpContextOptions.isSecret) });
    span.setDestination({ address: hostname, port });
    span.targetName = `${hostname}:${port}`;
    (req as any)[SPAN] = span;
    req.once('close', onRequestClose);
  }
  // Propagate even when not recording: the next service continues the trace (unsampled, too).
  const from = span ?? active;
  if (!req.headersSent && req.getHeader('traceparent') === undefined) {
    req.setHeader('traceparent', from.traceparent());
    const state = from.tracestate();
    if (state !== '' && req.getHeader('tracestate') === undefined) req.setHeader('tracestate', state);
  } else if (req.headersSent) {
    logger.once('debug', 'http-client:headers-sent', 'http client: headers were sent at creation (array headers); traceparent not added');
  }
}

function endSpan(span: Span, outcome: 'success' | 'failure'): void {
  if (span.ended) return;
  span.setOutcome(outcome, false);
  span.end();
}

function onRequestClose(this: http.ClientRequest): void {
  const span: Span | undefined = (this as any)[SPAN];
  // Closed without an answer and without an error event (an abort Node did not report).
  if (span !== undefined && span.http?.status_code === undefined) endSpan(span, 'failure');
}

function onResponseDone(this: http.IncomingMessage): void {
  const span: Span | undefined = (this as any)[SPAN];
  if (span === undefined) return;
  // A body cut off mid-way is a failure whatever the status said.
  endSpan(span, this.complete && span.outcome !== 'failure' ? 'success' : 'failure');
}

function onResponse(message: unknown): void {
  const { request, response } = message as { request: any; response: http.IncomingMessage };
  const span: Span | undefined = request?.[SPAN];
  if (span === undefined || span.ended) return;
  const status = response.statusCode ?? 0;
  if (span.http !== null) span.http.status_code = status;
  // Client side, as Elastic's agents: 4xx and 5xx answers are failures of the call.
  span.setOutcome(status >= 400 ? 'failure' : 'success', false);
  (response as any)[SPAN] = span;
  if (response.complete) onResponseDone.call(response);
  else {
    response.once('end', onResponseDone);
    response.once('close', onResponseDone);
  }
}

function onError(message: unknown): void {
  const span: Span | undefined = (message as { request: any }).request?.[SPAN];
  if (span !== undefined) endSpan(span, 'failure');
}

function wrapRequest(original: RequestFn, agent: Agent): RequestFn {
  return function request(this: unknown) {
    const req = original.apply(this, arguments as unknown as any[]);
    // Null when there is no transaction and when tracing is suppressed (the agent's own calls).
    const active = currentActive();
    if (active === null) return req;
    try {
      traceRequest(agent, req, arguments, active);
    } catch (err) {
      logger.once('warn', 'http-client:trace', `http client: could not trace a request: ${(err as Error)?.message ?? err}`);
    }
    return req;
  };
}

/** As Node's own get: the (patched) request, ended. */
function makeGet(request: RequestFn): RequestFn {
  return function get(this: unknown) {
    const req = request.apply(this, arguments as unknown as any[]);
    req.end();
    return req;
  };
}

const CHANNELS: ReadonlyArray<readonly [string, (message: unknown) => void]> = [
  ['http.client.response.finish', onResponse],
  ['http.client.request.error', onError],
];

export const httpClientInstrumentation: ChannelInstrumentation = {
  id: 'http-client',
  enable(agent: Agent) {
    const restores: Array<() => void> = [];
    for (const mod of [nodeHttp, nodeHttps] as any[]) {
      const request = mod.request as RequestFn;
      const get = mod.get as RequestFn;
      const patchedRequest = wrapRequest(request, agent);
      const patchedGet = makeGet(patchedRequest);
      mod.request = patchedRequest;
      mod.get = patchedGet;
      restores.push(() => {
        // Only undo what is still ours: another tool may have wrapped on top since.
        if (mod.request === patchedRequest) mod.request = request;
        if (mod.get === patchedGet) mod.get = get;
      });
    }
    syncBuiltinESMExports();
    for (const [name, fn] of CHANNELS) dc.subscribe(name, fn);
    return () => {
      for (const [name, fn] of CHANNELS) dc.unsubscribe(name, fn);
      for (const restore of restores) restore();
      syncBuiltinESMExports();
    };
  },
};
