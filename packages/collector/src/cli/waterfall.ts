import { formatMs, padEnd, truncate, type StyleName } from './style.js';

type Doc = Record<string, any>;

interface Row {
  kind: 'transaction' | 'span' | 'error';
  doc: Doc;
  depth: number;
}

/**
 * Orders a trace's events as a tree (children under the span or transaction that
 * started them, by start time); events whose parent is missing become roots.
 */
function treeRows(transactions: Doc[], spans: Doc[], errors: Doc[]): Row[] {
  const all = [
    ...transactions.map((doc) => ({ kind: 'transaction' as const, doc })),
    ...spans.map((doc) => ({ kind: 'span' as const, doc })),
    ...errors.map((doc) => ({ kind: 'error' as const, doc })),
  ];
  const ids = new Set(all.filter((e) => e.kind !== 'error').map((e) => e.doc.id));
  const children = new Map<string | null, typeof all>();
  for (const event of all) {
    const parent = event.doc.parent_id && ids.has(event.doc.parent_id) && event.doc.parent_id !== event.doc.id ? event.doc.parent_id : null;
    children.set(parent, [...(children.get(parent) ?? []), event]);
  }
  for (const list of children.values()) list.sort((a, b) => (a.doc.timestamp ?? 0) - (b.doc.timestamp ?? 0));
  const rows: Row[] = [];
  const seen = new Set<Doc>();
  const visit = (parent: string | null, depth: number) => {
    for (const event of children.get(parent) ?? []) {
      if (seen.has(event.doc)) continue;
      seen.add(event.doc);
      rows.push({ ...event, depth });
      if (event.kind !== 'error') visit(event.doc.id, depth + 1);
    }
  };
  visit(null, 0);
  return rows;
}

/**
 * A trace as an indented waterfall: one line per transaction, span and error, with a bar
 * showing when it ran within the trace.
 */
export function renderWaterfall(trace: { transactions: Doc[]; spans: Doc[]; errors: Doc[] }, width: number, style: (n: StyleName, t: string) => string): string {
  const rows = treeRows(trace.transactions, trace.spans, trace.errors);
  const timed = rows.filter((r) => r.kind !== 'error');
  const startUs = Math.min(...rows.map((r) => r.doc.timestamp ?? Infinity));
  const endUs = Math.max(...timed.map((r) => (r.doc.timestamp ?? startUs) + (r.doc.duration ?? 0) * 1000), startUs + 1);
  const totalUs = endUs - startUs;
  const barWidth = Math.max(10, Math.min(50, Math.floor(width * 0.4)));
  const labelWidth = Math.max(20, width - barWidth - 14);
  const lines = [style('dim', `${padEnd('', labelWidth)} ${padEnd(`0 ms`, barWidth - 8)}${formatMs(totalUs / 1000).padStart(8)}`)];
  for (const row of rows) {
    const indent = '  '.repeat(row.depth);
    const offset = Math.min(barWidth - 1, Math.floor((((row.doc.timestamp ?? startUs) - startUs) / totalUs) * barWidth));
    if (row.kind === 'error') {
      const message = `${row.doc.exception?.type ?? 'Error'}: ${row.doc.exception?.message ?? row.doc.log?.message ?? ''}`;
      const label = truncate(`${indent}! ${message}`, labelWidth);
      lines.push(`${style('red', padEnd(label, labelWidth))} ${' '.repeat(offset)}${style('red', '!')}`);
      continue;
    }
    const durationMs = row.doc.duration ?? 0;
    const length = Math.max(1, Math.round(((durationMs * 1000) / totalUs) * barWidth));
    const name = row.kind === 'transaction' ? `${row.doc.name || '(unnamed)'}` : row.doc.name;
    const kind = row.kind === 'transaction' ? (row.doc.service?.name ?? 'transaction') : [row.doc.type, row.doc.subtype].filter(Boolean).join('/');
    const label = truncate(`${indent}${name} ${kind ? `[${kind}]` : ''}`, labelWidth);
    const failed = row.doc.outcome === 'failure';
    const colour: StyleName = failed ? 'red' : row.kind === 'transaction' ? 'magenta' : 'cyan';
    const bar = '█'.repeat(Math.min(length, barWidth - offset));
    const styledLabel = row.kind === 'transaction' ? style('bold', padEnd(label, labelWidth)) : padEnd(label, labelWidth);
    lines.push(`${styledLabel} ${' '.repeat(offset)}${style(colour, bar)}${' '.repeat(Math.max(0, barWidth - offset - bar.length))} ${formatMs(durationMs).padStart(8)}`);
  }
  return `${lines.join('\n')}\n`;
}
