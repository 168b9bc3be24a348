/**
 * @sightline/express — Sightline APM for Express 4 and 5, for apps that start the agent in
 * code rather than with `node --import @sightline/agent/register`:
 *
 *   import { sightline } from '@sightline/express';
 *   app.use(sightline({ serviceName: 'shop' }));   // before the routes
 *
 * Every request becomes a transaction named after its route (`GET /users/:id`), errors on
 * Express's error path are reported once, and nothing the app answers changes. With the
 * register entry as well, both share the request's one transaction.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigOptions } from '@sightline/agent';
import {
  getAgent,
  instrumentLoadedExpress,
  logger,
  requestTransaction,
  runWithActive,
  startAgent,
  startRequestTransaction,
} from '@sightline/agent/integration';

/** The agent's options (see the agent's configuration docs); used only if the agent is not running yet. */
export type SightlineExpressOptions = ConfigOptions;

/** An Express middleware (typed on node:http so that Express 4 and 5 types both accept it). */
export type SightlineMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Starts the agent if it is not running (with `options`), instruments the Express already
 * loaded, and returns the middleware to `app.use()` first. Start-up misconfiguration throws
 * a coded `SightlineError`; the middleware itself never throws.
 */
export function sightline(options?: SightlineExpressOptions): SightlineMiddleware {
  let agent = getAgent();
  // instrumentLoadedExpress below patches an Express loaded before the agent: no warning for it.
  if (agent === null) agent = startAgent(options, ['express', 'router']);
  else if (options !== undefined && Object.keys(options).length > 0) {
    logger.once(
      'warn',
      'express:options',
      'the agent was already running (started by --import @sightline/agent/register or start()), so the options given to sightline() are ignored',
    );
  }
  instrumentLoadedExpress(agent);
  const running = agent;
  const active = running.config.active;

  return function sightlineMiddleware(req, res, next) {
    // The node:http instrumentation has normally started the transaction already; when it
    // is disabled, the request's transaction starts here and the rest of the request runs in it.
    if (active && requestTransaction(req) === undefined) {
      let tx = null;
      try {
        tx = startRequestTransaction(running, req, res);
      } catch {
        tx = null;
      }
      if (tx !== null) return runWithActive(tx, next);
    }
    next();
  };
}

export default sightline;
