// A transaction group: its charts, its latency histogram, and sample traces per bucket.
import { fetchAnomalies } from '../lib/anomalies.js';
import { fetchDistribution, fetchGroups, fetchSamples, fetchTimeseries } from '../lib/aggregate.js';
import { histogram } from '../lib/charts.js';
import { count, ms, pct, time, tpm } from '../lib/format.js';
import { h, replaceChildren } from '../lib/h.js';
import { badge, card, empty, later, outcomeBadge, pageHeader, tiles } from '../lib/parts.js';
import { link } from '../lib/state.js';
import { rangeCharts } from './service.js';

export const section = 'services';
export const live = true;
export const title = (params) => `${params.name} · ${params.service}`;

/** The bucket's own sample first, then the most recent others of this group in it. */
async function samplesFor(ctx, service, name, bucket) {
  const inBucket = await fetchSamples(ctx, service, name, bucket.fromMs, bucket.toMs, 20);
  const sample = inBucket.find((t) => t.traceId === bucket.sampleTraceId);
  const list = sample ? [sample, ...inBucket.filter((t) => t !== sample)] : inBucket;
  return { list, sampleOnly: list.length === 0 ? bucket.sampleTraceId : null };
}

function samplesView(ctx, service, name, bucket) {
  const holder = h('div', { class: 'samples', id: 'samples' }, h('p', { class: 'loading' }, 'Loading sample traces…'));
  samplesFor(ctx, service, name, bucket).then(({ list, sampleOnly }) => {
    const heading = h('h3', null, `Sample traces ${ms(bucket.fromMs)} – ${ms(bucket.toMs)} (${count(bucket.count)} in this bucket)`);
    if (sampleOnly) {
      replaceChildren(holder, heading, h('ul', { class: 'sample-list' }, h('li', null, h('a', { href: link(['traces', sampleOnly]) }, `Trace ${sampleOnly}`))));
      return;
    }
    replaceChildren(holder, heading, h('ul', { class: 'sample-list' }, list.map((t) => h('li', null,
      h('a', { href: link(['traces', t.traceId]) }, `${t.name} — ${ms(t.durationMs)}`),
      ' ', outcomeBadge(t.outcome), ' ', t.result ? badge(t.result) : null,
      h('span', { class: 'muted' }, ` at ${time(t.timestampMs)}`)))));
  }).catch((error) => {
    if (!ctx.signal.aborted) replaceChildren(holder, h('p', { class: 'failure' }, `Could not load samples: ${error.message}`));
  });
  return holder;
}

export async function render(ctx) {
  const { service, name } = ctx.params;
  // The distribution first: it is what this page is for; the rest fills in as it arrives.
  const charts = Promise.all([fetchTimeseries(ctx, service, name), fetchAnomalies(ctx, service)]);
  const [groups, buckets] = await Promise.all([fetchGroups(ctx, service), fetchDistribution(ctx, service, name)]);
  const group = groups.find((g) => g.name === name);
  const own = (anomalies) => anomalies.filter((a) => a.transaction === undefined || a.transaction === name);

  const detail = h('div', { class: 'bucket-detail' }, h('p', { class: 'muted' }, 'Choose a bar to list sample traces from it.'));
  const histHolder = h('div');
  const select = (index) => {
    replaceChildren(histHolder, histogram({ buckets, format: ms, selected: index, onSelect: select }));
    replaceChildren(detail, samplesView(ctx, service, name, buckets[index]));
    histHolder.querySelector(`.bar[data-index="${index}"]`)?.focus();
  };
  replaceChildren(histHolder, histogram({ buckets, format: ms, onSelect: select }));

  return h('div', { class: 'page' },
    pageHeader({
      title: name,
      crumbs: [['Services', link(['services'])], [service, link(['services', service])]],
      sub: group ? `${group.type} · ${service}` : 'no transactions of this name in the range',
      actions: group ? h('a', { class: 'button', href: link(['traces', group.sampleTraceId]) }, 'View a sample trace') : null,
    }),
    group
      ? tiles([
          ['Throughput', tpm(group.throughputPerMin)],
          ['Error rate', pct(group.errorRate), group.errorRate > 0 ? 'bad' : ''],
          ['p50', ms(group.p50Ms)],
          ['p95', ms(group.p95Ms)],
          ['p99', ms(group.p99Ms)],
          ['Count', count(group.count)],
        ])
      : null,
    card('Latency distribution', buckets.length === 0 ? empty('No transactions in this range.') : [histHolder, detail]),
    later(charts, ([points, anomalies]) => rangeCharts(ctx, points, own(anomalies)), 'Loading charts…'),
  );
}
