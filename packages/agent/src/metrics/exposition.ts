/**
 * The Prometheus exposition: text format 0.0.4, or OpenMetrics 1.0 when the scraper asks
 * for it in its Accept header. Counters, gauges and cumulative histograms, with the
 * global labels added to every series.
 */
import { logger } from '../log.js';
import { isLabelName, sanitizeLabelName } from './names.js';
import type { FamilySnapshot } from './registry.js';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** OpenMetrics when the Accept header prefers it (or ranks it no lower than text/plain); text otherwise. */
export function negotiate(accept: string | string[] | undefined): ExpositionFormat {
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  if (typeof header !== 'string' || !header.includes('application/openmetrics-text')) return 'text';
  let om = -1;
  let text = -1;
  for (const part of header.split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    let q = 1;
    for (const p of params) if (p.startsWith('q=')) q = Number(p.slice(2)) || 0;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}

/** Global labels as exposition labels: names repaired where Prometheus would refuse them. */
export function constLabels(labels: Readonly<Record<string, string | number | boolean>>): Array<[string, string]> {
  return Object.entries(labels).map(([k, v]) => [isLabelName(k) ? k : sanitizeLabelName(k), String(v)]);
}

export function render(families: readonly FamilySnapshot[], format: ExpositionFormat, global: ReadonlyArray<readonly [string, string]> = []): string {
  const om = format === 'openmetrics';
  const seen = new Set<string>();
  let out = '';
  for (const f of families) {
    if (seen.has(f.name)) {
      logger.once('warn', `metrics-duplicate:${f.name}`, `two metrics are named ${f.name}; the exposition shows the first`);
      continue;
    }
    seen.add(f.name);
    const family = om && f.type === 'counter' && f.name.endsWith('_total') ? f.name.slice(0, -6) : f.name;
    out += `# HELP ${family} ${escapeHelp(f.help, om)}\n# TYPE ${family} ${f.type}\n`;
    if (om && f.unit !== null && family.endsWith(`_${f.unit}`)) out += `# UNIT ${family} ${f.unit}\n`;
    const extra = global.filter(([name]) => !f.labelNames.includes(name));
    for (const s of f.series) {
      const labels = labelPairs(f.labelNames, s.labelValues, extra);
      if (f.type === 'histogram') {
        const bounds = f.buckets ?? [];
        let cumulative = 0;
        for (let i = 0; i <= bounds.length; i++) {
          cumulative += s.counts?.[i] ?? 0;
          const le = i < bounds.length ? formatLe(bounds[i]!, om) : '+Inf';
          out += `${family}_bucket${braces(labels, `le="${le}"`)} ${formatValue(cumulative)}\n`;
        }
        out += `${family}_sum${braces(labels, '')} ${formatValue(s.sum)}\n`;
        out += `${family}_count${braces(labels, '')} ${formatValue(s.count)}\n`;
      } else {
        const name = om && f.type === 'counter' ? `${family}_total` : family;
        out += `${name}${braces(labels, '')} ${formatValue(s.value)}\n`;
      }
    }
  }
  return om ? `${out}# EOF\n` : out;
}

function labelPairs(names: readonly string[], values: readonly string[], extra: ReadonlyArray<readonly [string, string]>): string {
  let s = '';
  for (let i = 0; i < names.length; i++) s += `${s === '' ? '' : ','}${names[i]}="${escapeLabel(values[i] ?? '')}"`;
  for (const [k, v] of extra) s += `${s === '' ? '' : ','}${k}="${escapeLabel(v)}"`;
  return s;
}

function braces(labels: string, more: string): string {
  if (labels === '' && more === '') return '';
  return `{${labels}${labels !== '' && more !== '' ? ',' : ''}${more}}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string, om: boolean): string {
  const s = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return om ? s.replace(/"/g, '\\"') : s;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** OpenMetrics wants `le` as a canonical float (`1.0`, not `1`). */
function formatLe(v: number, om: boolean): string {
  const s = formatValue(v);
  return om && Number.isInteger(v) && !s.includes('e') ? `${s}.0` : s;
}
