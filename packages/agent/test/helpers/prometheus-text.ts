/**
 * Reading an exposition back: text format 0.0.4 by a real parser (parse-prometheus-text-format,
 * prom2json's output shape), OpenMetrics by checking its structure and then reading it
 * through the same parser.
 */
import { request } from 'node:http';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface ParsedFamily {
  name: string;
  help: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

export function parseText(text: string): ParsedFamily[] {
  return (parsePrometheusTextFormat as (s: string) => ParsedFamily[])(text);
}

export function family(families: readonly ParsedFamily[], name: string): ParsedFamily {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name} in [${families.map((x) => x.name).join(', ')}]`);
  return f;
}

/** The value of the series whose labels include `labels`. */
export function valueOf(f: ParsedFamily, labels: Record<string, string> = {}): number {
  const m = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (m === undefined) throw new Error(`no series of ${f.name} with ${JSON.stringify(labels)}`);
  return Number(m.value ?? m.count);
}

/**
 * One series of a histogram, read by the parser. The parser folds a histogram's series
 * together when they have labels besides `le`, so the family is read untyped (each of its
 * `_bucket`, `_sum`, `_count` lines as a sample with its labels) and put back together here.
 */
export function histogramSeries(text: string, name: string, labels: Record<string, string>): { buckets: Array<[string, number]>; sum: number; count: number } {
  const untyped = text
    .split('\n')
    .filter((l) => l !== `# TYPE ${name} histogram` && !l.startsWith(`# HELP ${name} `))
    .join('\n');
  const families = parseText(untyped);
  const matches = (m: { labels?: Record<string, string> }): boolean => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v);
  const buckets = family(families, `${name}_bucket`)
    .metrics.filter(matches)
    .map((m): [string, number] => [m.labels!.le!, Number(m.value)]);
  return { buckets, sum: valueOf(family(families, `${name}_sum`), labels), count: valueOf(family(families, `${name}_count`), labels) };
}

/**
 * Checks OpenMetrics 1.0 structure (TYPE before samples, sample names of their family,
 * counters as `_total`, UNIT matching the name's suffix, `# EOF` last) and returns the text
 * as 0.0.4 so the parser can read its values. Throws on the first violation.
 */
export function openMetricsToText(om: string): string {
  if (!om.endsWith('# EOF\n')) throw new Error('OpenMetrics must end with "# EOF"');
  const lines = om.slice(0, -'# EOF\n'.length).split('\n').filter((l) => l !== '');
  const out: string[] = [];
  let fam: { name: string; type: string } | null = null;
  const seen = new Set<string>();
  for (const line of lines) {
    const meta = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta;
      if (kind === 'HELP') {
        if (seen.has(name!)) throw new Error(`family ${name} appears twice`);
        seen.add(name!);
        fam = { name: name!, type: 'unknown' };
        out.push(line);
      } else if (kind === 'TYPE') {
        if (fam === null || fam.name !== name) throw new Error(`TYPE for ${name} outside its family`);
        fam.type = rest!;
        out.push(fam.type === 'counter' ? `# TYPE ${name}_total counter` : line);
      } else if (!name!.endsWith(`_${rest}`)) throw new Error(`UNIT ${rest} but the name ${name} does not end with it`);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment: ${line}`);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (sample === null || fam === null) throw new Error(`bad sample line: ${line}`);
    const allowed =
      fam.type === 'counter' ? [`${fam.name}_total`, `${fam.name}_created`] : fam.type === 'histogram' ? ['_bucket', '_sum', '_count', '_created'].map((s) => fam!.name + s) : [fam.name];
    if (!allowed.includes(sample[1]!)) throw new Error(`sample ${sample[1]} does not belong to ${fam.type} ${fam.name}`);
    out.push(line);
  }
  return out.join('\n') + '\n';
}

/** GET with an Accept header; resolves with status, headers and body. */
export function get(url: string, accept?: string, method = 'GET'): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: accept === undefined ? {} : { accept } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}
