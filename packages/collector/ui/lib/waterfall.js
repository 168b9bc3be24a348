// A trace as a timeline: transactions and spans nested under their parents, bars to scale
// on one clock, across every service the trace passed through.
import { h } from './h.js';
import { ms } from './format.js';
import { serviceHue } from './parts.js';

/**
 * @typedef {{ kind: 'transaction' | 'span', doc: any, id: string, children: Node[], errors: any[], depth: number, startUs: number, endUs: number }} Node
 * @param {{ transactions: any[], spans: any[], errors: any[] }} trace
 */
export function buildTree(trace) {
  /** @type {Map<string, Node>} */
  const byId = new Map();
  const nodes = [];
  for (const [kind, docs] of [['transaction', trace.transactions], ['span', trace.spans]]) {
    for (const doc of docs) {
      const startUs = Number(doc.timestamp) || 0;
      const node = { kind, doc, id: String(doc.id), children: [], errors: [], depth: 0, startUs, endUs: startUs + (Number(doc.duration) || 0) * 1000 };
      nodes.push(node);
      if (!byId.has(node.id)) byId.set(node.id, node);
    }
  }
  const roots = [];
  for (const node of nodes) {
    const parent = byId.get(node.doc.parent_id) ?? (node.kind === 'span' ? byId.get(node.doc.transaction_id) : undefined);
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const orphanErrors = [];
  for (const error of trace.errors) {
    const owner = byId.get(error.parent_id) ?? byId.get(error.transaction_id);
    if (owner) owner.errors.push(error);
    else orphanErrors.push(error);
  }
  const order = (a, b) => a.startUs - b.startUs || (a.kind === 'transaction' ? -1 : 1);
  roots.sort(order);
  const flat = [];
  const seen = new Set();
  const walk = (node, depth) => {
    if (seen.has(node)) return; // a parent_id cycle in bad data must not loop forever
    seen.add(node);
    node.depth = depth;
    flat.push(node);
    node.children.sort(order);
    for (const child of node.children) walk(child, depth + 1);
  };
  for (const root of roots) walk(root, 0);
  const startUs = Math.min(...flat.map((n) => n.startUs));
  const endUs = Math.max(...flat.map((n) => n.endUs));
  return { rows: flat, roots, startUs, endUs, orphanErrors };
}

/** What a span did, in one line: the SQL, the URL, or nothing. */
export function spanDetailLine(doc) {
  const db = doc.context?.db;
  if (db?.statement) return String(db.statement);
  const http = doc.context?.http;
  if (http?.url) return `${http.method ? `${http.method} ` : ''}${typeof http.url === 'string' ? http.url : http.url.full ?? ''}`;
  if (doc.kind === 'transaction' || doc.context?.request?.url) {
    const url = doc.context?.request?.url;
    if (url) return typeof url === 'string' ? url : url.full ?? url.pathname ?? '';
  }
  return '';
}

export function typeLabel(doc) {
  return [doc.type, doc.subtype, doc.action].filter(Boolean).join('.');
}

/**
 * @param {{ rows: Node[], startUs: number, endUs: number }} tree
 * @param {{ selectedId?: string, onSelect: (node: Node) => void }} options
 */
export function waterfall(tree, { selectedId, onSelect }) {
  const totalUs = Math.max(1, tree.endUs - tree.startUs);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { class: 'tick', style: { left: `${f * 100}%` } }, ms((f * totalUs) / 1000)));
  const rows = tree.rows.map((node) => {
    const doc = node.doc;
    const leftPct = ((node.startUs - tree.startUs) / totalUs) * 100;
    const widthPct = Math.max(0.3, ((node.endUs - node.startUs) / totalUs) * 100);
    const failed = doc.outcome === 'failure' || node.errors.length > 0;
    const line = spanDetailLine(doc);
    const service = doc.service?.name ?? '';
    return h('li', { class: `wf-row ${node.kind}${failed ? ' failed' : ''}` },
      h('button', {
        type: 'button',
        class: `wf-button${node.id === selectedId ? ' selected' : ''}`,
        'aria-pressed': node.id === selectedId ? 'true' : 'false',
        'aria-controls': 'span-detail',
        dataset: { id: node.id, kind: node.kind },
        on: { click: () => onSelect(node) },
      },
      h('span', { class: 'wf-label', style: { 'padding-left': `${node.depth * 1.1}rem` } },
        h('span', { class: 'wf-title' },
          h('span', { class: `kind ${node.kind === 'transaction' ? 'k-tx' : `k-${doc.type ?? 'span'}`}`, title: typeLabel(doc) }, node.kind === 'transaction' ? 'tx' : String(doc.type ?? 'span').slice(0, 8)),
          node.kind === 'transaction' ? h('span', { class: `badge svc s${serviceHue(service)}` }, service) : null,
          h('span', { class: 'wf-name' }, String(doc.name ?? '')),
          failed ? h('span', { class: 'err-mark', title: node.errors.length > 0 ? `${node.errors.length} error(s)` : 'failed' }, node.errors.length > 0 ? `⚠ ${node.errors.length} error${node.errors.length === 1 ? '' : 's'}` : '⚠ failed') : null),
        line ? h('span', { class: 'wf-line' }, line) : null),
      h('span', { class: 'wf-track' },
        h('span', { class: `wf-bar ${node.kind === 'transaction' ? `s${serviceHue(service)}` : `k-${doc.type ?? 'span'}`}`, style: { left: `${leftPct}%`, width: `${widthPct}%` } }),
        h('span', { class: 'wf-dur', style: leftPct + widthPct > 80 ? { right: `${100 - leftPct}%`, 'margin-right': '0.3rem' } : { left: `${leftPct + widthPct}%`, 'margin-left': '0.3rem' } }, ms(Number(doc.duration))))));
  });
  return h('div', { class: 'waterfall' },
    h('div', { class: 'wf-head', 'aria-hidden': 'true' }, h('span', { class: 'wf-label' }, 'Name'), h('span', { class: 'wf-track wf-ticks' }, ticks)),
    h('ol', { class: 'wf-rows', 'aria-label': 'Transactions and spans, in order' }, rows));
}
