/**
 * `node --import @sightline/agent/register app.js`: starts the agent from environment
 * variables before the app's code loads, and installs the ESM loader hook so that modules
 * the app imports can be instrumented too.
 */
import { register } from 'node:module';
import { readConfig } from './config/read.js';
import { hookedModuleNames } from './instrument/index.js';
import { startAgent } from './instance.js';
import { logger } from './log.js';

function installLoader(): void {
  const include = hookedModuleNames();
  if (include.length === 0) return;
  try {
    register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } });
  } catch (err) {
    logger.warn(`ES modules will not be instrumented: ${(err as Error).message}`);
  }
}

// Config errors at start-up throw, as they should: a misconfigured agent is a deploy mistake.
if (readConfig().active) installLoader();
startAgent();
