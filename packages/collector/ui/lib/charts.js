// Charts as inline SVG, drawn from plain arrays: line/area charts with a hover read-out,
// sparklines and a latency histogram whose bars are real buttons.
import { h, s } from './h.js';
import { axisTime, num, time } from './format.js';

const W = 480;
const H = 190;
const PAD = { left: 46, right: 10, top: 10, bottom: 24 };

/** A round upper bound for an axis: 1, 2, 2.5, 5 × 10^n. */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * exp >= value) return step * exp;
  return 10 * exp;
}

/**
 * @typedef {{ label: string, points: Array<[number, number | null]>, area?: boolean }} Series
 * @typedef {{ x: number, label: string }} Marker
 * @param {{ title: string, series: Series[], fromMs: number, toMs: number, format?: (v: number) => string, markers?: Marker[], yMax?: number }} options
 */
export function lineChart({ title, series, fromMs, toMs, format = num, markers = [], yMax }) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  let max = 0;
  for (const one of series) for (const [, y] of one.points) if (y !== null && y > max) max = y;
  const top = yMax ?? niceMax(max);
  const spanMs = Math.max(1, toMs - fromMs);
  const x = (t) => PAD.left + ((t - fromMs) / spanMs) * plotW;
  const y = (v) => PAD.top + plotH - (v / top) * plotH;

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': title });
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    svg.append(
      s('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'axis', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v)),
    );
  }
  for (let i = 0; i <= 4; i++) {
    const t = fromMs + (spanMs * i) / 4;
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    svg.append(s('text', { class: 'axis', x: x(t), y: H - 6, 'text-anchor': anchor }, axisTime(t, spanMs)));
  }
  series.forEach((one, index) => {
    // Empty intervals (null) break the line rather than drawing it down to zero.
    const runs = [];
    let run = [];
    for (const [t, v] of one.points) {
      if (v === null || !Number.isFinite(v)) {
        if (run.length > 0) runs.push(run);
        run = [];
      } else run.push([x(t), y(v)]);
    }
    if (run.length > 0) runs.push(run);
    for (const r of runs) {
      const d = r.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
      if (one.area) {
        const base = y(0).toFixed(1);
        svg.append(s('path', { class: `area c${index}`, d: `${d}L${r[r.length - 1][0].toFixed(1)},${base}L${r[0][0].toFixed(1)},${base}Z` }));
      }
      svg.append(s('path', { class: `line c${index}`, d }));
      if (r.length === 1) svg.append(s('circle', { class: `dot c${index}`, cx: r[0][0], cy: r[0][1], r: 2.5 }));
    }
  });
  for (const marker of markers) {
    if (marker.x < fromMs || marker.x > toMs) continue;
    svg.append(
      s('g', { class: 'marker' },
        s('title', null, marker.label),
        s('line', { x1: x(marker.x), x2: x(marker.x), y1: PAD.top, y2: PAD.top + plotH }),
        s('circle', { cx: x(marker.x), cy: PAD.top + 4, r: 4 }),
      ),
    );
  }

  const rule = s('line', { class: 'hover-rule', x1: 0, x2: 0, y1: PAD.top, y2: PAD.top + plotH, visibility: 'hidden' });
  svg.append(rule);
  const tip = h('div', { class: 'chart-tip', hidden: true });
  const overlay = s('rect', { class: 'overlay', x: PAD.left, y: PAD.top, width: plotW, height: plotH });
  const times = [...new Set(series.flatMap((one) => one.points.map(([t]) => t)))].sort((a, b) => a - b);
  overlay.addEventListener('mousemove', (event) => {
    if (times.length === 0) return;
    const box = svg.getBoundingClientRect();
    const t = fromMs + (((event.clientX - box.left) / box.width) * W - PAD.left) / plotW * spanMs;
    let nearest = times[0];
    for (const candidate of times) if (Math.abs(candidate - t) < Math.abs(nearest - t)) nearest = candidate;
    rule.setAttribute('x1', String(x(nearest)));
    rule.setAttribute('x2', String(x(nearest)));
    rule.setAttribute('visibility', 'visible');
    tip.textContent = '';
    tip.append(h('div', { class: 'tip-time' }, time(nearest)));
    series.forEach((one, index) => {
      const point = one.points.find(([pt]) => pt === nearest);
      tip.append(h('div', null, h('span', { class: `swatch c${index}` }), `${one.label}: `, h('b', null, point && point[1] !== null ? format(point[1]) : '–')));
    });
    tip.hidden = false;
    const leftPct = (x(nearest) / W) * 100;
    tip.style.setProperty('left', `${Math.min(leftPct, 70)}%`);
  });
  overlay.addEventListener('mouseleave', () => {
    rule.setAttribute('visibility', 'hidden');
    tip.hidden = true;
  });
  svg.append(overlay);

  const legend = h('ul', { class: 'legend' },
    series.map((one, index) => h('li', null, h('span', { class: `swatch c${index}` }), one.label)),
    markers.length > 0 ? h('li', null, h('span', { class: 'swatch marker-swatch' }), `${markers.length} anomal${markers.length === 1 ? 'y' : 'ies'}`) : null,
  );
  const empty = series.every((one) => one.points.every(([, v]) => v === null));
  return h('figure', { class: 'chart' },
    h('figcaption', null, title),
    legend,
    h('div', { class: 'chart-body' }, svg, tip, empty ? h('p', { class: 'chart-empty' }, 'No data in this range') : null),
  );
}

/** A small trend line for tables; values evenly spaced. */
export function sparkline(values, label = 'trend') {
  const w = 100;
  const hgt = 24;
  const svg = s('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'sparkline', role: 'img', 'aria-label': label, preserveAspectRatio: 'none' });
  if (values.length < 2) return svg;
  const max = Math.max(...values, 0) || 1;
  const pts = values.map((v, i) => [(i / (values.length - 1)) * w, hgt - 1 - (v / max) * (hgt - 2)]);
  const d = pts.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
  svg.append(s('path', { class: 'area c0', d: `${d}L${w},${hgt}L0,${hgt}Z` }), s('path', { class: 'line c0', d }));
  return svg;
}

/**
 * Latency histogram: one button per bucket, heights to scale, so a bucket can be chosen
 * with the mouse or the keyboard.
 * @param {{ buckets: Array<{ fromMs: number, toMs: number, count: number }>, format: (v: number) => string, selected?: number, onSelect: (index: number) => void }} options
 */
export function histogram({ buckets, format, selected = -1, onSelect }) {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const bars = buckets.map((bucket, index) => {
    const label = `${format(bucket.fromMs)} – ${format(bucket.toMs)}: ${bucket.count} transaction${bucket.count === 1 ? '' : 's'}`;
    const bar = h('button', {
      type: 'button',
      class: `bar${index === selected ? ' selected' : ''}`,
      'aria-label': label,
      'aria-pressed': index === selected ? 'true' : 'false',
      title: label,
      dataset: { index },
      on: { click: () => onSelect(index) },
    }, h('span', { class: 'bar-fill', style: { height: `${Math.max(2, (bucket.count / max) * 100)}%` } }));
    return bar;
  });
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return h('figure', { class: 'chart histogram', 'aria-label': 'Latency distribution' },
    h('div', { class: 'bars', role: 'group', 'aria-label': 'Latency buckets' }, bars),
    buckets.length > 0 ? h('div', { class: 'hist-axis' }, h('span', null, format(first.fromMs)), h('span', null, 'log scale'), h('span', null, format(last.toMs))) : null,
  );
}
