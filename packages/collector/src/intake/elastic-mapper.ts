import { errorFingerprint } from '../model/fingerprint.js';
import type { ErrorRow, LogRow, MetricRow, SpanRow, TransactionRow } from '../model/event.js';

type Json = Record<string, any>;

/** What a request's metadata line contributes to every event after it. */
export interface RequestMetadata {
  service: string;
  environment: string | null;
  /** Service, agent, framework, language and runtime, copied into each event's doc. */
  serviceDoc: Json;
  /** serviceDoc as JSON, written once per request. */
  serviceJson: string;
  labels: Json | null;
}

export function readMetadata(metadata: Json): RequestMetadata {
  const service = (metadata.service ?? {}) as Json;
  const serviceDoc: Json = {};
  for (const key of ['name', 'environment', 'version', 'node', 'agent', 'framework', 'language', 'runtime']) {
    if (service[key] != null) serviceDoc[key] = service[key];
  }
  return {
    service: String(service.name),
    environment: typeof service.environment === 'string' ? service.environment : null,
    serviceDoc,
    serviceJson: JSON.stringify(serviceDoc),
    labels: isObject(metadata.labels) ? metadata.labels : null,
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An event may name its own service (`context.service`), which wins over the metadata. */
function serviceOf(event: Json, meta: RequestMetadata): { service: string; environment: string | null; doc: Json } {
  const own = event.context?.service;
  if (!isObject(own) || (own.name == null && own.environment == null)) {
    return { service: meta.service, environment: meta.environment, doc: meta.serviceDoc };
  }
  const doc = { ...meta.serviceDoc, ...own };
  return {
    service: typeof own.name === 'string' ? own.name : meta.service,
    environment: typeof own.environment === 'string' ? own.environment : meta.environment,
    doc,
  };
}

/**
 * The stored document: the event with its timestamp and service (and the request's labels).
 * `raw` is the event's own JSON text from the request line, when the line is a single plain
 * `{"kind":{...}}` (see rawEventText): with a timestamp of its own, no `service` key and no
 * labels to merge, the document is that text with the service appended, which parses to the
 * same value as re-serialising the parsed event and costs no JSON.stringify of the event.
 */
function docOf(event: Json, timestampUs: number, serviceDoc: Json, meta: RequestMetadata, raw: string | null): string {
  if (raw !== null && meta.labels === null && event.timestamp === timestampUs && !Object.hasOwn(event, 'service')) {
    const serviceJson = serviceDoc === meta.serviceDoc ? meta.serviceJson : JSON.stringify(serviceDoc);
    return `${raw.slice(0, -1)},"service":${serviceJson}}`;
  }
  const doc: Json = { ...event, timestamp: timestampUs, service: serviceDoc };
  if (meta.labels !== null) doc.labels = { ...meta.labels, ...(isObject(event.context?.tags) ? event.context.tags : {}) };
  return JSON.stringify(doc);
}

function outcomeOf(event: Json): string {
  if (event.outcome === 'success' || event.outcome === 'failure' || event.outcome === 'unknown') return event.outcome;
  const status = event.context?.response?.status_code ?? event.context?.http?.status_code;
  if (typeof status === 'number') return status >= 500 ? 'failure' : 'success';
  return 'unknown';
}

export function mapTransaction(tx: Json, meta: RequestMetadata, requestTimeUs: number, raw: string | null = null): TransactionRow {
  const { service, environment, doc } = serviceOf(tx, meta);
  const timestampUs = typeof tx.timestamp === 'number' ? tx.timestamp : requestTimeUs;
  return {
    id: tx.id,
    traceId: tx.trace_id,
    parentId: tx.parent_id ?? null,
    service,
    environment,
    name: tx.name ?? '',
    type: tx.type,
    result: tx.result ?? null,
    outcome: outcomeOf(tx),
    timestampUs,
    durationMs: tx.duration,
    sampled: tx.sampled !== false,
    doc: docOf(tx, timestampUs, doc, meta, raw),
  };
}

export function mapSpan(span: Json, meta: RequestMetadata, requestTimeUs: number, raw: string | null = null): SpanRow {
  const { service, environment, doc } = serviceOf(span, meta);
  // As APM Server does: a span with only `start` (ms) is placed relative to the request.
  const timestampUs =
    typeof span.timestamp === 'number' ? span.timestamp : requestTimeUs + Math.round((span.start ?? 0) * 1000);
  return {
    id: span.id,
    traceId: span.trace_id,
    transactionId: span.transaction_id ?? null,
    parentId: span.parent_id ?? null,
    service,
    environment,
    name: span.name,
    type: span.type,
    subtype: span.subtype ?? null,
    action: span.action ?? null,
    outcome: outcomeOf(span),
    timestampUs,
    durationMs: span.duration,
    doc: docOf(span, timestampUs, doc, meta, raw),
  };
}

/** The frame the error is blamed on: the first that is the application's own code. */
function culpritOf(error: Json): string {
  if (typeof error.culprit === 'string' && error.culprit !== '') return error.culprit;
  const frames: Json[] = error.exception?.stacktrace ?? error.log?.stacktrace ?? [];
  const frame = frames.find((f) => f && f.library_frame !== true) ?? frames[0];
  if (frame === undefined) return '';
  const where = frame.filename ?? frame.classname ?? '';
  return frame.function ? `${frame.function} (${where})` : where;
}

export function mapError(error: Json, meta: RequestMetadata, requestTimeUs: number): ErrorRow {
  const { service, environment, doc } = serviceOf(error, meta);
  const timestampUs = typeof error.timestamp === 'number' ? error.timestamp : requestTimeUs;
  const exception = isObject(error.exception) ? error.exception : null;
  const exceptionType = exception?.type ?? (exception !== null ? 'Error' : 'log');
  const message = exception?.message ?? error.log?.message ?? '';
  const culprit = culpritOf(error);
  return {
    id: error.id,
    traceId: error.trace_id ?? null,
    transactionId: error.transaction_id ?? null,
    parentId: error.parent_id ?? null,
    service,
    environment,
    fingerprint: errorFingerprint(service, exceptionType, culprit, message),
    exceptionType,
    message,
    culprit,
    handled: typeof exception?.handled === 'boolean' ? exception.handled : null,
    timestampUs,
    doc: docOf({ ...error, culprit }, timestampUs, doc, meta, null),
  };
}

export function mapMetricset(metricset: Json, meta: RequestMetadata, requestTimeUs: number): MetricRow[] {
  const { service, environment } = serviceOf(metricset, meta);
  const timestampUs = typeof metricset.timestamp === 'number' ? metricset.timestamp : requestTimeUs;
  const labels: Json = { ...(meta.labels ?? {}), ...(metricset.tags ?? {}) };
  if (metricset.transaction?.name) labels['transaction.name'] = metricset.transaction.name;
  if (metricset.transaction?.type) labels['transaction.type'] = metricset.transaction.type;
  if (metricset.span?.type) labels['span.type'] = metricset.span.type;
  if (metricset.span?.subtype) labels['span.subtype'] = metricset.span.subtype;
  const labelsJson = JSON.stringify(labels);
  const rows: MetricRow[] = [];
  for (const [name, sample] of Object.entries(metricset.samples as Json)) {
    if (!isObject(sample)) continue;
    rows.push({
      service,
      environment,
      name,
      value: typeof sample.value === 'number' ? sample.value : null,
      labels: labelsJson,
      timestampUs,
      doc: JSON.stringify(sample),
    });
  }
  return rows;
}

export function mapLog(log: Json, meta: RequestMetadata, requestTimeUs: number): LogRow {
  const { service, environment, doc } = serviceOf(log, meta);
  const stamp = log['@timestamp'];
  const timestampUs = typeof stamp === 'number' ? stamp : requestTimeUs;
  return {
    service,
    environment,
    level: log['log.level'] ?? log.log?.level ?? null,
    message: typeof log.message === 'string' ? log.message : '',
    traceId: log['trace.id'] ?? log.trace?.id ?? null,
    timestampUs,
    doc: docOf(log, timestampUs, doc, meta, null),
  };
}
