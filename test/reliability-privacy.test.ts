/**
 * Nothing leaked: a real Express app (under --import @sightline/agent/register, request
 * bodies captured) gets known secrets in every place an app meets them — the Authorization
 * header, a cookie, a `password` query parameter, `token` fields in JSON and form bodies, a
 * SQL literal, credentials in an outbound URL, a set-cookie and an API-key response header —
 * and ships to a real collector. None of them appears in anything the query API returns,
 * nor anywhere in the bytes of the SQLite database and its WAL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '@sightline/collector';

const FIXTURES = fileURLToPath(new URL('../packages/agent/test/fixtures/reliability/', import.meta.url));
const secret = (where: string): string => `sl-${where}-${randomBytes(8).toString('hex')}`;
const SECRETS = {
  authorization: secret('authz'),
  cookie: secret('cookie'),
  query: secret('query'),
  jsonToken: secret('jsontoken'),
  jsonNested: secret('jsonnested'),
  formToken: secret('formtoken'),
  sql: secret('sql'),
  urlCredentials: secret('urlcred'),
};

let dir: string;
let collector: RunningCollector;
let upstream: Server;
let app: ChildProcess;
let appUrl: string;
let appStderr = '';

async function api(path: string): Promise<any> {
  const res = await fetch(`${collector.url}${path}`);
  expect(res.status, path).toBe(200);
  return res.json();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sightline-privacy-'));
  collector = await startCollector({ port: 0, db: join(dir, 'privacy.db'), flushIntervalMs: 20 });
  upstream = createServer((req, res) => res.end('upstream ok'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as { port: number }).port;
  app = spawn(process.execPath, ['--import', '@sightline/agent/register', join(FIXTURES, 'privacy-app.mjs')], {
    cwd: FIXTURES,
    env: {
      ...process.env,
      SIGHTLINE_SERVICE_NAME: 'privacy',
      SIGHTLINE_SERVER_URL: collector.url,
      SIGHTLINE_FLUSH_INTERVAL: '50ms',
      SIGHTLINE_METRICS_INTERVAL: '0',
      SIGHTLINE_CAPTURE_BODY: 'all',
      UPSTREAM_URL: `http://admin:${SECRETS.urlCredentials}@127.0.0.1:${upstreamPort}/`,
      SECRET_SQL: SECRETS.sql,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  app.stderr!.on('data', (chunk) => (appStderr += chunk));
  const [port] = await Promise.race([once(app.stdout!, 'data'), once(app, 'exit').then(() => Promise.reject(new Error(`app exited: ${appStderr}`)))]);
  appUrl = `http://127.0.0.1:${String(port).trim()}`;
});

afterAll(async () => {
  app?.kill('SIGKILL');
  await collector?.close();
  upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('privacy: secrets planted everywhere never reach the collector', () => {
  it('redacts headers, cookies, query strings, bodies, SQL literals and URL credentials by default', async () => {
    const headers = { authorization: `Bearer ${SECRETS.authorization}`, cookie: `sid=${SECRETS.cookie}; theme=dark` };
    const json = await fetch(`${appUrl}/login?user=ann&password=${SECRETS.query}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'ann', token: SECRETS.jsonToken, profile: { password: SECRETS.jsonNested } }),
    });
    expect(json.status).toBe(500);
    const form = await fetch(`${appUrl}/login?user=ann`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: `user=ann&token=${SECRETS.formToken}&password=${SECRETS.formToken}`,
    });
    expect(form.status).toBe(500);

    // Wait (bounded) until both requests, their spans and their errors are stored.
    let traces: any[] = [];
    for (let i = 0; i < 100; i++) {
      const list = await api('/api/v1/traces?service=privacy');
      traces = await Promise.all(list.items.map((t: any) => api(`/api/v1/traces/${t.trace_id ?? t.traceId}`)));
      if (traces.length === 2 && traces.every((t) => t.errors.length === 1 && t.spans.length >= 2)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(traces).toHaveLength(2);
    const groups = await api('/api/v1/errors?service=privacy');
    const details = await Promise.all(groups.items.map((g: any) => api(`/api/v1/errors/${g.groupId}`)));
    const everything = JSON.stringify({
      services: await api('/api/v1/services'),
      groups: await api('/api/v1/services/privacy/transactions'),
      traces,
      errorGroups: groups,
      details,
    });

    // The data is there (so the search below means something), with the secrets redacted.
    expect(everything).toContain('[REDACTED]');
    expect(everything).toContain('POST /login');
    expect(everything).toMatch(/SELECT name FROM users WHERE password = \?/);
    expect(everything).toContain('theme');
    for (const [where, value] of Object.entries(SECRETS)) expect(everything.includes(value), `${where} secret in the API output`).toBe(false);

    await collector.close();
    const files = ['privacy.db', 'privacy.db-wal'].map((f) => join(dir, f)).filter(existsSync);
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(bytes.includes('POST /login')).toBe(true);
    for (const [where, value] of Object.entries(SECRETS)) expect(bytes.includes(value), `${where} secret in the database file`).toBe(false);
    expect(appStderr).not.toMatch(/Unhandled|TypeError/);
  });
});
