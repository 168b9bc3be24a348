/**
 * Spans around synchronous SQLite calls, shared by better-sqlite3 and node:sqlite, whose
 * statements have the same verbs: run, get, all, iterate (and exec on the database).
 * The call runs inside the span's start and end; an iterator's span ends when it is done.
 */
import { basename } from 'node:path';
import type { Agent } from '../../agent.js';
import { getAgent } from '../../instance.js';
import type { Span } from '../../trace/span.js';
import { endDbSpan, startDbSpan, type DbTarget } from './db-span.js';

export const WRAPPED = Symbol('sightline.sqlite.wrapped');

/** How a library's statement tells its SQL and its database file. */
export interface SqliteAccess {
  sql(stmtOrDb: any, args: ArrayLike<unknown>): unknown;
  file(stmtOrDb: any): string | null;
}

export function sqliteTarget(file: string | null): DbTarget {
  const instance = file === null || file === '' ? null : file === ':memory:' ? file : basename(file);
  return { instance, user: null, address: null, port: null };
}

function rowsOf(method: string, result: any): number | null {
  if (method === 'run') {
    const changes = result?.changes;
    return typeof changes === 'number' ? changes : typeof changes === 'bigint' ? Number(changes) : null;
  }
  if (method === 'all') return Array.isArray(result) ? result.length : null;
  if (method === 'get') return result === undefined ? 0 : 1;
  return null;
}

function wrapIterator(agent: Agent, span: Span, it: any): any {
  if (it === null || typeof it !== 'object' || typeof it.next !== 'function') {
    endDbSpan(agent, span, null, null);
    return it;
  }
  let rows = 0;
  const next = it.next;
  const ret = it.return;
  const thr = it.throw;
  it.next = function (this: unknown) {
    let r: any;
    try {
      r = next.apply(this, arguments);
    } catch (err) {
      endDbSpan(agent, span, err, null);
      throw err;
    }
    if (r?.done) endDbSpan(agent, span, null, rows);
    else rows++;
    return r;
  };
  if (typeof ret === 'function') {
    it.return = function (this: unknown) {
      endDbSpan(agent, span, null, rows);
      return ret.apply(this, arguments);
    };
  }
  if (typeof thr === 'function') {
    it.throw = function (this: unknown, err: unknown) {
      endDbSpan(agent, span, err, null);
      return thr.apply(this, arguments);
    };
  }
  return it;
}

/** Wraps `proto[method]` so that each call is a db/sqlite span. */
export function wrapSqliteMethod(proto: any, method: string, agent: Agent, access: SqliteAccess): void {
  const original = proto?.[method];
  if (typeof original !== 'function' || original[WRAPPED] === true) return;
  const wrapped = function (this: any) {
    if (getAgent() !== agent) return original.apply(this, arguments);
    let span: Span | null = null;
    try {
      span = startDbSpan(agent, 'sqlite', access.sql(this, arguments), sqliteTarget(access.file(this)));
    } catch {
      span = null;
    }
    if (span === null) return original.apply(this, arguments);
    let result: any;
    try {
      result = original.apply(this, arguments);
    } catch (err) {
      endDbSpan(agent, span, err, null);
      throw err;
    }
    if (method === 'iterate') return wrapIterator(agent, span, result);
    endDbSpan(agent, span, null, rowsOf(method, result));
    return result;
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  (wrapped as any)[WRAPPED] = original;
  proto[method] = wrapped;
}

/** Puts the original back (for instrumentations that can undo). */
export function unwrapSqliteMethod(proto: any, method: string): void {
  const wrapped = proto?.[method];
  if (typeof wrapped === 'function' && typeof wrapped[WRAPPED] === 'function') proto[method] = wrapped[WRAPPED];
}
