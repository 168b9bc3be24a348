// Anomaly records (GET /api/v1/anomalies, score 0–100, typical vs actual) as chart markers.
// A collector without anomaly detection answers 404, and the charts simply carry no marks.
import { ms, num, pct, time, tpm } from './format.js';
import { h } from './h.js';
import { link } from './state.js';

let unsupported = false;

/**
 * @param {string} [extra] more query parameters, e.g. 'kind=metric&limit=1000'
 * @returns {Promise<any[]>}
 */
export async function fetchAnomalies(ctx, service, extra = '') {
  if (unsupported) return [];
  try {
    const body = await ctx.api(`/anomalies?service=${encodeURIComponent(service)}&${ctx.range.params}${extra ? `&${extra}` : ''}`, { allow404: true });
    // Asked once per page load: a collector without the endpoint is not asked again.
    if (body === null) unsupported = true;
    return Array.isArray(body?.items) ? body.items : [];
  } catch (error) {
    if (error?.name === 'AuthRequiredError') throw error;
    return [];
  }
}

/** A metric series' record (collector --anomaly-metrics), not a transaction group's. */
export const isMetricSeries = (a) => a?.series?.kind === 'metric';

/** "host=a, pid=1" for a metric series' label set ('' without labels). */
export const labelsText = (labels) => Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ');

const timeOf = (a) => a.timestampMs ?? (typeof a.timestamp === 'number' ? a.timestamp : Date.parse(a.timestamp ?? a.time ?? ''));

/**
 * Markers for one chart; `matches` says which anomalies belong on it (by metric or kind).
 * @param {any[]} anomalies
 * @param {(a: any) => boolean} matches
 */
export function anomalyMarkers(anomalies, matches) {
  return anomalies.filter(matches).map((a) => {
    const labels = isMetricSeries(a) ? labelsText(a.series.labels) : '';
    const what = `${a.metric ?? a.name ?? a.kind ?? 'anomaly'}${labels ? ` {${labels}}` : ''}`;
    const detail = a.actual !== undefined ? ` — actual ${num(a.actual)}, typical ${num(a.typical)}` : '';
    return { x: timeOf(a), label: `${what} at ${time(timeOf(a))}: score ${Math.round(a.score ?? 0)}${detail}` };
  }).filter((m) => Number.isFinite(m.x));
}

/** Which chart an anomaly belongs on: throughput, latency or error rate, by its kind or metric; a metric series' on the metrics page. */
export function anomalyKind(a) {
  if (isMetricSeries(a)) return 'metric';
  const text = String(a.kind ?? a.metric ?? a.name ?? '').toLowerCase();
  if (/throughput|tpm|count|rate_per/.test(text)) return 'throughput';
  if (/error|failure/.test(text)) return 'errors';
  if (/latency|duration|p95|p99|ms/.test(text)) return 'latency';
  return 'other';
}

/** A metric's value as read on its chart: ms, transactions a minute, a rate, or as is (a metric series). */
export function anomalyValue(metric, value, metricSeries = false) {
  if (typeof value !== 'number') return '–';
  if (metricSeries) return num(value);
  if (metric === 'throughput') return tpm(value);
  if (metric === 'error_rate') return pct(value);
  return ms(value);
}

/** "db 1.2 ms → 9.8 ms (95%)" for each span type behind a latency anomaly. */
export function explanationText(explanation) {
  if (!Array.isArray(explanation) || explanation.length === 0) return '';
  return explanation.map((c) => `${c.spanType} ${ms(c.typicalMs)} → ${ms(c.actualMs)} (${Math.round((c.share ?? 0) * 100)}%)`).join(', ');
}

/**
 * The anomalies of a service as a list, newest first, each linked to its transaction group
 * (a metric series' to the service's metrics page).
 * @param {any[]} anomalies
 * @param {(name: string) => string} hrefOf
 */
export function anomalyList(anomalies, hrefOf) {
  const rows = anomalies.filter((a) => a.series !== undefined).slice(0, 50);
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No anomalies in this range.');
  return h('table', { class: 'table', id: 'anomalies-table' },
    h('thead', null, h('tr', null, ['Score', 'When', 'Transaction', 'Metric', 'Typical → actual', 'Explanation'].map((label) => h('th', null, label)))),
    h('tbody', null, rows.map((a) => h('tr', null,
      h('td', { class: a.score >= 75 ? 'bad-text strong' : 'strong' }, String(Math.round(a.score))),
      h('td', null, time(timeOf(a))),
      isMetricSeries(a)
        ? h('td', { class: 'muted' }, h('a', { href: link(['metrics', a.series.service]) }, 'metrics'), labelsText(a.series.labels) ? ` · ${labelsText(a.series.labels)}` : '')
        : h('td', null, h('a', { href: hrefOf(a.series.transactionName) }, a.series.transactionName)),
      h('td', null, a.series.metric),
      h('td', null, `${anomalyValue(a.series.metric, a.typical, isMetricSeries(a))} → ${anomalyValue(a.series.metric, a.actual, isMetricSeries(a))}`),
      h('td', null, explanationText(a.explanation))))));
}
