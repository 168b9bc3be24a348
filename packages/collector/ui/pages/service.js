// One service: service-wide charts and its transaction groups.
import { anomalyKind, anomalyList, anomalyMarkers, fetchAnomalies } from '../lib/anomalies.js';
import { fetchGroups, fetchServiceTimeseries } from '../lib/aggregate.js';
import { lineChart } from '../lib/charts.js';
import { count, ms, pct, tpm } from '../lib/format.js';
import { h } from '../lib/h.js';
import { card, empty, impactBar, later, pageHeader, tiles } from '../lib/parts.js';
import { link } from '../lib/state.js';
import { sortableTable } from '../lib/table.js';

export const section = 'services';
export const live = true;
export const title = (params) => params.service;

/** Throughput, latency and error-rate charts for a series of points. */
export function rangeCharts(ctx, points, anomalies) {
  const at = (key) => points.map((p) => [p.timestampMs, p[key] ?? null]);
  const { fromMs, toMs } = ctx.range;
  const marks = (kind) => anomalyMarkers(anomalies, (a) => anomalyKind(a) === kind || anomalyKind(a) === 'other');
  const latency = [];
  if (points.some((p) => 'p50Ms' in p)) latency.push({ label: 'p50', points: at('p50Ms') });
  latency.push({ label: 'avg', points: at('avgMs') });
  latency.push({ label: 'p95', points: at('p95Ms') });
  if (points.some((p) => 'p99Ms' in p)) latency.push({ label: 'p99', points: at('p99Ms') });
  return h('div', { class: 'charts' },
    lineChart({ title: 'Throughput (per minute)', series: [{ label: 'transactions / min', points: at('throughputPerMin'), area: true }], fromMs, toMs, markers: marks('throughput') }),
    lineChart({ title: 'Latency', series: latency, fromMs, toMs, format: ms, markers: marks('latency') }),
    lineChart({
      title: 'Error rate',
      series: [{ label: 'failed transactions', points: points.map((p) => [p.timestampMs, p.count === 0 ? null : p.errorRate]), area: true }],
      fromMs, toMs, format: pct, yMax: Math.max(0.01, ...points.map((p) => (p.count === 0 ? 0 : p.errorRate ?? 0))) > 0.5 ? 1 : undefined,
      markers: marks('errors'),
    }),
  );
}

export async function render(ctx) {
  const service = ctx.params.service;
  // The charts' one call starts with the others; the page shows once the groups are in.
  const points = fetchServiceTimeseries(ctx, service);
  points.catch(() => {});
  const [groups, services, anomalies] = await Promise.all([
    fetchGroups(ctx, service),
    // This service's summary alone: the whole list would read every service's rollups.
    ctx.api(`/services?${ctx.range.params}&service=${encodeURIComponent(service)}`),
    fetchAnomalies(ctx, service),
  ]);
  const summary = services.items.find((s) => s.name === service);
  const totalMs = groups.reduce((sum, g) => sum + g.count * g.avgMs, 0) || 1;
  const rows = groups.map((g) => ({ ...g, impact: (g.count * g.avgMs) / totalMs }));
  const table = sortableTable({
    id: 'transactions-table',
    caption: 'Transaction groups',
    sortKey: 'impact',
    columns: [
      { key: 'name', label: 'Name', sort: (r) => r.name, render: (r) => h('a', { href: link(['services', service, 'transactions', r.name]), class: 'strong' }, r.name) },
      { key: 'type', label: 'Type', render: (r) => r.type },
      { key: 'impact', label: 'Impact', sort: (r) => r.impact, render: (r) => impactBar(r.impact) },
      { key: 'p50', label: 'p50', numeric: true, sort: (r) => r.p50Ms, render: (r) => ms(r.p50Ms) },
      { key: 'p95', label: 'p95', numeric: true, sort: (r) => r.p95Ms, render: (r) => ms(r.p95Ms) },
      { key: 'p99', label: 'p99', numeric: true, sort: (r) => r.p99Ms, render: (r) => ms(r.p99Ms) },
      { key: 'throughput', label: 'Throughput', numeric: true, sort: (r) => r.throughputPerMin, render: (r) => tpm(r.throughputPerMin) },
      { key: 'errorRate', label: 'Error rate', numeric: true, sort: (r) => r.errorRate, render: (r) => h('span', { class: r.errorRate > 0 ? 'bad-text' : null }, pct(r.errorRate)) },
      { key: 'count', label: 'Count', numeric: true, sort: (r) => r.count, render: (r) => count(r.count) },
    ],
    rows,
  });
  const transactions = summary?.transactionCount ?? 0;
  const throughput = summary?.throughputPerMin ?? 0;
  const errorRate = transactions === 0 ? null : summary.errorRate;
  return h('div', { class: 'page' },
    pageHeader({
      title: service,
      crumbs: [['Services', link(['services'])]],
      sub: summary ? summary.environments.join(', ') : 'no transactions in this range',
      actions: h('div', { class: 'actions' },
        h('a', { href: link(['errors'], { service }), class: 'button' }, `Errors (${count(summary?.errorCount ?? 0)})`),
        h('a', { href: link(['metrics', service]), class: 'button' }, 'Metrics')),
    }),
    tiles([
      ['Throughput', tpm(throughput)],
      ['Error rate', pct(errorRate), errorRate > 0 ? 'bad' : ''],
      ['p95 latency', ms(summary?.p95Ms ?? null)],
      ['Transactions', count(transactions)],
    ]),
    groups.length > 0 ? later(points, (value) => rangeCharts(ctx, value, anomalies), 'Loading charts…') : null,
    card('Transaction groups', groups.length === 0 ? empty('No transactions in this range.') : h('div', { class: 'flush' }, table)),
    anomalies.length > 0
      ? card(`Anomalies (${count(anomalies.length)})`, h('div', { class: 'flush' }, anomalyList(anomalies, (name) => link(['services', service, 'transactions', name]))))
      : null,
  );
}
