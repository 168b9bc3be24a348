/**
 * Regression: `app.use(sightline())` in an app that imported Express first (the usual way)
 * warned "express was loaded before the agent started, so it is not instrumented", although
 * the plugin instruments that Express itself and every route is named.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express5';
import { close, flush } from '@sightline/agent';
import { afterAll, expect, test } from 'vitest';
import { IntakeServer } from '../../agent/test/helpers/intake-server.js';
import { sightline } from '../src/index.js';

const intake = new IntakeServer();
afterAll(async () => {
  await close();
  await intake.close();
});

test('no "loaded before the agent" warning for the Express the plugin instruments, and its routes are named', async () => {
  await intake.start();
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  const app = express();
  try {
    app.use(sightline({ serverUrl: intake.url, flushIntervalMs: 20, metricsIntervalMs: 0, captureExceptions: false }));
  } finally {
    process.stderr.write = write;
  }
  expect(written.join('')).not.toContain('loaded before the agent');

  app.get('/things/:id', (_req, res) => void res.json({ ok: true }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  expect((await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/things/7`)).status).toBe(200);
  for (let i = 0; i < 200 && !intake.events.some((e) => e.kind === 'transaction'); i++) {
    await flush();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  server.closeAllConnections();
  server.close();
  expect(intake.events.find((e) => e.kind === 'transaction')?.event.name).toBe('GET /things/:id');
});
