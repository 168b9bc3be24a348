// Runtime and custom metrics of one service, one chart per metric, one line per label set.
import { anomalyMarkers, fetchAnomalies, isMetricSeries } from '../lib/anomalies.js';
import { lineChart } from '../lib/charts.js';
import { h } from '../lib/h.js';
import { card, empty, pageHeader } from '../lib/parts.js';
import { link } from '../lib/state.js';

export const section = 'metrics';
export const live = true;
export const title = (params) => (params.service ? `Metrics · ${params.service}` : 'Metrics');

const MAX_SERIES = 6;
const PAGE = 10_000;
const MAX_PAGES = 5;

function labelKey(labels) {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'value' : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

const isPercent = (name) => /\.pct$|percent|ratio$/.test(name);

/** The picker shows the current service at once and the others when their list arrives. */
function servicePicker(names, current) {
  const select = h('select', {
    id: 'metrics-service',
    on: { change: (e) => (location.hash = link(['metrics', /** @type {HTMLSelectElement} */ (e.target).value])) },
  }, h('option', { value: current, selected: true }, current));
  names.then((list) => {
    for (const name of list) if (name !== current) select.append(h('option', { value: name }, name));
  }, () => {});
  return h('label', { class: 'inline-field' }, 'Service ', select);
}

/** About 120 points over the range, at a round interval; the collector averages the samples in each. */
export function metricInterval(spanMs) {
  const choices = ['10s', 10_000, '30s', 30_000, '1m', 60_000, '5m', 300_000, '10m', 600_000, '30m', 1_800_000, '1h', 3_600_000, '3h', 10_800_000];
  for (let i = 0; i < choices.length; i += 2) if (spanMs / /** @type {number} */ (choices[i + 1]) <= 120) return choices[i];
  return '6h';
}

export async function render(ctx) {
  const service = ctx.params.service;
  // The list of services only fills the picker (or picks a service), so nothing else waits for it.
  const services = ctx.api(`/services?${ctx.range.params}&limit=1000`).then((body) => body.items.map((s) => s.name).sort());
  if (!service) {
    const names = await services;
    if (names.length > 0) {
      location.replace(link(['metrics', names[0]]));
      return h('p', { class: 'loading' }, 'Loading…');
    }
    return h('div', { class: 'page' }, pageHeader({ title: 'Metrics' }), card('No data', empty('No service has reported in this range.')));
  }
  services.catch(() => {});
  const interval = metricInterval(ctx.range.spanMs);
  // Only metric series' records (collector --anomaly-metrics), so transaction ones do not crowd them out.
  const anomaliesLater = fetchAnomalies(ctx, service, 'kind=metric&limit=1000');
  const items = [];
  for (let offset = 0, pages = 0; pages < MAX_PAGES; pages++, offset += PAGE) {
    const body = await ctx.api(`/metrics?service=${encodeURIComponent(service)}&${ctx.range.params}&interval=${interval}&limit=${PAGE}&offset=${offset}`);
    items.push(...body.items);
    if (body.page.nextOffset === null) break;
  }
  const anomalies = await anomaliesLater;
  /** @type {Map<string, Map<string, Array<[number, number]>>>} */
  const byName = new Map();
  for (const item of items) {
    if (item.value === null || !Number.isFinite(item.value)) continue; // histograms have no single value
    let series = byName.get(item.name);
    if (!series) byName.set(item.name, (series = new Map()));
    const key = labelKey(item.labels);
    let points = series.get(key);
    if (!points) series.set(key, (points = []));
    points.push([item.timestampMs, item.value]);
  }
  const charts = [...byName.keys()].sort().map((name) => {
    const series = [...byName.get(name)].slice(0, MAX_SERIES).map(([label, points]) => ({ label, points, area: byName.get(name).size === 1 }));
    const format = isPercent(name) ? (v) => `${(v * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })} %` : undefined;
    const markers = anomalyMarkers(anomalies, (a) => isMetricSeries(a) && (a.metric ?? a.name) === name);
    return lineChart({ title: name, series, fromMs: ctx.range.fromMs, toMs: ctx.range.toMs, ...(format ? { format } : {}), markers });
  });
  return h('div', { class: 'page' },
    pageHeader({
      title: `Metrics`,
      crumbs: [['Services', link(['services'])], [service, link(['services', service])]],
      sub: service,
      actions: servicePicker(services, service),
    }),
    charts.length === 0 ? card('No metrics', empty('This service sent no metrics in this range.')) : h('div', { class: 'charts' }, charts),
  );
}
