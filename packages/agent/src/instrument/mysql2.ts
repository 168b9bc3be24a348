/**
 * MySQL and MariaDB through `mysql2`, which publishes TracingChannels (`mysql2:query`,
 * `mysql2:execute`) for every query of the callback API, and so of the promise API and
 * pools built on it. The subscriber turns each into a db/mysql span and runs the app's
 * callback in the context that made the query (mysql2 calls it from the socket's).
 * One patch remains: Pool.getConnection callbacks are bound to the caller's context, since
 * a connection handed over from the wait queue would run them in the releaser's request.
 */
import dc from 'node:diagnostics_channel';
import type { Agent } from '../agent.js';
import { logger } from '../log.js';
import { getAgent } from '../instance.js';
import { bindActive, currentActive, enterActive, type Active } from '../trace/context.js';
import type { Span } from '../trace/span.js';
import { endDbSpan, startDbSpan } from './sql/db-span.js';
import type { ChannelInstrumentation, ModulePatch } from './types.js';

/** The context object mysql2 publishes (lib/tracing.js). */
interface QueryContext {
  query?: string;
  database?: string;
  serverAddress?: string;
  serverPort?: number;
  error?: unknown;
  result?: unknown;
  [SPAN]?: Span;
  [CALLER]?: Active | null;
  [PREVIOUS]?: Active | null;
}

const SPAN = Symbol('sightline.span');
const CALLER = Symbol('sightline.caller');
const PREVIOUS = Symbol('sightline.previous');
const WRAPPED = Symbol('sightline.mysql2.wrapped');

function rowCount(result: any): number | null {
  if (Array.isArray(result)) return Array.isArray(result[0]) ? null : result.length;
  if (result !== null && typeof result === 'object' && typeof result.affectedRows === 'number') return result.affectedRows;
  return null;
}

function handlers(agent: Agent) {
  return {
    start(ctx: QueryContext) {
      try {
        const span = startDbSpan(agent, 'mysql', ctx.query, {
          instance: ctx.database || null,
          user: null,
          address: ctx.serverAddress ?? null,
          port: ctx.serverPort ?? null,
        });
        if (span !== null) {
          ctx[SPAN] = span;
          ctx[CALLER] = currentActive();
        }
      } catch (err) {
        logger.once('warn', 'mysql2:span', `mysql2: could not start a span: ${(err as Error)?.message ?? err}`);
      }
    },
    asyncStart(ctx: QueryContext) {
      const span = ctx[SPAN];
      if (span === undefined) return;
      endDbSpan(agent, span, ctx.error, ctx.error ? null : rowCount(ctx.result));
      // The callback runs right after this, in the same synchronous frame.
      ctx[PREVIOUS] = currentActive();
      enterActive(ctx[CALLER] ?? null);
    },
    asyncEnd(ctx: QueryContext) {
      if (ctx[SPAN] !== undefined && PREVIOUS in ctx) enterActive(ctx[PREVIOUS] ?? null);
    },
    error(ctx: QueryContext) {
      // A synchronous throw has no asyncStart; an async failure is ended there.
      const span = ctx[SPAN];
      if (span !== undefined && !span.ended && !(PREVIOUS in ctx)) {
        setImmediate(() => endDbSpan(agent, span, ctx.error, null));
      }
    },
  };
}

export const mysql2Channels: ChannelInstrumentation = {
  id: 'mysql2',
  enable(agent: Agent) {
    if (typeof dc.tracingChannel !== 'function') return () => {};
    const subscribed: Array<[ReturnType<typeof dc.tracingChannel>, ReturnType<typeof handlers>]> = [];
    for (const name of ['mysql2:query', 'mysql2:execute']) {
      const channel = dc.tracingChannel(name);
      const h = handlers(agent);
      channel.subscribe(h as never);
      subscribed.push([channel, h]);
    }
    return () => {
      for (const [channel, h] of subscribed) channel.unsubscribe(h as never);
    };
  },
};

export const mysql2PoolPatch: ModulePatch = {
  id: 'mysql2',
  // require-in-the-middle names an internal file without its .js (`mysql2/lib/base/pool`).
  modules: ['mysql2/lib/base/pool'],
  patch(exports: any, _info, agent: Agent) {
    const proto = exports?.prototype;
    const original = proto?.getConnection;
    if (typeof original !== 'function' || original[WRAPPED] === true) return exports;
    const getConnection = function getConnection(this: unknown, cb: unknown) {
      if (typeof cb !== 'function' || getAgent() !== agent) return original.apply(this, arguments);
      return original.call(this, bindActive(cb as (...a: never[]) => unknown));
    };
    (getConnection as any)[WRAPPED] = true;
    proto.getConnection = getConnection;
    return exports;
  },
};
