// One error group: the exception and its causes, stack frames with their source lines,
// and the request, transaction and trace of its latest occurrence.
import { ago, count, isoTime, ms, time } from '../lib/format.js';
import { h } from '../lib/h.js';
import { badge, card, pageHeader, serviceBadge, tiles } from '../lib/parts.js';
import { link } from '../lib/state.js';

export const section = 'errors';
export const live = false;
export const title = () => 'Error';

const fields = (pairs) => h('dl', { class: 'fields' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));

function frameTitle(frame) {
  const where = `${frame.filename ?? frame.abs_path ?? '<anonymous>'}${frame.lineno ? `:${frame.lineno}` : ''}${frame.colno ? `:${frame.colno}` : ''}`;
  return [h('span', { class: 'fn' }, frame.function || '<anonymous>'), h('span', { class: 'muted' }, ' at '), h('span', { class: 'file' }, where)];
}

/** The frame's source with line numbers; the line that failed is marked. */
function sourceLines(frame) {
  if (typeof frame.context_line !== 'string') return null;
  const pre = Array.isArray(frame.pre_context) ? frame.pre_context : [];
  const post = Array.isArray(frame.post_context) ? frame.post_context : [];
  const first = (Number(frame.lineno) || pre.length + 1) - pre.length;
  const line = (text, n, current) => h('span', { class: `src-line${current ? ' current' : ''}`, 'aria-current': current ? 'true' : null },
    h('span', { class: 'ln', 'aria-hidden': 'true' }, String(n)), h('span', { class: 'src' }, String(text)));
  return h('pre', { class: 'code source' }, h('code', null,
    pre.map((t, i) => line(t, first + i, false)),
    line(frame.context_line, first + pre.length, true),
    post.map((t, i) => line(t, first + pre.length + 1 + i, false))));
}

function appFrame(frame, open) {
  const source = sourceLines(frame);
  if (source === null) return h('li', { class: 'frame app no-source' }, h('div', { class: 'frame-title' }, frameTitle(frame)));
  return h('li', { class: 'frame app' }, h('details', { open }, h('summary', { class: 'frame-title' }, frameTitle(frame)), source));
}

/** Library frames in a row fold into one closed group. */
function libraryRun(frames) {
  return h('li', { class: 'frame library' }, h('details', { class: 'library-frames' },
    h('summary', null, `${frames.length} library frame${frames.length === 1 ? '' : 's'}`),
    h('ol', { class: 'frames' }, frames.map((f) => h('li', { class: 'frame lib' }, h('div', { class: 'frame-title' }, frameTitle(f)), sourceLines(f))))));
}

export function stackTrace(frames) {
  if (!Array.isArray(frames) || frames.length === 0) return h('p', { class: 'muted' }, 'No stack trace was recorded.');
  const items = [];
  let run = [];
  let firstApp = true;
  for (const frame of frames) {
    if (frame.library_frame) {
      run.push(frame);
      continue;
    }
    if (run.length > 0) items.push(libraryRun(run));
    run = [];
    items.push(appFrame(frame, firstApp));
    firstApp = false;
  }
  if (run.length > 0) items.push(libraryRun(run));
  return h('ol', { class: 'frames' }, items);
}

/** The exception, then each cause (intake v2: `cause` is a list of exceptions), nested. */
function exceptionChain(exception) {
  const out = [];
  const queue = [[exception, 0]];
  let guard = 0;
  while (queue.length > 0 && guard++ < 20) {
    const [ex, depth] = queue.shift();
    out.push(h('section', { class: `exception${depth > 0 ? ' cause' : ''}` },
      depth > 0 ? h('h3', { class: 'caused-by' }, 'Caused by') : null,
      h('p', { class: 'ex-head' }, h('span', { class: 'ex-type' }, String(ex.type ?? 'Error')), ex.code ? h('span', { class: 'muted' }, ` [${ex.code}]`) : null, ': ', h('span', { class: 'ex-message' }, String(ex.message ?? ''))),
      stackTrace(ex.stacktrace)));
    const causes = Array.isArray(ex.cause) ? ex.cause : ex.cause ? [ex.cause] : [];
    for (const cause of causes) queue.push([cause, depth + 1]);
  }
  return out;
}

function requestView(request) {
  if (!request) return null;
  const url = request.url;
  const urlText = typeof url === 'string' ? url : url?.full ?? [url?.pathname, url?.search].filter(Boolean).join('');
  const headers = request.headers ?? {};
  return card('Request',
    fields([['Method', request.method], ['URL', urlText], ['HTTP version', request.http_version], ['Client', request.socket?.remote_address]]),
    Object.keys(headers).length > 0
      ? h('details', null, h('summary', null, `${Object.keys(headers).length} headers`), fields(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)])))
      : null);
}

export async function render(ctx) {
  const group = await ctx.api(`/errors/${encodeURIComponent(ctx.params.groupId)}`);
  const latest = group.latest ?? {};
  const exception = latest.exception ?? { type: group.type, message: latest.log?.message ?? group.message, stacktrace: latest.log?.stacktrace };
  let transaction = null;
  if (latest.trace_id) {
    const trace = await ctx.api(`/traces/${encodeURIComponent(latest.trace_id)}`, { allow404: true }).catch(() => null);
    transaction = trace?.transactions.find((t) => t.id === latest.transaction_id) ?? null;
  }
  const txName = transaction?.name ?? latest.transaction?.name;
  document.title = `${group.type}: ${group.message} · Sightline`;
  return h('div', { class: 'page' },
    pageHeader({
      title: h('span', null, h('span', { class: 'ex-type' }, group.type), ': ', h('span', { class: 'ex-message', id: 'error-message' }, group.message)),
      crumbs: [['Errors', link(['errors'])], [group.service, link(['errors'], { service: group.service })]],
      sub: group.culprit ? h('code', null, group.culprit) : null,
    }),
    tiles([
      ['Occurrences', count(group.count)],
      ['First seen', h('time', { datetime: isoTime(group.firstSeenMs) }, time(group.firstSeenMs))],
      ['Last seen', h('time', { datetime: isoTime(group.lastSeenMs), title: isoTime(group.lastSeenMs) }, ago(group.lastSeenMs))],
      ['Handled', group.handled === false ? badge('unhandled', 'bad') : group.handled ? badge('handled') : '–'],
      ['Service', serviceBadge(group.service)],
    ]),
    card('Latest occurrence',
      fields([
        ['Time', latest.timestamp ? time(Number(latest.timestamp) / 1000) : undefined],
        ['Transaction', txName ? h('a', { href: link(['services', transaction?.service?.name ?? group.service, 'transactions', txName]) }, txName) : undefined],
        ['Transaction duration', transaction ? ms(Number(transaction.duration)) : undefined],
        ['Trace', latest.trace_id ? h('a', { href: link(['traces', latest.trace_id]), id: 'error-trace-link' }, `View trace ${String(latest.trace_id).slice(0, 8)}…`) : undefined],
        ['Error id', latest.id],
      ])),
    card('Exception', exceptionChain(exception)),
    requestView(latest.context?.request),
  );
}
