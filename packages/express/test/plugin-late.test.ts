/**
 * Regression: routers declared before `sightline()` ran (Express 4 keeps only the compiled
 * RegExp of a mount) are still named by template, not by the URL they matched.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express4';
import { close, flush } from '@sightline/agent';
import { afterAll, expect, test } from 'vitest';
import { IntakeServer } from '../../agent/test/helpers/intake-server.js';
import { sightline } from '../src/index.js';

// Declared at import time, before the agent exists.
const members = express.Router({ mergeParams: true });
members.get('/members/:memberId', (req: any, res: any) => res.json({ org: req.params.orgId, member: req.params.memberId }));
const orgs = express.Router();
orgs.use('/orgs/:orgId', members);
orgs.use('/static', members);

const intake = new IntakeServer();
afterAll(async () => {
  await close();
  await intake.close();
});

test('mounts declared before the agent: GET /early/orgs/:orgId/members/:memberId, never the ids', async () => {
  await intake.start();
  const app = express();
  app.use(sightline({ serverUrl: intake.url, flushIntervalMs: 20, metricsIntervalMs: 0, captureExceptions: false, ignoreUrls: ['/intake/*'] }));
  app.use('/early', orgs);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const path of ['/early/orgs/3/members/4', '/early/orgs/77/members/4', '/early/static/members/5']) {
    expect((await fetch(base + path)).status).toBe(200);
  }
  for (let i = 0; i < 200 && intake.events.filter((e) => e.kind === 'transaction').length < 3; i++) {
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  server.closeAllConnections();
  server.close();
  const names = intake.events.filter((e) => e.kind === 'transaction').map((e) => e.event.name);
  expect(names).toEqual([
    'GET /early/orgs/:orgId/members/:memberId',
    'GET /early/orgs/:orgId/members/:memberId',
    'GET /early/static/members/:memberId',
  ]);
});
