/** The one agent of the process, and what API calls use before it is started. */
import { isDeepStrictEqual } from './node-builtins.js';
import { Agent } from './agent.js';
import { readConfig } from './config/read.js';
import type { ConfigOptions } from './config/table.js';
import { SightlineError } from './error-codes.js';

let current: Agent | null = null;
let startedWith: ConfigOptions | undefined;
let inactive: Agent | null = null;

/**
 * Starts the agent (once per process). A second call with other options is a mistake.
 * `instrumentsLoaded` names modules the caller instruments itself although they were loaded
 * before the agent (a framework plugin finding its framework in the require cache), so no
 * "loaded before the agent" warning is given for them.
 */
export function startAgent(options?: ConfigOptions, instrumentsLoaded: readonly string[] = []): Agent {
  if (current !== null) {
    if (options !== undefined && !isDeepStrictEqual(options, startedWith)) {
      throw new SightlineError(
        'SIGHTLINE_ERR_ALREADY_STARTED',
        'the agent is already running (started by --import @sightline/agent/register or an earlier start()). ' +
          'Set options in one place: environment variables for the register entry, or start() alone.',
      );
    }
    return current;
  }
  const agent = Agent.fromOptions(options);
  current = agent;
  startedWith = options;
  agent.start(instrumentsLoaded);
  return agent;
}

export function getAgent(): Agent | null {
  return current;
}

/** The running agent, or a recording-nothing one so API calls before start() are harmless. */
export function agentOrInactive(): Agent {
  if (current !== null) return current;
  inactive ??= new Agent(readConfig({ active: false }, {}));
  return inactive;
}

/** Forgets the running agent after close(), so a test or a reload can start another. */
export function clearAgent(agent: Agent): void {
  if (current === agent) {
    current = null;
    startedWith = undefined;
  }
}
