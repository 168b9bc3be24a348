// Error groups: what failed, how often and when over the range, where, and since when.
import { sparkline } from '../lib/charts.js';
import { ago, count, isoTime, time } from '../lib/format.js';
import { h } from '../lib/h.js';
import { badge, card, empty, pageHeader, serviceBadge } from '../lib/parts.js';
import { link } from '../lib/state.js';
import { sortableTable } from '../lib/table.js';

export const section = 'errors';
export const live = true;
export const title = () => 'Errors';

export async function render(ctx) {
  const service = ctx.query.get('service') ?? '';
  // Each group's occurrences per interval come with the list, for its sparkline.
  const groups = await ctx.api(`/errors?${ctx.range.params}&limit=1000&countsOverTime=true${service ? `&service=${encodeURIComponent(service)}` : ''}`);
  const select = h('select', {
    id: 'error-service',
    on: { change: (e) => (location.hash = link(['errors'], { service: /** @type {HTMLSelectElement} */ (e.target).value || null })) },
  }, h('option', { value: '' }, 'All services'), service ? h('option', { value: service, selected: true }, service) : null);
  // The list of services only fills the filter, so the table does not wait for it.
  ctx.api(`/services?${ctx.range.params}&limit=1000`).then((services) => {
    for (const name of services.items.map((s) => s.name).sort()) {
      if (name !== service) select.append(h('option', { value: name }, name));
    }
  }, () => {});
  const filter = h('label', { class: 'inline-field' }, 'Service ', select);
  const max = Math.max(1, ...groups.items.map((g) => g.count));
  const table = sortableTable({
    id: 'errors-table',
    caption: 'Error groups',
    sortKey: 'lastSeen',
    columns: [
      {
        key: 'error', label: 'Error', sort: (g) => `${g.type}: ${g.message}`,
        render: (g) => h('div', { class: 'error-cell' },
          h('a', { href: link(['errors', g.groupId]), class: 'strong' }, h('span', { class: 'ex-type' }, g.type), ': ', h('span', { class: 'ex-message' }, g.message)),
          g.culprit ? h('div', { class: 'muted mono' }, g.culprit) : null),
      },
      { key: 'service', label: 'Service', sort: (g) => g.service, render: (g) => serviceBadge(g.service) },
      { key: 'handled', label: 'Handled', render: (g) => (g.handled === false ? badge('unhandled', 'bad') : g.handled ? badge('handled') : null) },
      {
        key: 'count', label: 'Occurrences', numeric: true, sort: (g) => g.count,
        render: (g) => h('span', { class: 'count-bar' }, h('span', { class: 'impact' }, h('span', { class: 'impact-fill bad', style: { width: `${(g.count / max) * 100}%` } })), count(g.count)),
      },
      {
        key: 'trend', label: 'Over time',
        render: (g) => h('span', { class: 'trend' }, sparkline(g.countsOverTime ?? [], `occurrences over time of ${g.type}: ${count(g.count)} in the range`)),
      },
      { key: 'firstSeen', label: 'First seen', sort: (g) => g.firstSeenMs, render: (g) => h('time', { datetime: isoTime(g.firstSeenMs), title: isoTime(g.firstSeenMs) }, time(g.firstSeenMs)) },
      { key: 'lastSeen', label: 'Last seen', sort: (g) => g.lastSeenMs, render: (g) => h('time', { datetime: isoTime(g.lastSeenMs), title: isoTime(g.lastSeenMs) }, ago(g.lastSeenMs)) },
    ],
    rows: groups.items,
  });
  return h('div', { class: 'page' },
    pageHeader({ title: 'Errors', sub: `${groups.items.length} error group${groups.items.length === 1 ? '' : 's'}${service ? ` in ${service}` : ''}`, actions: filter }),
    groups.items.length === 0 ? card('No errors', empty('No errors in this range.')) : h('div', { class: 'card flush' }, table),
  );
}
