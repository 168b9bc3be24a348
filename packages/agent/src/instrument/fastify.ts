/**
 * Fastify 4 and 5. Every Fastify since 3.21 publishes each new instance on the
 * `fastify.initialization` diagnostics channel, so zero-code instrumentation needs no patch:
 * the subscriber adds three hooks to the root instance, which every route and every
 * `register` scope inherits. `@sightline/fastify` adds the same hooks (once per instance).
 *
 * - onRequest: names the transaction `${method} ${routeOptions.url}` (prefixes included);
 *   a 404 keeps `GET unknown route`.
 * - onError: reports the error thrown or sent (`reply.send(err)`) in a hook or a handler.
 * - preHandler (only with `captureBody`): keeps the parsed body.
 */
import dc from 'node:diagnostics_channel';
import type { Agent } from '../agent.js';
import { getAgent } from '../instance.js';
import { logger } from '../log.js';
import { enterActive } from '../trace/context.js';
import type { Transaction } from '../trace/transaction.js';
import {
  captureRequestError,
  kTransaction,
  noteFramework,
  noteRequestBody,
  startRequestTransaction,
  wantsRequestBodies,
} from './http-server.js';
import type { ChannelInstrumentation } from './types.js';

const kInstalled = Symbol.for('sightline.fastify.installed');
const INIT_CHANNEL = 'fastify.initialization';

type Done = (err?: Error) => void;

interface RawRequest {
  [kTransaction]?: Transaction | null;
}

interface FastifyRequestLike {
  raw: RawRequest & import('node:http').IncomingMessage;
  method: string;
  body?: unknown;
  is404?: boolean;
  routeOptions?: { url?: string };
  routerPath?: string;
}

interface FastifyReplyLike {
  raw: import('node:http').ServerResponse;
}

interface FastifyInstanceLike {
  version?: string;
  addHook(name: string, hook: (...args: any[]) => unknown): unknown;
  [kInstalled]?: boolean;
}

function transactionOf(request: FastifyRequestLike, reply: FastifyReplyLike): Transaction | null {
  const raw = request.raw;
  const tx = raw[kTransaction];
  if (tx !== undefined) return tx;
  // The server instrumentation is off (or this server is not node:http): start it here.
  const agent = getAgent();
  if (agent === null) return null;
  const started = startRequestTransaction(agent, raw, reply.raw);
  if (started !== null) enterActive(started);
  return started;
}

function routeUrl(request: FastifyRequestLike): string | undefined {
  const options = request.routeOptions;
  // routerPath only before 4.10, where routeOptions is missing (reading it later warns).
  return options !== undefined ? options.url : request.routerPath;
}

/**
 * The route's context (what `routeOptions` is built from, per request, with a dozen fields):
 * found once by its symbol's description, and read directly after that. Absent (null) in a
 * Fastify that keeps it elsewhere; routeOptions is read then.
 */
let kContext: symbol | null | undefined;

interface RouteContextLike {
  config?: { url?: unknown };
}

function routeContextOf(request: FastifyRequestLike): RouteContextLike | null {
  if (kContext === undefined) {
    kContext = Object.getOwnPropertySymbols(request).find((s) => s.description === 'fastify.context') ?? null;
  }
  if (kContext === null) return null;
  const context = (request as unknown as Record<symbol, unknown>)[kContext];
  return context !== null && typeof context === 'object' ? (context as RouteContextLike) : null;
}

/** Transaction names by route context, then method: built once per route, not per request. */
const routeNames = new WeakMap<object, Map<string, string>>();

/** `GET /users/:id`, or null for a request no route matched (a 404 keeps `GET unknown route`). */
function routeName(request: FastifyRequestLike): string | null {
  const context = routeContextOf(request);
  if (context === null) {
    if (request.is404 === true) return null;
    const url = routeUrl(request);
    return typeof url === 'string' && url !== '' ? `${request.method} ${url}` : null;
  }
  const url = context.config?.url;
  if (typeof url !== 'string' || url === '') return null;
  let byMethod = routeNames.get(context);
  if (byMethod === undefined) {
    byMethod = new Map();
    routeNames.set(context, byMethod);
  }
  let name = byMethod.get(request.method);
  if (name === undefined) {
    name = `${request.method} ${url}`;
    if (byMethod.size < 16) byMethod.set(request.method, name);
  }
  return name;
}

function onRequest(this: FastifyInstanceLike, request: FastifyRequestLike, reply: FastifyReplyLike, done: Done): void {
  try {
    const tx = transactionOf(request, reply);
    if (tx !== null) {
      noteFramework(tx, 'fastify', typeof this?.version === 'string' ? this.version : null);
      const name = routeName(request);
      if (name !== null) tx.setName(name, 2);
    }
  } catch {
    // Naming is best effort; the request goes on untouched.
  }
  done();
}

function onError(this: unknown, request: FastifyRequestLike, _reply: FastifyReplyLike, error: unknown, done: Done): void {
  const tx = request.raw?.[kTransaction];
  if (tx !== undefined && tx !== null) captureRequestError(tx, error, request.body);
  done();
}

function preHandler(this: unknown, request: FastifyRequestLike, _reply: FastifyReplyLike, done: Done): void {
  const tx = request.raw?.[kTransaction];
  if (tx !== undefined && tx !== null && request.body !== undefined) noteRequestBody(tx, request.body);
  done();
}

/** Adds the hooks to a Fastify instance (its root, so that every scope inherits them), once. */
export function installFastifyHooks(instance: unknown, agent: Agent): void {
  const fastify = instance as FastifyInstanceLike | null;
  if (fastify === null || typeof fastify !== 'object' || typeof fastify.addHook !== 'function') return;
  if (fastify[kInstalled] === true || !agent.config.active) return;
  if (agent.config.disableInstrumentations.includes('fastify')) return;
  fastify[kInstalled] = true;
  fastify.addHook('onRequest', onRequest);
  fastify.addHook('onError', onError);
  if (wantsRequestBodies(agent)) fastify.addHook('preHandler', preHandler);
}

export const FASTIFY_INSTRUMENTATION: ChannelInstrumentation = {
  id: 'fastify',
  enable(agent: Agent): () => void {
    const onInit = (message: unknown): void => {
      try {
        installFastifyHooks((message as { fastify?: unknown } | null)?.fastify, agent);
      } catch (err) {
        logger.once('warn', 'fastify:init', `could not instrument a Fastify instance: ${(err as Error)?.message ?? err}`);
      }
    };
    dc.subscribe(INIT_CHANNEL, onInit);
    return () => dc.unsubscribe(INIT_CHANNEL, onInit);
  },
};
