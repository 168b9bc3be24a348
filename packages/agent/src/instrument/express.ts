/**
 * Express 4 and 5: transaction names from route templates, and errors from the error path.
 * The request's transaction comes from the node:http server instrumentation; this only names
 * it and reports errors. Patched when Express loads (`--import @sightline/agent/register`),
 * or, for `@sightline/express` users who started the agent after importing Express, found
 * already loaded in the require cache (Express always loads its router with `require`).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Agent } from '../agent.js';
import { logger } from '../log.js';
import { noteExpressVersion, patchLayerProto } from './express-layer.js';
import { patchRouterProto } from './express-router.js';
import { moduleVersion } from './module-version.js';
import type { ModulePatch } from './types.js';

const EXPRESS = 'express';
const EXPRESS4_ROUTER = 'express/lib/router/index.js';
const EXPRESS4_LAYER = 'express/lib/router/layer.js';
/** Express 5's router (`router@2`); its 1.x is Express 4's router published alone. */
const ROUTER = 'router';
const ROUTER_LAYER = 'router/lib/layer.js';

function patchExpressModule(name: string, exports: any, version: string | null): any {
  switch (name) {
    case EXPRESS:
      noteExpressVersion(version);
      break;
    case EXPRESS4_ROUTER:
      patchRouterProto(exports);
      break;
    case ROUTER:
      patchRouterProto(exports?.prototype);
      break;
    case EXPRESS4_LAYER:
    case ROUTER_LAYER:
      patchLayerProto(exports?.prototype);
      break;
  }
  return exports;
}

export const EXPRESS_PATCH: ModulePatch = {
  id: 'express',
  modules: [EXPRESS, EXPRESS4_ROUTER, EXPRESS4_LAYER, ROUTER, ROUTER_LAYER],
  patch(exports, info) {
    return patchExpressModule(info.name, exports, info.version);
  },
};

const require = createRequire(import.meta.url);

const LOADED: ReadonlyArray<readonly [suffix: string, name: string]> = [
  ['/node_modules/express/index.js', EXPRESS],
  ['/node_modules/express/lib/router/index.js', EXPRESS4_ROUTER],
  ['/node_modules/express/lib/router/layer.js', EXPRESS4_LAYER],
  ['/node_modules/router/index.js', ROUTER],
  ['/node_modules/router/lib/layer.js', ROUTER_LAYER],
];

/**
 * Instruments every copy of Express already loaded (idempotent). Routes declared after this
 * call are named from their templates; mounts declared before it from what they match.
 */
export function instrumentLoadedExpress(agent: Agent): void {
  if (!agent.config.active || agent.config.disableInstrumentations.includes('express')) return;
  try {
    const cache = require.cache;
    for (const file of Object.keys(cache)) {
      for (const [suffix, name] of LOADED) {
        if (!file.endsWith(suffix)) continue;
        const version = name === EXPRESS ? moduleVersion(dirname(file)) : null;
        patchExpressModule(name, cache[file]?.exports, version);
      }
    }
  } catch (err) {
    logger.once('warn', 'express:loaded', `could not instrument the loaded Express: ${(err as Error)?.message ?? err}`);
  }
}
