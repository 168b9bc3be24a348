import { CliFailure, getApi, type ClientOptions } from '../client.js';
import type { CliIo } from '../io.js';
import { CLIENT_OPTIONS, CLIENT_OPTIONS_HELP, clientFrom, parse, usageError } from '../options.js';
import { ago, styler, type StyleName } from '../style.js';
import { formatFrames } from '../frames.js';

export const ERROR_HELP = `Usage: sightline error <group> [options]

One error group: its latest occurrence with stack frames and source lines. <group> is a
group id from 'sightline errors', or any unique start of one. Library frames
(node_modules, node:internal) are collapsed unless --all-frames is given.

${CLIENT_OPTIONS_HELP}
  --all-frames            show library frames too
`;

const OPTIONS = { ...CLIENT_OPTIONS, 'all-frames': { type: 'boolean' } } as const;

async function resolveGroupId(client: ClientOptions, prefix: string): Promise<string> {
  if (/^[0-9a-f]{32}$/.test(prefix)) return prefix;
  const body = await getApi(client, '/api/v1/errors', { from: 0, to: Date.now() + 86_400_000, limit: 1000 });
  const matches = (body.items as Array<{ groupId: string }>).filter((g) => g.groupId.startsWith(prefix));
  if (matches.length === 0) throw new CliFailure(`no error group starts with '${prefix}'; see 'sightline errors'`);
  if (matches.length > 1) throw new CliFailure(`'${prefix}' matches ${matches.length} error groups; give more characters`);
  return matches[0]!.groupId;
}

export async function errorCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('error', args, OPTIONS, 1);
  if (values.help) return io.out(ERROR_HELP), 0;
  const prefix = positionals[0];
  if (prefix === undefined) throw usageError('error', 'give the error group to show, e.g. sightline error 3fa85f64');
  if (!/^[0-9a-f]+$/.test(prefix)) throw usageError('error', `'${prefix}' is not a group id (hex digits)`);
  const client = clientFrom(values, io.env);
  const group = await getApi(client, `/api/v1/errors/${await resolveGroupId(client, prefix)}`);
  if (values.json) return io.out(`${JSON.stringify(group, null, 2)}\n`), 0;

  const style = styler(io.colour);
  const latest = group.latest ?? {};
  const exception = latest.exception ?? {};
  const typeStyle: StyleName = group.handled === false ? 'red' : 'yellow';
  const lines = [
    `${style('bold', style(typeStyle, group.type))}: ${style('bold', group.message)}`,
    `${style('dim', 'group')}    ${group.groupId}`,
    `${style('dim', 'service')}  ${group.service}${latest.service?.environment ? ` (${latest.service.environment})` : ''}`,
    `${style('dim', 'culprit')}  ${group.culprit || '-'}`,
    `${style('dim', 'seen')}     ${group.count} times, first ${ago(group.firstSeenMs)}, last ${ago(group.lastSeenMs)}` +
      `${group.handled === false ? style('red', ' · unhandled') : ''}`,
  ];
  if (latest.trace_id) lines.push(`${style('dim', 'trace')}    ${latest.trace_id}  (sightline trace ${latest.trace_id})`);
  lines.push('');
  const frames = exception.stacktrace ?? latest.log?.stacktrace ?? [];
  if (frames.length === 0) lines.push(style('dim', '(no stack trace was sent with this error)'));
  else lines.push(...formatFrames(frames, { allFrames: values['all-frames'] === true, style, width: io.width }));
  let cause = exception.cause?.[0];
  while (cause !== undefined) {
    lines.push('', `${style('dim', 'caused by')} ${style('bold', cause.type ?? 'Error')}: ${cause.message ?? ''}`);
    if (cause.stacktrace?.length) lines.push(...formatFrames(cause.stacktrace, { allFrames: values['all-frames'] === true, style, width: io.width }));
    cause = cause.cause?.[0];
  }
  io.out(`${lines.join('\n')}\n`);
  return 0;
}
