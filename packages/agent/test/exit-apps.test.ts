/**
 * Real apps in child processes, against the built agent: an ESM app started with
 * `--import @sightline/agent/register` and a CommonJS app that calls start() first, each
 * making every kind of exit call in one transaction (pg Client and Pool, mysql2,
 * better-sqlite3, node:http, undici, fetch); and an app that loaded a library before the
 * agent started, which gets one warning naming it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream, expectLinked, shipped, traceOf, traceparentOf } from './helpers/exit-spans.js';
import { IntakeServer } from './helpers/intake-server.js';
import { MARIADB_URL, POSTGRES_URL, serviceTestsRun } from './helpers/services.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/exit/', import.meta.url));
const runPg = await serviceTestsRun('postgres');
const runMysql = await serviceTestsRun('mariadb');
const intake = new IntakeServer();
const upstream = new Upstream();
const dir = mkdtempSync(join(tmpdir(), 'sightline-exit-apps-'));

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../dist/register.js', import.meta.url)))) {
    throw new Error('build the agent first: npx tsc -b packages/agent');
  }
  await intake.start();
  await upstream.start();
});

afterAll(async () => {
  await Promise.all([intake.close(), upstream.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function runApp(file: string, nodeArgs: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SIGHTLINE_SERVER_URL: intake.url,
    SIGHTLINE_SERVICE_NAME: 'exit-app',
    SIGHTLINE_SPAN_COMPRESSION_ENABLED: 'false',
    SIGHTLINE_METRICS_INTERVAL: '0',
    UPSTREAM_URL: `http://127.0.0.1:${upstream.port}`,
    SQLITE_FILE: join(dir, `${file}.db`),
    POSTGRES_URL: runPg ? POSTGRES_URL : '',
    MARIADB_URL: runMysql ? MARIADB_URL : '',
  };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [...nodeArgs, join(FIXTURES, file)], { cwd: FIXTURES, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function checkApp(label: 'esm' | 'cjs', stdout: string): void {
  const { txId } = JSON.parse(stdout.trim().split('\n').pop()!);
  const { tx, spans } = traceOf(intake, txId);
  expectLinked(spans, tx);
  const names = spans.map((s) => `${s.subtype} ${s.name}`);
  const host = `127.0.0.1:${upstream.port}`;
  const expected = [
    ...(runPg ? ['postgresql SELECT', 'postgresql SELECT'] : []),
    ...(runMysql ? ['mysql SELECT'] : []),
    'sqlite CREATE TABLE t',
    'sqlite INSERT INTO t',
    `http GET ${host}`,
    `http GET ${host}`,
    `http GET ${host}`,
  ];
  expect(names).toEqual(expected);
  const http = spans.filter((s) => s.subtype === 'http');
  for (const [i, path] of [`/${label}/http`, `/${label}/undici`, `/${label}/fetch`].entries()) {
    expect(upstream.saw(path).traceparent).toBe(traceparentOf(http[i]!));
  }
  if (runPg) expect(spans[1]!.context.db.statement).toBe('SELECT $1::text AS pool');
  if (runPg) expect(spans[0]!.context.db.statement).toBe('SELECT ? AS client');
}

describe('apps in child processes', () => {
  it('instruments an ESM app started with --import @sightline/agent/register', async () => {
    const { code, stdout, stderr } = await runApp('app.mjs', ['--import', '@sightline/agent/register']);
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain('was loaded before the agent started');
    checkApp('esm', stdout);
  });

  it('instruments a CommonJS app that calls start() before loading its libraries', async () => {
    const { code, stdout, stderr } = await runApp('app.cjs');
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain('was loaded before the agent started');
    checkApp('cjs', stdout);
  });

  it('warns once, naming the module, when a library was loaded before the agent; the app still works', async () => {
    const { code, stdout, stderr } = await runApp('preloaded.cjs');
    expect(code, stderr).toBe(0);
    const warnings = stderr.split('\n').filter((l) => l.includes('was loaded before the agent started'));
    expect(warnings).toEqual([
      '[sightline] warn: better-sqlite3 was loaded before the agent started, so it is not instrumented. Start the agent first: node --import @sightline/agent/register app.js',
    ]);
    const { txId } = JSON.parse(stdout.trim());
    const { tx, spans } = traceOf(intake, txId);
    expect(tx.name).toBe('preloaded app');
    expect(spans).toEqual([]);
    expect(shipped(intake, 'span').filter((s) => s.transaction_id === txId)).toEqual([]);
  });
});
