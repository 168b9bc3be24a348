// Every service seen in the range: throughput, error rate, p95 and a trend, last seen.
import { sparkline } from '../lib/charts.js';
import { ago, count, isoTime, ms, pct, tpm } from '../lib/format.js';
import { h } from '../lib/h.js';
import { badge, empty, pageHeader, card } from '../lib/parts.js';
import { link } from '../lib/state.js';
import { sortableTable } from '../lib/table.js';

export const section = 'services';
export const live = true;
export const title = () => 'Services';

/** The shortest rollup-aligned interval giving at most 60 points over the range. */
export function trendInterval(spanMs) {
  for (const [name, ms] of [['1m', 60_000], ['10m', 600_000], ['1h', 3_600_000], ['3h', 10_800_000], ['6h', 21_600_000]]) {
    if (spanMs / ms <= 60) return name;
  }
  return '1d';
}

export async function render(ctx) {
  // One call: throughput, error rate, p95 and each service's transactions over time for the
  // trend, in intervals the collector keeps rollups of (24 h: hourly), so the trend costs no extra read.
  const body = await ctx.api(`/services?${ctx.range.params}&limit=1000&countsOverTime=true&interval=${trendInterval(ctx.range.spanMs)}`);
  const minutes = ctx.range.spanMs / 60_000;
  const perMinute = 60_000 / (body.countsOverTime?.intervalMs ?? 60_000);
  const rows = body.items.map((s) => ({
    ...s,
    throughputPerMin: s.transactionCount / minutes,
    errorRate: s.transactionCount === 0 ? null : s.errorRate,
    p95Ms: s.p95Ms ?? null,
    trend: (s.countsOverTime ?? []).map((n) => n * perMinute),
  }));
  const table = sortableTable({
    id: 'services-table',
    caption: 'Services',
    sortKey: 'name',
    sortDir: 'asc',
    empty: 'No service has reported in this range. Point an agent at this collector, or pick a longer range.',
    columns: [
      { key: 'name', label: 'Service', sort: (r) => r.name, render: (r) => h('a', { href: link(['services', r.name]), class: 'strong' }, r.name) },
      { key: 'env', label: 'Environment', render: (r) => r.environments.map((e) => badge(e)) },
      { key: 'throughput', label: 'Throughput', numeric: true, sort: (r) => r.throughputPerMin, render: (r) => tpm(r.throughputPerMin) },
      { key: 'errorRate', label: 'Error rate', numeric: true, sort: (r) => r.errorRate, render: (r) => h('span', { class: r.errorRate > 0 ? 'bad-text' : null }, pct(r.errorRate)) },
      { key: 'p95', label: 'p95 latency', numeric: true, sort: (r) => r.p95Ms, render: (r) => ms(r.p95Ms) },
      { key: 'trend', label: 'Throughput trend', render: (r) => h('span', { class: 'trend' }, sparkline(r.trend, `throughput trend of ${r.name}`)) },
      { key: 'errors', label: 'Errors', numeric: true, sort: (r) => r.errorCount, render: (r) => (r.errorCount > 0 ? h('a', { href: link(['errors'], { service: r.name }) }, count(r.errorCount)) : '0') },
      { key: 'lastSeen', label: 'Last seen', sort: (r) => r.lastSeenMs, render: (r) => h('time', { datetime: isoTime(r.lastSeenMs), title: isoTime(r.lastSeenMs) }, ago(r.lastSeenMs)) },
    ],
    rows,
  });
  return h('div', { class: 'page' },
    pageHeader({ title: 'Services', sub: `${rows.length} service${rows.length === 1 ? '' : 's'} seen in the range` }),
    rows.length === 0 ? card('No data', empty('No service has reported in this range. Point an agent at this collector, or pick a longer range.')) : h('div', { class: 'card flush' }, table),
  );
}
