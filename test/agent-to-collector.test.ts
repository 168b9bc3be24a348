/**
 * End to end: a real app, started with `node --import @sightline/agent/register`, ships to a
 * real collector (SQLite); the trace, its spans and the error with its source lines come back
 * through the query API and through the `sightline` CLI.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '@sightline/collector';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../packages/collector/bin/sightline.js', import.meta.url));
const APP = fileURLToPath(new URL('./fixtures/checkout-app.mjs', import.meta.url));

let dir: string;
let collector: RunningCollector;
let app: ChildProcess;
let appUrl: string;

async function api(path: string): Promise<any> {
  const res = await fetch(`${collector.url}${path}`);
  expect(res.status, path).toBe(200);
  return res.json();
}

/** Polls the query API until `check` passes: the agent batches and the collector writes in batches. */
async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, attempts = 100): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await fn();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last as T;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sightline-e2e-'));
  collector = await startCollector({ port: 0, db: join(dir, 'e2e.db'), flushIntervalMs: 20 });
  app = spawn(process.execPath, ['--import', '@sightline/agent/register', APP], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: {
      ...process.env,
      SIGHTLINE_SERVICE_NAME: 'checkout',
      SIGHTLINE_SERVER_URL: collector.url,
      SIGHTLINE_FLUSH_INTERVAL: '50ms',
      SIGHTLINE_METRICS_INTERVAL: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [port] = await once(app.stdout!, 'data');
  appUrl = `http://127.0.0.1:${String(port).trim()}`;
});

afterAll(async () => {
  app?.kill();
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent to collector', () => {
  it('ships a request, its spans and its error, which come back through the API and the CLI', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${appUrl}/checkout`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.status).toBe(500);

    const trace = await eventually(
      () => api(`/api/v1/traces/${traceId}`).catch(() => null),
      (t) => t !== null && t.transactions?.length === 1 && t.spans?.length === 2 && t.errors?.length === 1,
    );
    expect(trace.transactions[0]).toMatchObject({ name: 'GET /checkout', service: { name: 'checkout' } });
    expect(trace.spans.map((s: any) => s.name).sort()).toEqual(['load cart', 'render error page']);

    const groups = await api('/api/v1/errors?service=checkout');
    const group = groups.items.find((g: any) => /Cannot read properties of null/.test(g.message));
    expect(group).toBeDefined();
    const detail = await api(`/api/v1/errors/${group.groupId}`);
    const json = JSON.stringify(detail);
    expect(json).toContain('return cart.items.reduce((sum, item) => sum + item.price, 0);');
    expect(json).toContain('checkout-app.mjs');

    const cliTrace = await run(process.execPath, [CLI, 'trace', traceId, '--url', collector.url], { env: { ...process.env, NO_COLOR: '1' } });
    expect(cliTrace.stdout).toContain('GET /checkout');
    expect(cliTrace.stdout).toContain('load cart');

    const cliError = await run(process.execPath, [CLI, 'error', group.groupId, '--url', collector.url], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(cliError.stdout).toContain('TypeError');
    expect(cliError.stdout).toContain('return cart.items.reduce((sum, item) => sum + item.price, 0);');
  });
});
