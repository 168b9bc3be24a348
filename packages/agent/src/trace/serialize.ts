/**
 * Transactions and spans in the Elastic APM intake v2 shape, as objects: toJSON(). Batches
 * are encoded by event-json.ts, which writes the same JSON without these objects.
 */
import { describeValue } from '../errors/safe.js';
import { buildRequestContext, buildResponseContext } from '../http/request-context.js';
import type { Span } from './span.js';
import type { Transaction } from './transaction.js';

export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function serializeTransaction(tx: Transaction): object {
  const out: Record<string, unknown> = {
    id: tx.id,
    trace_id: tx.traceId,
    name: tx.name,
    type: tx.type,
    timestamp: tx.timestamp,
    duration: round3(tx.durationMs),
    outcome: tx.outcome,
    sampled: tx.sampled,
    span_count: { started: tx.spansStarted, dropped: tx.spansDropped },
  };
  if (tx.parentId !== null) out.parent_id = tx.parentId;
  if (tx.result !== null) out.result = tx.result;
  if (tx.sampleRate !== null) out.sample_rate = tx.sampleRate;

  const context: Record<string, unknown> = {};
  const opts = tx.tracer.httpContextOptions;
  try {
    if (tx.req !== null) context.request = buildRequestContext(tx.req, tx.requestBody, opts);
    if (tx.res !== null) context.response = buildResponseContext(tx.res, opts);
  } catch {
    // A request object mangled by the app: ship the transaction without it.
  }
  if (tx.user !== null) context.user = tx.user;
  if (tx.custom !== null) context.custom = encodableCustom(tx.custom);
  const labels = mergeLabels(tx.tracer.globalLabels, tx.labels);
  if (labels !== null) context.tags = labels;
  if (tx.aborted) context.custom = { ...(context.custom as object), client_aborted: true };
  if (Object.keys(context).length > 0) out.context = context;
  return out;
}

export function serializeSpan(span: Span): object {
  const tx = span.transaction;
  const out: Record<string, unknown> = {
    id: span.id,
    transaction_id: tx.id,
    parent_id: span.parentId,
    trace_id: span.traceId,
    name: span.name,
    type: span.type,
    timestamp: span.timestamp,
    duration: round3(span.durationMs),
    outcome: span.outcome,
  };
  if (span.subtype !== null) out.subtype = span.subtype;
  if (span.action !== null) out.action = span.action;
  if (tx.sampleRate !== null) out.sample_rate = tx.sampleRate;
  if (span.composite !== null) out.composite = { ...span.composite, sum: round3(span.composite.sum) };

  const context: Record<string, unknown> = {};
  if (span.db !== null) context.db = span.db;
  if (span.http !== null) context.http = span.http;
  if (span.exit) {
    const destination: Record<string, unknown> = {};
    if (span.destination !== null) {
      if (span.destination.address) destination.address = span.destination.address;
      if (span.destination.port) destination.port = span.destination.port;
    }
    const resource = span.subtype ?? span.type;
    destination.service = { resource: span.targetName ? `${resource}/${span.targetName}` : resource, name: '', type: '' };
    context.destination = destination;
    context.service = { target: span.targetName ? { type: resource, name: span.targetName } : { type: resource } };
  }
  const labels = mergeLabels(null, span.labels);
  if (labels !== null) context.tags = labels;
  if (Object.keys(context).length > 0) out.context = context;
  return out;
}

/**
 * The custom context as JSON can encode it: a key whose value cannot be (a cycle, a BigInt, a
 * throwing toJSON) is described instead, so one bad value never loses the whole transaction.
 */
export function encodableCustom(custom: Record<string, unknown>): Record<string, unknown> {
  try {
    JSON.stringify(custom);
    return custom;
  } catch {
    // Find the values at fault, below.
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(custom)) {
    const value = custom[key];
    try {
      JSON.stringify(value);
      out[key] = value;
    } catch {
      out[key] = `[unserializable: ${describeValue(value)}]`;
    }
  }
  return out;
}

function mergeLabels(global: Record<string, unknown> | null, own: Record<string, unknown> | null): Record<string, unknown> | null {
  if (own === null) return global;
  if (global === null) return own;
  return { ...global, ...own };
}
