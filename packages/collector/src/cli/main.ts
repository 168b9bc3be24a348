import { CliFailure } from './client.js';
import { anomaliesCommand } from './commands/anomalies.js';
import { collectorCommand } from './commands/collector.js';
import { errorCommand } from './commands/error.js';
import { errorsCommand } from './commands/errors.js';
import { traceCommand } from './commands/trace.js';
import { tracesCommand } from './commands/traces.js';
import { processIo, type CliIo } from './io.js';
import { USAGE_EXIT_CODE } from './options.js';
import { COLLECTOR_VERSION } from '../version.js';

export const MAIN_HELP = `Usage: sightline <command> [options]

Commands:
  collector          start the collector (intake, storage, query API)
  errors             list error groups
  error <group>      show one error group with stack frames and source lines
  traces             list the slowest transactions
  trace <trace id>   show one trace as a waterfall
  anomalies          list anomalies the collector detected

Run 'sightline <command> --help' for a command's options.
Client commands talk to a running collector: --url (default http://127.0.0.1:8200).
`;

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  collector: collectorCommand,
  errors: errorsCommand,
  error: errorCommand,
  traces: tracesCommand,
  trace: traceCommand,
  anomalies: anomaliesCommand,
};

/** Runs the sightline command line; resolves to the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(MAIN_HELP);
    return command === undefined ? USAGE_EXIT_CODE : 0;
  }
  if (command === '--version' || command === '-v') {
    io.out(`${COLLECTOR_VERSION}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    io.err(`sightline: unknown command '${command}'\n\n${MAIN_HELP}`);
    return USAGE_EXIT_CODE;
  }
  try {
    return await run(args, io);
  } catch (error) {
    if (error instanceof CliFailure) {
      io.err(`${error.message}\n`);
      return error.exitCode;
    }
    io.err(`sightline ${command}: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
