import { getApi } from '../client.js';
import type { CliIo } from '../io.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, listQuery, parse, usageError } from '../options.js';
import { ago, formatMs, styler } from '../style.js';
import { renderTable } from '../table.js';

export const ANOMALIES_HELP = `Usage: sightline anomalies [options]

Anomalies the collector found, newest first: the score (0-100), the series (transaction
group and metric), when, the typical value against the actual one, and for latency the
span types that account for the change. Metric series (collector --anomaly-metrics) are
shown by metric name and label set.

${CLIENT_OPTIONS_HELP}
  --transaction <name>    only this transaction group, e.g. 'GET /users/:id'
  --metric <name>         only this metric: latency_mean, latency_p95, throughput,
                          error_rate, or a watched metric's name
  --min-score <n>         only anomalies scoring at least this (default 0)
`;

const OPTIONS = { ...CLIENT_OPTIONS, transaction: { type: 'string' }, metric: { type: 'string' }, 'min-score': { type: 'string' } } as const;

/** A metric's value as people read it: ms, transactions a minute, a percentage, or as is (a metric series). */
export function formatValue(metric: string, value: number, metricSeries = false): string {
  if (metricSeries) return String(Number(value.toPrecision(4)));
  if (metric === 'throughput') return `${Number(value.toPrecision(3))}/min`;
  if (metric === 'error_rate') return `${Number((value * 100).toPrecision(3))}%`;
  return formatMs(value);
}

/** A record's series: the transaction group and metric, or the metric and its label set. */
function seriesText(series: any): string {
  if (series.kind !== 'metric') return `${series.transactionName} ${series.metric}`;
  const labels = Object.entries(series.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  return labels === '' ? series.metric : `${series.metric} {${labels}}`;
}

export function formatExplanation(explanation: unknown): string {
  if (!Array.isArray(explanation) || explanation.length === 0) return '';
  return explanation
    .map((c: any) => `${c.spanType} ${formatMs(c.typicalMs)} → ${formatMs(c.actualMs)} (${Math.round(c.share * 100)}%)`)
    .join(', ');
}

export async function anomaliesCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse('anomalies', args, OPTIONS);
  if (values.help) return io.out(ANOMALIES_HELP), 0;
  const minScore = (values['min-score'] as string | undefined) ?? '0';
  if (!/^\d+(\.\d+)?$/.test(minScore) || Number(minScore) > 100) throw usageError('anomalies', `--min-score must be 0-100, got '${minScore}'`);
  const query = {
    ...listQuery('anomalies', values), transaction: values.transaction as string | undefined, metric: values.metric as string | undefined, minScore,
  };
  const body = await getApi(clientFrom(values, io.env), '/api/v1/anomalies', query);
  if (values.json) return io.out(`${JSON.stringify(body, null, 2)}\n`), 0;
  if (body.items.length === 0) {
    const off = body.detection?.enabled === false ? ' (anomaly detection is off on this collector)' : '';
    io.out(`No anomalies since ${new Date(body.range.from).toISOString()}${off}.\n`);
    return 0;
  }
  const style = styler(io.colour);
  io.out(
    renderTable(
      body.items as any[],
      [
        { header: 'SCORE', value: (a) => String(Math.round(a.score)), align: 'right', style: (t, a) => style(a.score >= 75 ? 'red' : 'yellow', t) },
        { header: 'WHEN', value: (a) => ago(a.bucketStartMs) },
        { header: 'SERVICE', value: (a) => a.series.service },
        { header: 'SERIES', value: (a) => seriesText(a.series) },
        {
          header: 'TYPICAL → ACTUAL',
          value: (a) => {
            const metricSeries = a.series.kind === 'metric';
            return `${formatValue(a.series.metric, a.typical, metricSeries)} → ${formatValue(a.series.metric, a.actual, metricSeries)}`;
          },
        },
        { header: 'EXPLANATION', value: (a) => formatExplanation(a.explanation), flexible: true },
      ],
      io.width,
    ),
  );
  return 0;
}
