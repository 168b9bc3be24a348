/**
 * `node --import @sightline/agent/register app.js`: starts the agent from environment
 * variables before the app's code loads, and installs the ESM loader hook so that modules
 * the app imports can be instrumented too.
 *
 * Where Node can run it (`module.registerHooks` accepting the loader's nullish CommonJS
 * source: 22.22.3+, 24.11.1+, 25.1+), import-in-the-middle's hooks run synchronously in the
 * app's own thread. Otherwise (Node 20, older 22/24) they run in the loader thread that
 * `module.register` starts: a second V8 isolate, ~25 MB of RSS for the life of the process.
 */
import * as nodeModule from 'node:module';
import { readConfig } from './config/read.js';
import { hookedModuleNames } from './instrument/index.js';
import { startAgent } from './instance.js';
import { logger } from './log.js';

async function installInThread(include: string[]): Promise<boolean> {
  if (typeof (nodeModule as { registerHooks?: unknown }).registerHooks !== 'function') return false;
  const hooks = await import('import-in-the-middle/register-hooks.mjs');
  if (!hooks.supportsSyncHooks()) return false;
  hooks.register({ include });
  return true;
}

async function installLoader(): Promise<void> {
  const include = hookedModuleNames();
  if (include.length === 0) return;
  try {
    if (await installInThread(include)) return;
    nodeModule.register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include } });
  } catch (err) {
    logger.warn(`ES modules will not be instrumented: ${(err as Error).message}`);
  }
}

// Config errors at start-up throw, as they should: a misconfigured agent is a deploy mistake.
if (readConfig().active) await installLoader();
startAgent();
