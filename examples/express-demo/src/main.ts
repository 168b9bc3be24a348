/**
 * The Express demo: `app.use(sightline())` first, then the routes. The database driver is
 * loaded after the agent has started (openPeople requires it), so its queries are spans.
 *
 *   node dist/main.js   (PORT, SIGHTLINE_SERVER_URL, DEMO_UPSTREAM_URL, DATABASE_URL from the environment)
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { sightline } from '@sightline/express';
import { close } from '@sightline/agent';
import {
  announceReady,
  callUpstream,
  closeServer,
  faultFromEnv,
  onShutdown,
  openPeople,
  peopleOptionsFromEnv,
  skewedDelayMs,
  sleep,
} from '@sightline/demo-kit';
import { orderTotal } from './orders.js';

const SERVICE = 'express-demo';
const app = express();
app.use(sightline({ serviceName: SERVICE }));

const people = await openPeople(peopleOptionsFromEnv(process.env, SERVICE));
const fault = faultFromEnv(process.env, SERVICE);
const upstreamUrl = process.env.DEMO_UPSTREAM_URL ?? 'http://127.0.0.1:8300';

app.get('/', (_req, res) => {
  res.json({ service: SERVICE, routes: ['/delay', '/upstream', '/5xx', '/sql-write', '/sql-read', '/sql-group'] });
});

app.get('/delay', async (_req, res) => {
  const ms = skewedDelayMs();
  await sleep(ms);
  res.json({ delayedMs: ms });
});

app.get('/upstream', async (_req, res) => {
  const answer = await callUpstream(upstreamUrl);
  res.status(answer.status === 200 ? 200 : answer.status === 404 ? 404 : 502).json({ upstream: answer.status, body: answer.body });
});

app.get('/5xx', (req, res) => {
  const id = typeof req.query.order === 'string' ? req.query.order : 'A-9999';
  res.json({ order: id, total: orderTotal(id) });
});

app.get('/sql-write', async (_req, res) => {
  res.json({ inserted: await people.insertFive() });
});

app.get('/sql-read', async (_req, res) => {
  res.json({ people: await people.readRecent() });
});

app.get('/sql-group', async (_req, res) => {
  const extraMs = fault.extraMs('sql-group');
  if (extraMs > 0) await people.stall(extraMs);
  res.json({ cities: await people.countByCity() });
});

// Answers errors itself (Express's own handler would print every stack to stderr); the
// agent has already recorded them by the time this runs.
app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
  res.status(500).json({ error: err.message });
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => announceReady(SERVICE, server));
onShutdown(async () => {
  await closeServer(server);
  await people.close();
  await close();
});
