import { getApi } from '../client.js';
import type { CliIo } from '../io.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, listQuery, parse } from '../options.js';
import { ago, formatMs, styler } from '../style.js';
import { renderTable } from '../table.js';

export const TRACES_HELP = `Usage: sightline traces [options]

The slowest transactions, slowest first. Show one with 'sightline trace <trace id>'.

${CLIENT_OPTIONS_HELP}
`;

export async function tracesCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse('traces', args, CLIENT_OPTIONS);
  if (values.help) return io.out(TRACES_HELP), 0;
  const body = await getApi(clientFrom(values, io.env), '/api/v1/traces', listQuery('traces', values));
  if (values.json) return io.out(`${JSON.stringify(body, null, 2)}\n`), 0;
  if (body.items.length === 0) {
    io.out(`No transactions since ${new Date(body.range.from).toISOString()}.\n`);
    return 0;
  }
  const style = styler(io.colour);
  io.out(
    renderTable(
      body.items as any[],
      [
        { header: 'DURATION', value: (t) => formatMs(t.durationMs), align: 'right', style: (text) => style('bold', text) },
        { header: 'TRACE ID', value: (t) => t.traceId, style: (text) => style('cyan', text) },
        { header: 'WHEN', value: (t) => ago(t.timestampMs) },
        { header: 'SERVICE', value: (t) => t.service },
        { header: 'RESULT', value: (t) => t.result ?? t.outcome, style: (text, t) => (t.outcome === 'failure' ? style('red', text) : text) },
        { header: 'NAME', value: (t) => t.name || '(unnamed)', flexible: true },
      ],
      io.width,
    ),
  );
  return 0;
}
