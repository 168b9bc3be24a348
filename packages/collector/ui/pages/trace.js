// One trace: the waterfall of every transaction and span, across services, and the
// detail of whichever one is chosen.
import { ms, time } from '../lib/format.js';
import { h, replaceChildren } from '../lib/h.js';
import { badge, card, outcomeBadge, pageHeader, serviceBadge, tiles } from '../lib/parts.js';
import { link } from '../lib/state.js';
import { buildTree, typeLabel, waterfall } from '../lib/waterfall.js';

export const section = 'services';
export const live = false;
export const title = (params) => `Trace ${params.traceId.slice(0, 8)}…`;

const fields = (pairs) => h('dl', { class: 'fields' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));

function urlText(url) {
  if (url === undefined || url === null) return undefined;
  return typeof url === 'string' ? url : url.full ?? [url.pathname, url.search].filter(Boolean).join('');
}

function errorItem(error, groupLink) {
  const ex = error.exception ?? {};
  const text = `${ex.type ?? 'Error'}: ${ex.message ?? error.log?.message ?? ''}`;
  return h('li', { class: 'error-item' }, groupLink ? h('a', { href: groupLink }, text) : h('span', null, text), error.culprit ? h('span', { class: 'muted' }, ` — ${error.culprit}`) : null);
}

function detailView(node, tree, groupLinkFor) {
  const doc = node.doc;
  const db = doc.context?.db ?? {};
  const http = doc.context?.http ?? {};
  const request = doc.context?.request ?? {};
  const destination = doc.context?.destination ?? {};
  const service = doc.service?.name;
  const offsetMs = (node.startUs - tree.startUs) / 1000;
  return h('div', null,
    h('h2', { id: 'span-detail-title' }, String(doc.name ?? '')),
    h('p', null, node.kind === 'transaction' ? badge('transaction') : badge('span'), ' ', outcomeBadge(doc.outcome), ' ', doc.result ? badge(String(doc.result)) : null),
    fields([
      ['Type', typeLabel(doc)],
      ['Service', service ? serviceBadge(service) : undefined],
      ['Starts at', `+${ms(offsetMs)}`],
      ['Duration', ms(Number(doc.duration))],
      ['Time', time(Number(doc.timestamp) / 1000)],
      ['Database', [db.type, db.instance].filter(Boolean).join(' · ') || undefined],
      ['Rows affected', db.rows_affected],
      ['HTTP', http.url ? `${http.method ?? ''} ${urlText(http.url)}`.trim() : undefined],
      ['Status code', http.status_code ?? http.response?.status_code],
      ['Destination', destination.address ? `${destination.address}${destination.port ? `:${destination.port}` : ''}` : destination.service?.resource],
      ['Request', request.method ? `${request.method} ${urlText(request.url) ?? ''}` : undefined],
      ['Id', doc.id],
      ['Parent id', doc.parent_id],
    ]),
    db.statement ? [h('h3', null, 'SQL statement'), h('pre', { class: 'code sql' }, h('code', null, String(db.statement)))] : null,
    node.kind === 'transaction' && service
      ? h('p', null, h('a', { href: link(['services', service, 'transactions', String(doc.name)]) }, 'All transactions of this group →'))
      : null,
    node.errors.length > 0 ? [h('h3', null, 'Errors'), h('ul', { class: 'errors-list' }, node.errors.map((e) => errorItem(e, groupLinkFor(e))))] : null,
    doc.labels ? [h('h3', null, 'Labels'), fields(Object.entries(doc.labels).map(([k, v]) => [k, String(v)]))] : null,
    h('details', { class: 'raw' }, h('summary', null, 'Raw document'), h('pre', { class: 'code' }, h('code', null, JSON.stringify(doc, null, 2)))),
  );
}

/** Error groups, looked up by type, culprit and message, so the trace can link to them. */
async function errorGroupLinks(ctx, errors) {
  const links = new Map();
  const services = [...new Set(errors.map((e) => e.service?.name).filter(Boolean))];
  await Promise.all(services.map(async (service) => {
    const body = await ctx.api(`/errors?service=${encodeURIComponent(service)}&limit=1000&from=0`).catch(() => ({ items: [] }));
    for (const e of errors.filter((x) => x.service?.name === service)) {
      const type = e.exception?.type ?? null;
      const candidates = body.items.filter((g) => g.type === type && g.culprit === (e.culprit ?? g.culprit));
      const exact = candidates.find((g) => g.message === (e.exception?.message ?? e.log?.message));
      const group = exact ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (group) links.set(e.id, link(['errors', group.groupId]));
    }
  }));
  return links;
}

export async function render(ctx) {
  const traceId = ctx.params.traceId;
  const trace = await ctx.api(`/traces/${encodeURIComponent(traceId)}`);
  const tree = buildTree(trace);
  const groupLinks = trace.errors.length > 0 ? await errorGroupLinks(ctx, trace.errors) : new Map();
  const groupLinkFor = (e) => groupLinks.get(e.id) ?? null;
  const root = tree.roots[0];
  const services = [...new Set(tree.rows.map((n) => n.doc.service?.name).filter(Boolean))];

  const detail = h('aside', { class: 'card span-detail', id: 'span-detail', 'aria-live': 'polite', 'aria-labelledby': 'span-detail-title' });
  const holder = h('div', { class: 'card flush' });
  const select = (node) => {
    replaceChildren(holder, waterfall(tree, { selectedId: node.id, onSelect: select }));
    replaceChildren(detail, detailView(node, tree, groupLinkFor));
    holder.querySelector(`.wf-button[data-id="${CSS.escape(node.id)}"]`)?.focus();
  };
  replaceChildren(holder, waterfall(tree, { selectedId: root?.id, onSelect: select }));
  if (root) replaceChildren(detail, detailView(root, tree, groupLinkFor));

  return h('div', { class: 'page' },
    pageHeader({
      title: root ? String(root.doc.name ?? traceId) : traceId,
      crumbs: root?.doc.service?.name
        ? [['Services', link(['services'])], [root.doc.service.name, link(['services', root.doc.service.name])], [String(root.doc.name), link(['services', root.doc.service.name, 'transactions', String(root.doc.name)])]]
        : [['Services', link(['services'])]],
      sub: h('span', null, 'Trace ', h('code', null, traceId)),
    }),
    tiles([
      ['Duration', ms((tree.endUs - tree.startUs) / 1000)],
      ['Started', time(tree.startUs / 1000)],
      ['Services', services.length === 0 ? '–' : h('span', { class: 'svc-list' }, services.map(serviceBadge))],
      ['Transactions', String(trace.transactions.length)],
      ['Spans', String(trace.spans.length)],
      ['Errors', String(trace.errors.length), trace.errors.length > 0 ? 'bad' : ''],
    ]),
    h('div', { class: 'trace-layout' }, holder, detail),
    tree.orphanErrors.length > 0 ? card('Other errors in this trace', h('ul', { class: 'errors-list' }, tree.orphanErrors.map((e) => errorItem(e, groupLinkFor(e))))) : null,
  );
}
