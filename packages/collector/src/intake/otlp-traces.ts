import { errorFingerprint } from '../model/fingerprint.js';
import { emptyBatch, type EventBatch } from '../model/event.js';
import { attributes, derivedId, list, nanosToUs, otlpId, readResource, type OtlpResource } from './otlp-common.js';
import { parseStacktrace } from './stack-parse.js';

type Json = Record<string, any>;

const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_ERROR = 2;
const STATUS_OK = 1;

export interface OtlpMapResult {
  batch: EventBatch;
  rejected: number;
  firstProblem: string | null;
}

interface SpanInput {
  span: Json;
  resource: OtlpResource;
  traceId: string;
  spanId: string;
  parentId: string | null;
  startUs: number;
  durationMs: number;
  attrs: Record<string, unknown>;
  isTransaction: boolean;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

function statusCodeOf(attrs: Record<string, unknown>): number | null {
  return num(attrs['http.response.status_code']) ?? num(attrs['http.status_code']);
}

function outcomeOf(input: SpanInput): string {
  const status = input.span.status?.code;
  if (status === STATUS_ERROR) return 'failure';
  const http = statusCodeOf(input.attrs);
  if (http !== null) return http >= (input.isTransaction ? 500 : 400) ? 'failure' : 'success';
  return status === STATUS_OK ? 'success' : 'unknown';
}

function transactionName(input: SpanInput): string {
  const method = str(input.attrs['http.request.method']) ?? str(input.attrs['http.method']);
  const route = str(input.attrs['http.route']);
  return method !== null && route !== null ? `${method} ${route}` : String(input.span.name ?? '');
}

/** Elastic's span type/subtype/action from OpenTelemetry semantic conventions. */
function spanType(attrs: Record<string, unknown>): { type: string; subtype: string | null; action: string | null } {
  const db = str(attrs['db.system.name']) ?? str(attrs['db.system']);
  if (db !== null) return { type: 'db', subtype: db, action: 'query' };
  const messaging = str(attrs['messaging.system']);
  if (messaging !== null) return { type: 'messaging', subtype: messaging, action: str(attrs['messaging.operation.type']) ?? str(attrs['messaging.operation']) };
  const method = str(attrs['http.request.method']) ?? str(attrs['http.method']);
  if (method !== null) return { type: 'external', subtype: 'http', action: method };
  if (str(attrs['rpc.system']) !== null) return { type: 'external', subtype: str(attrs['rpc.system']), action: null };
  return { type: 'app', subtype: 'internal', action: null };
}

function context(attrs: Record<string, unknown>, isTransaction: boolean): Json {
  const ctx: Json = {};
  const statement = str(attrs['db.query.text']) ?? str(attrs['db.statement']);
  const dbSystem = str(attrs['db.system.name']) ?? str(attrs['db.system']);
  if (statement !== null || dbSystem !== null) {
    ctx.db = { type: 'sql', statement, instance: str(attrs['db.namespace']) ?? str(attrs['db.name']) };
    if (num(attrs['db.response.returned_rows']) !== null) ctx.db.rows_affected = attrs['db.response.returned_rows'];
  }
  const method = str(attrs['http.request.method']) ?? str(attrs['http.method']);
  const statusCode = statusCodeOf(attrs);
  if (method !== null || statusCode !== null) {
    const url = str(attrs['url.full']) ?? str(attrs['http.url']) ?? str(attrs['url.path']) ?? str(attrs['http.target']);
    if (isTransaction) {
      ctx.request = { method, url: { full: url, pathname: str(attrs['url.path']) } };
      if (statusCode !== null) ctx.response = { status_code: statusCode };
    } else ctx.http = { method, url, status_code: statusCode };
  }
  const address = str(attrs['server.address']) ?? str(attrs['net.peer.name']);
  const port = num(attrs['server.port']) ?? num(attrs['net.peer.port']);
  if (!isTransaction && address !== null) ctx.destination = { address, ...(port !== null ? { port } : {}) };
  return ctx;
}

/** Maps an OTLP ExportTraceServiceRequest (JSON) onto transactions, spans and errors. */
export function mapOtlpTraces(body: Json): OtlpMapResult {
  const batch = emptyBatch();
  let rejected = 0;
  let firstProblem: string | null = null;
  const inputs: SpanInput[] = [];
  for (const resourceSpans of Array.isArray(body.resourceSpans) ? body.resourceSpans : []) {
    const resource = readResource(resourceSpans?.resource);
    for (const scopeSpans of list(resourceSpans?.scopeSpans)) {
      for (const span of list(scopeSpans?.spans)) {
        const traceId = otlpId(span?.traceId, 16);
        const spanId = otlpId(span?.spanId, 8);
        const startUs = nanosToUs(span?.startTimeUnixNano);
        const endUs = nanosToUs(span?.endTimeUnixNano);
        if (traceId === null || spanId === null || startUs === null || endUs === null) {
          rejected += 1;
          firstProblem ??= `span ${JSON.stringify(span?.name ?? null)}: traceId, spanId, startTimeUnixNano and endTimeUnixNano are required`;
          continue;
        }
        const parentId = otlpId(span.parentSpanId, 8);
        const kind = span.kind;
        const isTransaction = parentId === null || kind === SPAN_KIND.SERVER || kind === SPAN_KIND.CONSUMER;
        inputs.push({ span, resource, traceId, spanId, parentId, startUs, durationMs: Math.max(0, endUs - startUs) / 1000, attrs: attributes(span.attributes), isTransaction });
      }
    }
  }
  // A span belongs to the nearest transaction above it in this request, as in Elastic APM.
  const byId = new Map(inputs.map((input) => [input.spanId, input]));
  const transactionOf = (input: SpanInput): string | null => {
    let current: SpanInput | undefined = input;
    for (let hops = 0; current !== undefined && hops < 1000; hops++) {
      if (current.isTransaction) return current.spanId;
      current = current.parentId === null ? undefined : byId.get(current.parentId);
    }
    return input.parentId;
  };
  for (const input of inputs) {
    const { resource, attrs } = input;
    const outcome = outcomeOf(input);
    const otel = { span_kind: KIND_NAMES[input.span.kind ?? 0] ?? 'unspecified', attributes: attrs, resource: resource.attributes, scope: input.span.scope };
    const base = { id: input.spanId, trace_id: input.traceId, parent_id: input.parentId, timestamp: input.startUs, duration: input.durationMs, outcome };
    if (input.isTransaction) {
      const http = statusCodeOf(attrs);
      const result = http !== null ? `HTTP ${Math.floor(http / 100)}xx` : input.span.status?.code === STATUS_ERROR ? 'Error' : input.span.status?.code === STATUS_OK ? 'Success' : null;
      const name = transactionName(input);
      const type = input.span.kind === SPAN_KIND.CONSUMER ? 'messaging' : input.span.kind === SPAN_KIND.SERVER ? 'request' : 'unknown';
      const doc = { ...base, name, type, result, sampled: true, span_count: { started: 0 }, context: context(attrs, true), otel, service: resource.serviceDoc };
      batch.transactions.push({
        id: input.spanId, traceId: input.traceId, parentId: input.parentId, service: resource.service, environment: resource.environment,
        name, type, result, outcome, timestampUs: input.startUs, durationMs: input.durationMs, sampled: true, doc: JSON.stringify(doc),
      });
    } else {
      const { type, subtype, action } = spanType(attrs);
      const transactionId = transactionOf(input);
      const name = String(input.span.name ?? '');
      const doc = { ...base, transaction_id: transactionId, name, type, subtype, action, context: context(attrs, false), otel, service: resource.serviceDoc };
      batch.spans.push({
        id: input.spanId, traceId: input.traceId, transactionId, parentId: input.parentId, service: resource.service, environment: resource.environment,
        name, type, subtype, action, outcome, timestampUs: input.startUs, durationMs: input.durationMs, doc: JSON.stringify(doc),
      });
    }
    addExceptionEvents(batch, input, input.isTransaction ? input.spanId : transactionOf(input));
  }
  return { batch, rejected, firstProblem };
}

/** Span events named "exception" (the semantic convention for a recorded exception) become errors. */
function addExceptionEvents(batch: EventBatch, input: SpanInput, transactionId: string | null): void {
  list(input.span.events).forEach((event: Json, index: number) => {
    if (event?.name !== 'exception') return;
    const attrs = attributes(event.attributes);
    const type = str(attrs['exception.type']) ?? 'Error';
    const message = str(attrs['exception.message']) ?? '';
    const stacktraceText = str(attrs['exception.stacktrace']);
    const frames = stacktraceText === null ? [] : parseStacktrace(stacktraceText);
    const culpritFrame = frames.find((f) => !f.library_frame) ?? frames[0];
    const culprit = culpritFrame ? (culpritFrame.function ? `${culpritFrame.function} (${culpritFrame.filename})` : culpritFrame.filename) : '';
    const timestampUs = nanosToUs(event.timeUnixNano) ?? input.startUs;
    const id = derivedId(input.traceId, input.spanId, index, event.timeUnixNano);
    const handled = attrs['exception.escaped'] === true ? false : null;
    const exception = { type, message, stacktrace: frames, ...(handled !== null ? { handled } : {}), ...(stacktraceText !== null ? { raw_stacktrace: stacktraceText } : {}) };
    const doc = {
      id, trace_id: input.traceId, transaction_id: transactionId, parent_id: input.spanId, timestamp: timestampUs, culprit, exception,
      otel: { attributes: attrs }, service: input.resource.serviceDoc,
    };
    batch.errors.push({
      id, traceId: input.traceId, transactionId, parentId: input.spanId, service: input.resource.service, environment: input.resource.environment,
      fingerprint: errorFingerprint(input.resource.service, type, culprit, message), exceptionType: type, message, culprit, handled,
      timestampUs, doc: JSON.stringify(doc),
    });
  });
}
