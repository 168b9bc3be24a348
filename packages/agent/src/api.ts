/**
 * The public API functions: thin, never throwing, acting on the current agent and the
 * current transaction or span.
 */
import type { ConfigOptions } from './config/table.js';
import type { CaptureErrorOptions } from './errors/reporter.js';
import { agentOrInactive, clearAgent, getAgent, startAgent } from './instance.js';
import { currentActive, currentSpan, currentTransaction, runWithActive } from './trace/context.js';
import type { Span } from './trace/span.js';
import type { StartTransactionOptions } from './trace/tracer.js';
import type { Transaction, UserContext } from './trace/transaction.js';
import type { AgentStats } from './agent.js';

export function start(options?: ConfigOptions): void {
  startAgent(options);
}

export function isStarted(): boolean {
  return getAgent() !== null;
}

export function startTransaction(name: string, type = 'custom', options?: StartTransactionOptions): Transaction {
  return agentOrInactive().tracer.startTransaction(String(name), String(type), options);
}

/** A span under the current span or transaction; null outside a sampled transaction. */
export function startSpan(name: string, type = 'custom', subtype: string | null = null, action: string | null = null): Span | null {
  return agentOrInactive().tracer.startSpan(String(name), String(type), subtype, action, null, null, false);
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` with `item` current and ends `item` when `fn` returns, throws, or its promise
 * settles: outcome failure when it throws or rejects (unless the user set one). Whatever
 * `fn` returns or throws reaches the caller unchanged.
 */
function runAndEnd<I extends Span | Transaction, T>(item: I, fn: (item: I) => T): T {
  let result: T;
  try {
    result = runWithActive(item, fn, item);
  } catch (err) {
    item.setOutcome('failure', false);
    item.end();
    throw err;
  }
  if (isPromiseLike(result)) {
    result.then(
      () => {
        item.setOutcome('success', false);
        item.end();
      },
      () => {
        item.setOutcome('failure', false);
        item.end();
      },
    );
    return result;
  }
  item.setOutcome('success', false);
  item.end();
  return result;
}

/** Runs `fn` inside a new span, current while it runs, and ends it when `fn` is done. */
export function withSpan<T>(name: string, fn: (span: Span | null) => T, type = 'custom'): T {
  const span = startSpan(name, type);
  return span === null ? fn(null) : runAndEnd(span, fn);
}

/** Runs `fn` inside a new transaction, current while it runs, and ends it when `fn` is done. */
export function withTransaction<T>(name: string, fn: (tx: Transaction) => T, type = 'custom', options?: StartTransactionOptions): T {
  return runAndEnd(startTransaction(name, type, options), fn);
}

export { currentTransaction, currentSpan };

/** Ids for log correlation, in ECS field names; empty outside a transaction. */
export function currentTraceIds(): { 'trace.id'?: string; 'transaction.id'?: string; 'span.id'?: string } {
  const active = currentActive();
  if (active === null) return {};
  const tx = active.transaction;
  const ids: { 'trace.id'?: string; 'transaction.id'?: string; 'span.id'?: string } = { 'trace.id': tx.traceId, 'transaction.id': tx.id };
  if (!active.isTransaction) ids['span.id'] = active.id;
  return ids;
}

/** Sets a label on the current span, else the current transaction. */
export function setLabel(key: string, value: unknown): boolean {
  const active = currentActive();
  if (active === null) return false;
  active.setLabel(key, value);
  return true;
}

export function addLabels(labels: Record<string, unknown>): boolean {
  const active = currentActive();
  if (active === null || labels === null || typeof labels !== 'object') return false;
  for (const key of Object.keys(labels)) active.setLabel(key, labels[key]);
  return true;
}

export function setUser(user: UserContext): boolean {
  const tx = currentTransaction();
  if (tx === null) return false;
  tx.setUser(user);
  return true;
}

export function setCustomContext(custom: Record<string, unknown>): boolean {
  const tx = currentTransaction();
  if (tx === null) return false;
  tx.setCustomContext(custom);
  return true;
}

export function setTransactionName(name: string): boolean {
  const tx = currentTransaction();
  if (tx === null) return false;
  tx.setName(name);
  return true;
}

/** Captures an error (any value); returns its id. Linked to the current transaction and span. */
export function captureError(err: unknown, options?: CaptureErrorOptions): string {
  return agentOrInactive().errors.capture(err, options);
}

/** Sends what the agent holds now. */
export function flush(): Promise<void> {
  return getAgent()?.flush() ?? Promise.resolve();
}

/** Flushes and stops the agent: hooks removed, nothing more recorded. */
export async function close(): Promise<void> {
  const agent = getAgent();
  if (agent === null) return;
  await agent.close();
  clearAgent(agent);
}

/** The agent's own counters: transactions, spans, errors, and what the transport queued, sent and dropped. */
export function getStats(): AgentStats | null {
  return getAgent()?.stats() ?? null;
}
