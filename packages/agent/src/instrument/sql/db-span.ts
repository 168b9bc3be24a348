/**
 * The one way a query becomes a span, shared by every SQL client: the name from the
 * statement's summary, `db.statement` as configured (sanitized, full or off), the database
 * as instance and target, and the error captured when the query fails.
 */
import type { Agent } from '../../agent.js';
import type { Span } from '../../trace/span.js';
import { sanitizeSql } from './sanitize.js';
import { summarizeSql } from './summary.js';
import { tokenize, type SqlDialect } from './tokens.js';

/** Elastic's agents cap `db.statement` at 10 000 characters; so do we. */
const MAX_STATEMENT_CHARS = 10_000;
/** Statements repeat: their name and sanitized text are kept for this many distinct texts. */
const CACHE_SIZE = 500;

export interface DbTarget {
  /** The database name. */
  instance: string | null;
  user: string | null;
  address: string | null;
  port: number | null;
}

interface Described {
  name: string;
  statement: string | null;
}

type Capture = 'sanitized' | 'full' | 'off';

function newCaches(): Record<Capture, Map<string, Described>> {
  return { sanitized: new Map(), full: new Map(), off: new Map() };
}

const caches: Record<SqlDialect, Record<Capture, Map<string, Described>>> = {
  postgresql: newCaches(),
  mysql: newCaches(),
  sqlite: newCaches(),
};

function describe(sql: string, dialect: SqlDialect, capture: Capture): Described {
  const cache = caches[dialect][capture];
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  let described: Described;
  try {
    const tokens = tokenize(sql, dialect);
    const statement = capture === 'off' ? null : capture === 'full' ? sql : sanitizeSql(sql, dialect, tokens);
    described = {
      name: summarizeSql(sql, dialect, tokens) || 'query',
      statement: statement !== null && statement.length > MAX_STATEMENT_CHARS ? statement.slice(0, MAX_STATEMENT_CHARS) : statement,
    };
  } catch {
    described = { name: 'query', statement: null };
  }
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(sql, described);
  return described;
}

/** Starts the span of one query; null outside a sampled transaction or when tracing is off. */
export function startDbSpan(agent: Agent, dialect: SqlDialect, sql: unknown, target: DbTarget): Span | null {
  const text = typeof sql === 'string' ? sql : '';
  const { name, statement } = describe(text, dialect, agent.config.sqlStatementCapture);
  const span = agent.tracer.startSpan(name, 'db', dialect, 'query', null, null, true);
  if (span === null) return null;
  span.setDbContext({
    type: 'sql',
    instance: target.instance,
    ...(statement !== null ? { statement } : {}),
    ...(target.user ? { user: target.user } : {}),
  });
  if (target.address !== null) span.setDestination({ address: target.address, port: target.port });
  span.targetName = target.instance || null;
  return span;
}

/** Ends a query's span: success with the row count, or failure with the error captured. */
export function endDbSpan(agent: Agent, span: Span, err: unknown, rows: number | null): void {
  if (span.ended) return;
  if (err !== null && err !== undefined) {
    span.setOutcome('failure', false);
    agent.errors.capture(err, { handled: true, parent: span });
  } else {
    span.setOutcome('success', false);
    if (rows !== null && span.db !== null && Number.isFinite(rows)) span.db.rows_affected = rows;
  }
  span.end();
}
