// Tables whose sortable headers are buttons, with aria-sort telling screen readers the order.
import { h } from './h.js';

/** Sort choices survive auto-refresh and navigation within the session. */
const remembered = new Map();

/**
 * @typedef {{ key: string, label: string, render: (row: any) => any, sort?: (row: any) => number | string, numeric?: boolean, className?: string }} Column
 * @param {{ id: string, caption?: string, columns: Column[], rows: any[], sortKey?: string, sortDir?: 'asc' | 'desc', empty?: string }} options
 */
export function sortableTable({ id, caption, columns, rows, sortKey, sortDir = 'desc', empty = 'Nothing in this range.' }) {
  const state = remembered.get(id) ?? { key: sortKey, dir: sortDir };
  const tbody = h('tbody');
  const headRow = h('tr');

  const draw = () => {
    const column = columns.find((c) => c.key === state.key && c.sort);
    const sorted = rows.slice();
    if (column) {
      const factor = state.dir === 'asc' ? 1 : -1;
      sorted.sort((a, b) => {
        const va = column.sort(a);
        const vb = column.sort(b);
        if (typeof va === 'string' || typeof vb === 'string') return String(va).localeCompare(String(vb)) * factor;
        return ((va ?? -Infinity) - (vb ?? -Infinity)) * factor;
      });
    }
    tbody.textContent = '';
    if (sorted.length === 0) {
      tbody.append(h('tr', null, h('td', { colspan: columns.length, class: 'empty' }, empty)));
    }
    for (const row of sorted) {
      tbody.append(h('tr', null, columns.map((c) => h('td', { class: [c.numeric ? 'num' : '', c.className ?? ''].join(' ').trim() || null }, c.render(row)))));
    }
    headRow.textContent = '';
    for (const c of columns) {
      const active = c.key === state.key;
      const ariaSort = active ? (state.dir === 'asc' ? 'ascending' : 'descending') : c.sort ? 'none' : null;
      const content = c.sort
        ? h('button', {
            type: 'button',
            class: 'sort',
            on: {
              click: () => {
                if (state.key === c.key) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
                else {
                  state.key = c.key;
                  state.dir = typeof c.sort(rows[0] ?? {}) === 'string' ? 'asc' : 'desc';
                }
                remembered.set(id, { ...state });
                draw();
                headRow.querySelector(`[data-key="${c.key}"] button`)?.focus();
              },
            },
          }, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (state.dir === 'asc' ? ' ▲' : ' ▼') : ''))
        : c.label;
      headRow.append(h('th', { scope: 'col', class: c.numeric ? 'num' : null, 'aria-sort': ariaSort, dataset: { key: c.key } }, content));
    }
  };
  draw();
  return h('table', { class: 'table', id }, caption ? h('caption', null, caption) : null, h('thead', null, headRow), tbody);
}
