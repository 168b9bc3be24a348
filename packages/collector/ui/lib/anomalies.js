// Anomaly records (GET /api/v1/anomalies, score 0–100, typical vs actual) as chart markers.
// A collector without anomaly detection answers 404, and the charts simply carry no marks.
import { num, time } from './format.js';

let unsupported = false;

/** @returns {Promise<any[]>} */
export async function fetchAnomalies(ctx, service) {
  if (unsupported) return [];
  try {
    const body = await ctx.api(`/anomalies?service=${encodeURIComponent(service)}&${ctx.range.params}`, { allow404: true });
    // Asked once per page load: a collector without the endpoint is not asked again.
    if (body === null) unsupported = true;
    return Array.isArray(body?.items) ? body.items : [];
  } catch (error) {
    if (error?.name === 'AuthRequiredError') throw error;
    return [];
  }
}

const timeOf = (a) => a.timestampMs ?? (typeof a.timestamp === 'number' ? a.timestamp : Date.parse(a.timestamp ?? a.time ?? ''));

/**
 * Markers for one chart; `matches` says which anomalies belong on it (by metric or kind).
 * @param {any[]} anomalies
 * @param {(a: any) => boolean} matches
 */
export function anomalyMarkers(anomalies, matches) {
  return anomalies.filter(matches).map((a) => {
    const what = a.metric ?? a.name ?? a.kind ?? 'anomaly';
    const detail = a.actual !== undefined ? ` — actual ${num(a.actual)}, typical ${num(a.typical)}` : '';
    return { x: timeOf(a), label: `${what} at ${time(timeOf(a))}: score ${Math.round(a.score ?? 0)}${detail}` };
  }).filter((m) => Number.isFinite(m.x));
}

/** Which chart an anomaly belongs on: throughput, latency or error rate, by its kind or metric. */
export function anomalyKind(a) {
  const text = String(a.kind ?? a.metric ?? a.name ?? '').toLowerCase();
  if (/throughput|tpm|count|rate_per/.test(text)) return 'throughput';
  if (/error|failure/.test(text)) return 'errors';
  if (/latency|duration|p95|p99|ms/.test(text)) return 'latency';
  return 'other';
}
