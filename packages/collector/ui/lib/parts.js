// Small pieces every page uses: headers with breadcrumbs, stat tiles, badges.
import { h } from './h.js';
import { link } from './state.js';

/** @param {{ title: string, crumbs?: Array<[string, string]>, sub?: any, actions?: any }} options */
export function pageHeader({ title, crumbs = [], sub = null, actions = null }) {
  return h('div', { class: 'page-head' },
    crumbs.length > 0
      ? h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('ol', null, crumbs.map(([label, href]) => h('li', null, h('a', { href }, label)))))
      : null,
    h('div', { class: 'title-row' }, h('h1', null, title), actions),
    sub ? h('div', { class: 'sub' }, sub) : null,
  );
}

export function tiles(items) {
  return h('dl', { class: 'tiles' }, items.map(([label, value, extra]) => h('div', { class: `tile ${extra ?? ''}`.trim() }, h('dt', null, label), h('dd', null, value))));
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}`.trim() }, text);
}

/** A stable colour per service name, so one service looks the same on every page. */
export function serviceHue(name) {
  // FNV-1a: short names that differ in one letter still land on different colours.
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash % 6;
}

export function serviceBadge(name) {
  return h('a', { class: `badge svc s${serviceHue(name)}`, href: link(['services', name]) }, name);
}

export function outcomeBadge(outcome) {
  if (outcome === 'failure') return badge('failure', 'bad');
  if (outcome === 'success') return badge('success', 'good');
  return outcome ? badge(String(outcome)) : null;
}

export function card(title, ...children) {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

/** Impact as a bar relative to the biggest, with the share as text for screen readers. */
export function impactBar(share) {
  const pctText = `${Math.round(share * 100)} %`;
  return h('span', { class: 'impact', title: `${pctText} of the time spent`, 'aria-label': `${pctText} of the time spent` },
    h('span', { class: 'impact-fill', style: { width: `${Math.max(2, share * 100)}%` } }));
}

/**
 * A placeholder that becomes `draw(value)` once `promise` settles, so a page can show what
 * it has while slower queries are still running.
 * @template T
 * @param {Promise<T>} promise
 * @param {(value: T) => any} draw
 * @param {string} [what]
 */
export function later(promise, draw, what = 'Loading…') {
  const holder = h('div', { class: 'later', 'aria-busy': 'true' }, h('p', { class: 'loading' }, what));
  promise.then((value) => {
    holder.replaceChildren(...[draw(value)].flat().filter((x) => x !== null && x !== undefined && x !== false));
  }, (error) => {
    if (error?.name === 'AbortError') return;
    holder.replaceChildren(h('p', { class: 'failure-text' }, `Could not load: ${error?.message ?? error}`));
  }).finally(() => holder.removeAttribute('aria-busy'));
  return holder;
}
