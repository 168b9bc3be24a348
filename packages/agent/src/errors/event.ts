/**
 * A captured error in the intake v2 `error` shape. Built once its frames are final (source
 * maps applied), because the culprit and the fingerprint are derived from them.
 */
import { buildRequestContext, type HttpContextOptions, type RequestRecord, type RequestSource } from '../http/request-context.js';
import type { LabelMap } from '../trace/labels.js';
import type { Transaction } from '../trace/transaction.js';
import type { ExceptionShape } from './exception.js';
import { fingerprint } from './fingerprint.js';
import { topAppFrame, type StackFrame } from './stack.js';

/** Everything taken at capture time; nothing here reads the app's context later. */
export interface CapturedError {
  id: string;
  /** Epoch µs. */
  timestamp: number;
  traceId: string | null;
  parentId: string | null;
  transaction: Transaction | null;
  exception: ExceptionShape | null;
  log: { message: string; stacktrace?: StackFrame[] } | null;
  labels: LabelMap | null;
  custom: Record<string, unknown> | null;
  request: RequestSource | RequestRecord | null;
  requestBody: unknown;
}

export interface ErrorEventOptions {
  globalLabels: Record<string, unknown> | null;
  http: HttpContextOptions;
}

const LOG_TYPE = 'log';

export function buildErrorEvent(c: CapturedError, opts: ErrorEventOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { id: c.id, timestamp: c.timestamp };
  const tx = c.transaction;
  if (c.traceId !== null) {
    out.trace_id = c.traceId;
    out.parent_id = c.parentId;
  }
  if (tx !== null) {
    out.transaction_id = tx.id;
    // Read now rather than at capture: a framework may name the route after the error.
    out.transaction = { name: tx.name, type: tx.type, sampled: tx.sampled };
  }
  const frames = c.exception?.stacktrace ?? c.log?.stacktrace;
  const top = topAppFrame(frames);
  if (top !== null) out.culprit = culprit(top);
  const fp = c.exception !== null
    ? fingerprint(c.exception.type, top, c.exception.message)
    : fingerprint(LOG_TYPE, top, c.log?.message ?? '');
  if (c.exception !== null) {
    c.exception.attributes = { fingerprint: fp };
    out.exception = c.exception;
  }
  if (c.log !== null) out.log = c.log;

  const context: Record<string, unknown> = {};
  if (c.request !== null) {
    try {
      context.request = buildRequestContext(c.request, c.requestBody, opts.http);
    } catch {
      // A request object the app mangled: the error is worth more than its context.
    }
  }
  const tags = c.labels === null ? opts.globalLabels : opts.globalLabels === null ? c.labels : { ...opts.globalLabels, ...c.labels };
  if (tags !== null) context.tags = tags;
  // An error without an exception has nowhere else to carry its grouping key.
  const custom = c.exception === null ? { ...c.custom, fingerprint: fp } : c.custom;
  if (custom !== null) context.custom = custom;
  if (tx !== null && tx.user !== null) context.user = { ...tx.user };
  if (Object.keys(context).length > 0) out.context = context;
  return out;
}

function culprit(frame: StackFrame): string {
  const s = `${frame.function ?? '<anonymous>'} (${frame.filename})`;
  return s.length > 1024 ? s.slice(0, 1024) : s;
}
