/**
 * Incoming HTTP requests of `node:http` and `node:https` servers. `Server.prototype.emit` is
 * patched once at agent start (the builtins are shared by CJS and ESM and already loaded, so
 * there is no module load to hook): every 'request' starts a transaction, runs the app's
 * handlers inside it, and ends it when the response finishes or the client goes away.
 *
 * Frameworks (Express, Fastify) find the request's transaction under a Symbol on the
 * request and only name it; they never start a second one.
 *
 * - Name: `GET unknown route` at priority 1 until a framework names the route. A plain
 *   `node:http` server has no routes, so its requests keep that name: never the raw URL,
 *   whose cardinality is unbounded.
 * - Result `HTTP 2xx` …; outcome failure for 5xx (and 4xx with `errorOn4xx`), success otherwise.
 * - Requests from Sightline agents (their batches to a collector) are never traced.
 * - Client aborted (the response closed before it finished): `aborted` is set (shipped as
 *   `context.custom.client_aborted`), the result is the status class only if headers went
 *   out, and the outcome stays `unknown`, unless a 5xx was already sent: the service did not
 *   fail, it was not allowed to finish.
 */
import type http from 'node:http';
import { nodeHttp, nodeHttps } from '../node-builtins.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Agent } from '../agent.js';
import { logger } from '../log.js';
import { AGENT_NAME } from '../transport/metadata.js';
import { compileNameMatcher, type NameMatcher } from '../sanitize.js';
import { EndedRequest, RequestRecord, ResponseRecord } from '../http/request-context.js';
import { currentActive, runWithActive } from '../trace/context.js';
import type { StartTransactionOptions } from '../trace/tracer.js';
import type { Transaction } from '../trace/transaction.js';
import { requestBodyForEvent } from './http-server-body.js';
import type { ChannelInstrumentation } from './types.js';

/**
 * The request's transaction: a Transaction, `null` when the request is ignored
 * (`ignoreUrls`), absent when nothing has seen the request yet. Registered so that
 * a second copy of the agent package (the plugins' and the app's) shares it.
 */
export const kTransaction: unique symbol = Symbol.for('sightline.http.transaction') as never;

type TracedRequest = IncomingMessage & { [kTransaction]?: Transaction | null; body?: unknown };
type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/** What the request path needs from the config, computed once per agent. */
interface RequestTracing {
  agent: Agent;
  ignore: NameMatcher | null;
  errorOn4xx: boolean;
  bodyOnTransactions: boolean;
  bodyOnErrors: boolean;
  /** The web framework named in the metadata, once one handled a request. */
  framework: string | null;
}

/** By tracer, so that a transaction finds its agent's settings without a field of its own. */
const tracings = new WeakMap<object, RequestTracing>();

/** The last one looked up: a process has one agent, and a WeakMap lookup per call is not free. */
let lastTracing: RequestTracing | null = null;

/** tracings.get(tracer), the last one remembered. */
function tracingFor(tracer: object): RequestTracing | undefined {
  const last = lastTracing;
  if (last !== null && last.agent.tracer === tracer) return last;
  const t = tracings.get(tracer);
  if (t !== undefined) lastTracing = t;
  return t;
}

function tracingOf(agent: Agent): RequestTracing {
  const last = lastTracing;
  if (last !== null && last.agent === agent) return last;
  let t = tracings.get(agent.tracer);
  if (t === undefined || t.agent !== agent) {
    const c = agent.config;
    t = {
      agent,
      ignore: c.ignoreUrls.length > 0 ? compileNameMatcher(c.ignoreUrls) : null,
      errorOn4xx: c.errorOn4xx,
      bodyOnTransactions: c.captureBody === 'transactions' || c.captureBody === 'all',
      bodyOnErrors: c.captureBody === 'errors' || c.captureBody === 'all',
      framework: null,
    };
    tracings.set(agent.tracer, t);
  }
  lastTracing = t;
  return t;
}

const AGENT_USER_AGENT = `${AGENT_NAME}/`;

const RESULTS = ['HTTP 1xx', 'HTTP 1xx', 'HTTP 2xx', 'HTTP 3xx', 'HTTP 4xx', 'HTTP 5xx'];
const UNKNOWN_ROUTE_NAMES = new Map<string, string>();

export function resultOf(status: number): string {
  const cls = Math.floor(status / 100);
  return cls >= 1 && cls <= 5 ? RESULTS[cls]! : `HTTP ${status}`;
}

/** `GET unknown route`, one string per method. */
export function unknownRouteName(method: string | undefined): string {
  const m = method ?? 'GET';
  let name = UNKNOWN_ROUTE_NAMES.get(m);
  if (name === undefined) {
    name = `${m} unknown route`;
    if (UNKNOWN_ROUTE_NAMES.size < 64) UNKNOWN_ROUTE_NAMES.set(m, name);
  }
  return name;
}

/** The request's transaction (see kTransaction). */
export function requestTransaction(req: IncomingMessage): Transaction | null | undefined {
  return (req as TracedRequest)[kTransaction];
}

/**
 * A Sightline agent's batch arriving at a collector. Never traced: a collector instrumented
 * by its own agent (or a test intake in the app's process) would otherwise record a
 * transaction per batch, ship it in the next batch, and so on for ever.
 */
function isAgentTraffic(userAgent: string | undefined): boolean {
  return userAgent !== undefined && userAgent.startsWith(AGENT_USER_AGENT);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

const START_OPTIONS: StartTransactionOptions = { traceparent: undefined, tracestate: undefined };

/**
 * Starts the transaction of a request nobody has seen yet, and attaches it to the request;
 * null when the request is ignored. Does not make it current: the caller runs the request
 * inside it. Used by the server patch and by framework plugins when the patch is off.
 */
export function startRequestTransaction(agent: Agent, req: IncomingMessage, res: ServerResponse): Transaction | null {
  const traced = req as TracedRequest;
  const seen = traced[kTransaction];
  if (seen !== undefined) return seen;
  const tracing = tracingOf(agent);
  const headers = req.headers;
  if ((tracing.ignore !== null && tracing.ignore(pathOf(req.url ?? '/'))) || isAgentTraffic(headers['user-agent'])) {
    traced[kTransaction] = null;
    return null;
  }
  // One options object for every request: startTransaction reads it and keeps nothing of it.
  START_OPTIONS.traceparent = headers.traceparent;
  START_OPTIONS.tracestate = headers.tracestate;
  const tx = agent.tracer.startTransaction(unknownRouteName(req.method), 'request', START_OPTIONS);
  START_OPTIONS.traceparent = undefined;
  START_OPTIONS.tracestate = undefined;
  tx.namePriority = 1;
  tx.req = req;
  tx.res = res;
  traced[kTransaction] = tx;
  res.on('finish', onResponseFinish);
  res.on('close', onResponseClose);
  return tx;
}

/** Called with `this` = the response: no closure per request. */
function onResponseFinish(this: ServerResponse): void {
  const tx = (this.req as TracedRequest | undefined)?.[kTransaction];
  if (tx != null && !tx.ended) endRequestTransaction(tx, this, false);
}

function onResponseClose(this: ServerResponse): void {
  if (this.writableFinished) return;
  const tx = (this.req as TracedRequest | undefined)?.[kTransaction];
  if (tx != null && !tx.ended) endRequestTransaction(tx, this, true);
}

function endRequestTransaction(tx: Transaction, res: ServerResponse, aborted: boolean): void {
  try {
    const tracing = tracingFor(tx.tracer)!;
    const status = res.statusCode;
    if (aborted) {
      tx.aborted = true;
      if (res.headersSent) {
        tx.setResult(resultOf(status));
        if (status >= 500) tx.setOutcome('failure', false);
      }
    } else {
      tx.setResult(resultOf(status));
      tx.setOutcome(status >= 500 || (tracing.errorOn4xx && status >= 400) ? 'failure' : 'success', false);
    }
    if (tracing.bodyOnTransactions) keepBody(tracing, tx, (tx.req as TracedRequest | null)?.body);
    // Let the request and response go: the queued transaction keeps only what it serialises.
    // An unsampled one too: an idle keep-alive socket's timer, made in the request's context,
    // keeps its transaction (and whatever that holds) until the socket's next request.
    if (tx.req !== null && !(tx.req instanceof RequestRecord)) {
      if (tx.sampled) {
        tx.req = new RequestRecord(tx.req);
        tx.res = new ResponseRecord(res, tx.tracer.httpContextOptions.captureHeaders);
      } else {
        tx.req = new EndedRequest(tx.req);
        tx.res = null;
      }
    }
  } catch (err) {
    logger.once('warn', 'http-server:end', `could not read a response: ${(err as Error)?.message ?? err}`);
  }
  tx.end();
}

function keepBody(tracing: RequestTracing, tx: Transaction, body: unknown): void {
  if (body === undefined || tx.requestBody !== undefined || tx.req === null) return;
  const agent = tracing.agent;
  tx.requestBody = requestBodyForEvent(body, tx.req.headers['content-type'], agent.config.captureBodyMaxBytes, agent.tracer.httpContextOptions.isSecret);
}

/**
 * A framework's parsed request body, kept on the transaction (size-capped, sanitized) when
 * `captureBody` asks for it on transactions. A body for errors is passed to captureRequestError.
 */
export function noteRequestBody(tx: Transaction, body: unknown): void {
  const tracing = tracingFor(tx.tracer);
  if (tracing !== undefined && tracing.bodyOnTransactions) keepBody(tracing, tx, body);
}

/** Whether a framework should read request bodies at all (so it does no work when off). */
export function wantsRequestBodies(agent: Agent): boolean {
  const t = tracingOf(agent);
  return t.bodyOnTransactions || t.bodyOnErrors;
}

/** Names the framework in the metadata the first time it handles a request. */
export function noteFramework(tx: Transaction, name: string, version: string | null): void {
  const tracing = tracingFor(tx.tracer);
  if (tracing === undefined || tracing.framework !== null) return;
  tracing.framework = name;
  tracing.agent.setFramework(name, version);
}

/** Errors already reported: an error passed on from layer to layer, or router to router, is reported once. */
const reported = new WeakSet<object>();

/** An error's HTTP status as frameworks read it (`err.status`, `err.statusCode`), or 0. */
function statusOfError(err: unknown): number {
  if (err === null || typeof err !== 'object') return 0;
  const e = err as { status?: unknown; statusCode?: unknown };
  const s = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0;
  return s >= 400 && s < 600 ? s : 0;
}

/**
 * Reports an error a framework caught while handling the request: once per error object,
 * linked to the request's transaction. An error that carries a 4xx status (a not-found or
 * validation error) is part of normal traffic and is reported only with `errorOn4xx`.
 */
export function captureRequestError(tx: Transaction, err: unknown, body?: unknown): void {
  try {
    if (err === undefined || err === null) return;
    if (typeof err === 'object' || typeof err === 'function') {
      if (reported.has(err)) return;
      reported.add(err);
    }
    const tracing = tracingFor(tx.tracer);
    if (tracing === undefined) return;
    const status = statusOfError(err);
    if (status >= 400 && status < 500 && !tracing.errorOn4xx) return;
    if (tracing.bodyOnErrors) keepBody(tracing, tx, body !== undefined ? body : (tx.req as TracedRequest | null)?.body);
    // The span the error happened in, when the app's code is still inside it.
    const active = currentActive();
    tracing.agent.errors.capture(err, { handled: false, parent: active !== null && active.transaction === tx ? active : tx });
  } catch (e) {
    logger.once('warn', 'http-server:error', `could not report a request error: ${(e as Error)?.message ?? e}`);
  }
}

// ---------------------------------------------------------------------------------------
// The Server.prototype.emit patch.

let current: Agent | null = null;

function callEmit(original: Emit, server: unknown, args: IArguments): boolean {
  return original.apply(server, args as unknown as [string | symbol, ...unknown[]]);
}

function patchedEmitFor(original: Emit): Emit {
  return function emit(this: unknown, event: string | symbol): boolean {
    const agent = current;
    if (event !== 'request' || agent === null) return callEmit(original, this, arguments);
    const req = arguments[1] as TracedRequest;
    if (req === undefined || req === null || req[kTransaction] !== undefined) return callEmit(original, this, arguments);
    let tx: Transaction | null = null;
    try {
      tx = startRequestTransaction(agent, req, arguments[2] as ServerResponse);
    } catch (err) {
      logger.once('warn', 'http-server:start', `could not start a request transaction: ${(err as Error)?.message ?? err}`);
    }
    if (tx === null) return callEmit(original, this, arguments);
    return runWithActive(tx, callEmit, original, this, arguments);
  } as Emit;
}

interface PatchedProto {
  proto: { emit: Emit };
  hadOwn: boolean;
  original: Emit;
  patched: Emit;
}

const patchedProtos: PatchedProto[] = [];

function patchProto(proto: { emit: Emit }): void {
  const hadOwn = Object.prototype.hasOwnProperty.call(proto, 'emit');
  const original = proto.emit;
  const patched = patchedEmitFor(original);
  proto.emit = patched;
  patchedProtos.push({ proto, hadOwn, original, patched });
}

function unpatchAll(): void {
  for (const p of patchedProtos.splice(0)) {
    if (p.proto.emit !== p.patched) continue; // someone patched over us: leave their wrapper in place
    if (p.hadOwn) p.proto.emit = p.original;
    else delete (p.proto as { emit?: Emit }).emit;
  }
}

export const HTTP_SERVER_INSTRUMENTATION: ChannelInstrumentation = {
  id: 'http-server',
  enable(agent: Agent): () => void {
    current = agent;
    if (patchedProtos.length === 0) {
      patchProto(nodeHttp.Server.prototype as unknown as { emit: Emit });
      patchProto(nodeHttps.Server.prototype as unknown as { emit: Emit });
    }
    return () => {
      if (current !== agent) return;
      current = null;
      unpatchAll();
    };
  },
};
