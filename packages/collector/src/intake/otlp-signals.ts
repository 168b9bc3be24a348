import { emptyBatch } from '../model/event.js';
import { anyValue, attributes, list, nanosToUs, otlpId, readResource } from './otlp-common.js';
import type { OtlpMapResult } from './otlp-traces.js';

type Json = Record<string, any>;

const SEVERITY = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** Gauges and sums become metric points; histograms keep their buckets in doc with a null value. */
export function mapOtlpMetrics(body: Json): OtlpMapResult {
  const batch = emptyBatch();
  let rejected = 0;
  let firstProblem: string | null = null;
  for (const resourceMetrics of Array.isArray(body.resourceMetrics) ? body.resourceMetrics : []) {
    const resource = readResource(resourceMetrics?.resource);
    for (const scopeMetrics of list(resourceMetrics?.scopeMetrics)) {
      for (const metric of list(scopeMetrics?.metrics)) {
        const kind = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'].find((k) => metric?.[k] !== undefined);
        for (const point of kind === undefined ? [] : list(metric[kind]?.dataPoints)) {
          const timestampUs = nanosToUs(point?.timeUnixNano);
          if (typeof metric.name !== 'string' || timestampUs === null) {
            rejected += 1;
            firstProblem ??= `metric ${JSON.stringify(metric?.name ?? null)}: name and timeUnixNano are required`;
            continue;
          }
          const scalar = point.asDouble !== undefined ? Number(point.asDouble) : point.asInt !== undefined ? Number(point.asInt) : null;
          const { attributes: _attrs, ...rest } = point;
          batch.metrics.push({
            service: resource.service,
            environment: resource.environment,
            name: metric.name,
            value: kind === 'gauge' || kind === 'sum' ? scalar : null,
            labels: JSON.stringify(attributes(point.attributes)),
            timestampUs,
            doc: JSON.stringify({ type: kind, unit: metric.unit, ...rest }),
          });
        }
      }
    }
  }
  return { batch, rejected, firstProblem };
}

/** Log records (and events, which are log records with an eventName) become logs. */
export function mapOtlpLogs(body: Json): OtlpMapResult {
  const batch = emptyBatch();
  for (const resourceLogs of Array.isArray(body.resourceLogs) ? body.resourceLogs : []) {
    const resource = readResource(resourceLogs?.resource);
    for (const scopeLogs of list(resourceLogs?.scopeLogs)) {
      for (const record of list(scopeLogs?.logRecords)) {
        const timestampUs = nanosToUs(record?.timeUnixNano) ?? nanosToUs(record?.observedTimeUnixNano) ?? Date.now() * 1000;
        const bodyValue = anyValue(record?.body);
        const severity = typeof record?.severityNumber === 'number' ? SEVERITY[Math.floor((record.severityNumber - 1) / 4)] : undefined;
        const level = typeof record?.severityText === 'string' && record.severityText !== '' ? record.severityText : (severity ?? null);
        const traceId = otlpId(record?.traceId, 16);
        const doc = {
          '@timestamp': timestampUs, message: bodyValue, 'log.level': level, 'trace.id': traceId, 'span.id': otlpId(record?.spanId, 8),
          'event.name': record?.eventName ?? null, labels: attributes(record?.attributes), service: resource.serviceDoc,
        };
        batch.logs.push({
          service: resource.service, environment: resource.environment, level,
          message: typeof bodyValue === 'string' ? bodyValue : JSON.stringify(bodyValue ?? record?.eventName ?? ''),
          traceId, timestampUs, doc: JSON.stringify(doc),
        });
      }
    }
  }
  return { batch, rejected: 0, firstProblem: null };
}
