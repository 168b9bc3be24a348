import { getApi } from '../client.js';
import type { CliIo } from '../io.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, listQuery, parse } from '../options.js';
import { ago, styler } from '../style.js';
import { renderTable } from '../table.js';

export const ERRORS_HELP = `Usage: sightline errors [options]

Error groups, most recently seen first. Show one with 'sightline error <group>'.

${CLIENT_OPTIONS_HELP}
`;

/** Group ids are shown cut to this many characters; 'sightline error' takes any unique prefix. */
export const SHORT_GROUP_ID = 12;

export async function errorsCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parse('errors', args, CLIENT_OPTIONS);
  if (values.help) return io.out(ERRORS_HELP), 0;
  const body = await getApi(clientFrom(values, io.env), '/api/v1/errors', listQuery('errors', values));
  if (values.json) return io.out(`${JSON.stringify(body, null, 2)}\n`), 0;
  if (body.items.length === 0) {
    io.out(`No errors since ${new Date(body.range.from).toISOString()}.\n`);
    return 0;
  }
  const style = styler(io.colour);
  io.out(
    renderTable(
      body.items as any[],
      [
        { header: 'GROUP', value: (g) => g.groupId.slice(0, SHORT_GROUP_ID), style: (t) => style('cyan', t) },
        { header: 'COUNT', value: (g) => String(g.count), align: 'right' },
        { header: 'LAST SEEN', value: (g) => ago(g.lastSeenMs) },
        { header: 'SERVICE', value: (g) => g.service },
        { header: 'TYPE', value: (g) => g.type, style: (t, g) => style(g.handled === false ? 'red' : 'yellow', t) },
        { header: 'MESSAGE', value: (g) => g.message.replace(/\s+/g, ' '), flexible: true },
      ],
      io.width,
    ),
  );
  return 0;
}
