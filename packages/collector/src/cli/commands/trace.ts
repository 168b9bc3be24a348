import { getApi } from '../client.js';
import type { CliIo } from '../io.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, parse, usageError } from '../options.js';
import { styler } from '../style.js';
import { renderWaterfall } from '../waterfall.js';

export const TRACE_HELP = `Usage: sightline trace <trace id> [options]

One trace as a waterfall: its transactions, spans and errors, indented under their
parents, with bars showing when each ran.

${CLIENT_OPTIONS_HELP}
`;

export async function traceCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('trace', args, CLIENT_OPTIONS, 1);
  if (values.help) return io.out(TRACE_HELP), 0;
  const traceId = positionals[0];
  if (traceId === undefined) throw usageError('trace', 'give the trace id to show, e.g. sightline trace 0af7651916cd43dd8448eb211c80319c');
  const body = await getApi(clientFrom(values, io.env), `/api/v1/traces/${encodeURIComponent(traceId)}`);
  if (values.json) return io.out(`${JSON.stringify(body, null, 2)}\n`), 0;
  const style = styler(io.colour);
  const counts = `${body.transactions.length} transaction(s), ${body.spans.length} span(s), ${body.errors.length} error(s)`;
  io.out(`${style('bold', `trace ${body.traceId}`)}  ${style('dim', counts)}\n\n`);
  io.out(renderWaterfall(body, io.width, style));
  return 0;
}
