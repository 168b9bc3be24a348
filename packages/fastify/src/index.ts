/**
 * @sightline/fastify — Sightline APM for Fastify 4 and 5, as a plugin for apps that start
 * the agent in code rather than with `node --import @sightline/agent/register`:
 *
 *   import { sightlinePlugin } from '@sightline/fastify';
 *   await fastify.register(sightlinePlugin, { serviceName: 'shop' });
 *
 * Every request becomes a transaction named after its route (`GET /users/:id`, prefixes
 * included), errors thrown or sent in hooks and handlers are reported once, and nothing the
 * app answers changes. With the register entry as well, both share the request's one
 * transaction and the hooks are added once.
 */
import type { FastifyPluginCallback } from 'fastify';
import fp from 'fastify-plugin';
import { CONFIG_TABLE, type ConfigOptions } from '@sightline/agent';
import { getAgent, installFastifyHooks, logger, startAgent } from '@sightline/agent/integration';

/** The agent's options (see the agent's configuration docs); used only if the agent is not running yet. */
export type SightlineFastifyOptions = ConfigOptions;

/** The agent's options among what Fastify passes to the plugin (it may add its own, e.g. `prefix`). */
function agentOptions(options: Record<string, unknown> | undefined): ConfigOptions | undefined {
  if (options === undefined || options === null) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(options)) {
    if (Object.prototype.hasOwnProperty.call(CONFIG_TABLE, key)) (out ??= {})[key] = options[key];
  }
  return out as ConfigOptions | undefined;
}

const plugin: FastifyPluginCallback<SightlineFastifyOptions> = (fastify, options, done) => {
  const wanted = agentOptions(options as Record<string, unknown>);
  let agent = getAgent();
  if (agent === null) {
    try {
      agent = startAgent(wanted);
    } catch (err) {
      // A configuration mistake: Fastify reports it from register()/ready(), as it should.
      done(err as Error);
      return;
    }
  } else if (wanted !== undefined) {
    logger.once(
      'warn',
      'fastify:options',
      'the agent was already running (started by --import @sightline/agent/register or start()), so the options given to the plugin are ignored',
    );
  }
  installFastifyHooks(fastify, agent);
  done();
};

/** The plugin (encapsulation skipped, so its hooks see every route of the app). */
export const sightlinePlugin = fp(plugin, { name: 'sightline', fastify: '4.x || 5.x' });

export default sightlinePlugin;
