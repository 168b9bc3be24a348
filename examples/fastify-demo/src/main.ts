/**
 * The Fastify demo: the Sightline plugin registered first, then the routes. The database
 * driver is loaded after the agent has started (openPeople requires it), so its queries are
 * spans.
 *
 *   node dist/main.js   (PORT, SIGHTLINE_SERVER_URL, DEMO_UPSTREAM_URL, DATABASE_URL from the environment)
 */
import Fastify from 'fastify';
import { sightlinePlugin } from '@sightline/fastify';
import { close } from '@sightline/agent';
import {
  announceReady,
  callUpstream,
  faultFromEnv,
  onShutdown,
  openPeople,
  peopleOptionsFromEnv,
  skewedDelayMs,
  sleep,
} from '@sightline/demo-kit';
import { orderTotal } from './orders.js';

const SERVICE = 'fastify-demo';
const fastify = Fastify();
await fastify.register(sightlinePlugin, { serviceName: SERVICE });

const people = await openPeople(peopleOptionsFromEnv(process.env, SERVICE));
const fault = faultFromEnv(process.env, SERVICE);
const upstreamUrl = process.env.DEMO_UPSTREAM_URL ?? 'http://127.0.0.1:8300';

fastify.get('/', async () => ({ service: SERVICE, routes: ['/delay', '/upstream', '/5xx', '/sql-write', '/sql-read', '/sql-group'] }));

fastify.get('/delay', async () => {
  const ms = skewedDelayMs();
  await sleep(ms);
  return { delayedMs: ms };
});

fastify.get('/upstream', async (_request, reply) => {
  const answer = await callUpstream(upstreamUrl);
  reply.code(answer.status === 200 ? 200 : answer.status === 404 ? 404 : 502);
  return { upstream: answer.status, body: answer.body };
});

fastify.get<{ Querystring: { order?: string } }>('/5xx', async (request) => {
  const id = request.query.order ?? 'A-9999';
  return { order: id, total: orderTotal(id) };
});

fastify.get('/sql-write', async () => ({ inserted: await people.insertFive() }));

fastify.get('/sql-read', async () => ({ people: await people.readRecent() }));

fastify.get('/sql-group', async () => {
  const extraMs = fault.extraMs('sql-group');
  if (extraMs > 0) await people.stall(extraMs);
  return { cities: await people.countByCity() };
});

await fastify.listen({ port: Number(process.env.PORT ?? 3001), host: '127.0.0.1' });
announceReady(SERVICE, fastify.server);
onShutdown(async () => {
  await fastify.close();
  await people.close();
  await close();
});
