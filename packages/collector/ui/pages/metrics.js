// Runtime and custom metrics of one service, one chart per metric, one line per label set.
import { anomalyMarkers, fetchAnomalies } from '../lib/anomalies.js';
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

function servicePicker(names, current) {
  return h('label', { class: 'inline-field' }, 'Service ',
    h('select', {
      id: 'metrics-service',
      on: { change: (e) => (location.hash = link(['metrics', /** @type {HTMLSelectElement} */ (e.target).value])) },
    }, current ? null : h('option', { value: '' }, 'Choose…'), names.map((n) => h('option', { value: n, selected: n === current }, n))));
}

export async function render(ctx) {
  const service = ctx.params.service;
  const services = await ctx.api(`/services?${ctx.range.params}&limit=1000`);
  const names = services.items.map((s) => s.name).sort();
  if (!service) {
    if (names.length > 0) {
      location.replace(link(['metrics', names[0]]));
      return h('p', { class: 'loading' }, 'Loading…');
    }
    return h('div', { class: 'page' }, pageHeader({ title: 'Metrics' }), card('No data', empty('No service has reported in this range.')));
  }
  if (!names.includes(service)) names.push(service);

  const items = [];
  for (let offset = 0, pages = 0; pages < MAX_PAGES; pages++, offset += PAGE) {
    const body = await ctx.api(`/metrics?service=${encodeURIComponent(service)}&${ctx.range.params}&limit=${PAGE}&offset=${offset}`);
    items.push(...body.items);
    if (body.page.nextOffset === null) break;
  }
  const anomalies = await fetchAnomalies(ctx, service);
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
    const markers = anomalyMarkers(anomalies, (a) => (a.metric ?? a.name) === name);
    return lineChart({ title: name, series, fromMs: ctx.range.fromMs, toMs: ctx.range.toMs, ...(format ? { format } : {}), markers });
  });
  return h('div', { class: 'page' },
    pageHeader({
      title: `Metrics`,
      crumbs: [['Services', link(['services'])], [service, link(['services', service])]],
      sub: service,
      actions: servicePicker(names.sort(), service),
    }),
    charts.length === 0 ? card('No metrics', empty('This service sent no metrics in this range.')) : h('div', { class: 'charts' }, charts),
  );
}
