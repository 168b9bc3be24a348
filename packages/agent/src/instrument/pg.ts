/**
 * PostgreSQL through `pg`: every Client.query (callbacks, promises, Query objects and
 * submittables such as pg-query-stream) becomes a db/postgresql span. Pool queries run
 * through Client.query; Pool.connect callbacks are bound to the caller's context, since a
 * client handed over from the wait queue would otherwise run them in whichever request
 * released it.
 */
import type { Agent } from '../agent.js';
import { getAgent } from '../instance.js';
import { logger } from '../log.js';
import { bindActive } from '../trace/context.js';
import type { Span } from '../trace/span.js';
import { endDbSpan, startDbSpan } from './sql/db-span.js';
import type { ModulePatch } from './types.js';

const WRAPPED = Symbol('sightline.pg.wrapped');

function statementOf(config: any): unknown {
  if (typeof config === 'string') return config;
  if (config === null || typeof config !== 'object') return '';
  return config.text ?? config.cursor?.text ?? '';
}

function rowCount(result: any): number | null {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return null;
  return typeof result.rowCount === 'number' ? result.rowCount : null;
}

function wrapCallback(agent: Agent, span: Span, cb: (...args: any[]) => unknown): (...args: any[]) => unknown {
  const bound = bindActive(cb);
  return function sightlineQueryCallback(this: unknown, err: unknown, result: unknown) {
    endDbSpan(agent, span, err, rowCount(result));
    return bound.apply(this, arguments as unknown as any[]);
  };
}

/** A submittable (a pg-query-stream, a cursor) tells its end by events: watch emit, add no listener. */
function watchEvents(agent: Agent, span: Span, emitter: any): void {
  const emit = emitter.emit;
  if (typeof emit !== 'function') return;
  emitter.emit = function sightlineEmit(this: unknown, event: string, arg: unknown) {
    if (event === 'end' || event === 'close') endDbSpan(agent, span, null, rowCount(arg));
    else if (event === 'error') endDbSpan(agent, span, arg, null);
    return emit.apply(this, arguments);
  };
}

function wrapQuery(original: (...args: any[]) => any, agent: Agent): (...args: any[]) => any {
  return function query(this: any, config: any, values?: any, callback?: any) {
    if (getAgent() !== agent || config === null || config === undefined) return original.apply(this, arguments as unknown as any[]);
    let span: Span | null = null;
    try {
      span = startDbSpan(agent, 'postgresql', statementOf(config), {
        instance: this.database ?? null,
        user: this.user ?? null,
        address: this.host ?? null,
        port: Number(this.port) || null,
      });
    } catch (err) {
      logger.once('warn', 'pg:span', `pg: could not start a span: ${(err as Error)?.message ?? err}`);
    }
    if (span === null) return original.apply(this, arguments as unknown as any[]);
    const args = Array.prototype.slice.call(arguments);
    const submittable = typeof config.submit === 'function';
    if (typeof values === 'function') args[1] = wrapCallback(agent, span, values);
    else if (typeof callback === 'function') args[2] = wrapCallback(agent, span, callback);
    else if (typeof config === 'object' && typeof config.callback === 'function') {
      if (submittable) config.callback = wrapCallback(agent, span, config.callback);
      else args[0] = { ...config, callback: wrapCallback(agent, span, config.callback) };
    }
    if (submittable) watchEvents(agent, span, config);
    let result: any;
    try {
      result = original.apply(this, args);
    } catch (err) {
      endDbSpan(agent, span, err, null);
      throw err;
    }
    if (result !== null && typeof result === 'object' && typeof result.then === 'function' && !submittable) {
      const s = span;
      result.then(
        (res: unknown) => endDbSpan(agent, s, null, rowCount(res)),
        (err: unknown) => endDbSpan(agent, s, err, null),
      );
    }
    return result;
  };
}

function wrapConnect(original: (...args: any[]) => any, agent: Agent): (...args: any[]) => any {
  return function connect(this: unknown, cb?: unknown) {
    if (typeof cb !== 'function' || getAgent() !== agent) return original.apply(this, arguments as unknown as any[]);
    return original.call(this, bindActive(cb as (...a: never[]) => unknown));
  };
}

function wrapMethod(proto: any, name: string, wrap: (orig: any) => any): void {
  if (proto === null || typeof proto !== 'object') return;
  const original = proto[name];
  if (typeof original !== 'function' || original[WRAPPED] === true) return;
  const wrapped = wrap(original);
  wrapped[WRAPPED] = true;
  proto[name] = wrapped;
}

export const pgPatch: ModulePatch = {
  id: 'pg',
  modules: ['pg'],
  patch(exports: any, _info, agent: Agent) {
    // Never touch `exports.native`: reading it loads pg-native.
    const Client = exports.Client ?? exports.default?.Client;
    const Pool = exports.Pool ?? exports.default?.Pool;
    wrapMethod(Client?.prototype, 'query', (orig) => wrapQuery(orig, agent));
    wrapMethod(Pool?.prototype, 'connect', (orig) => wrapConnect(orig, agent));
    return exports;
  },
};
