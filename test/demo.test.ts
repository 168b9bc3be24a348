/**
 * The demo, end to end: the real `pnpm demo` runner (a short load, the collector on a free
 * port, a temporary folder for sightline.db) starts the collector, the upstream and both
 * demo apps; everything a newcomer is promised to see in the UI is then read back through
 * the query API: every route of both apps, the /5xx error with its .ts frame and source
 * line, SQL spans with their statements, and a trace across a demo app and the upstream.
 * Ctrl-C (SIGINT) then stops the whole stack, exit code 0, nothing left listening.
 * Once on SQLite, and once on PostgreSQL (DATABASE_URL) in a schema of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ROUTES, dropPostgresSchema } from '@sightline/demo-kit';

const RUNNER = fileURLToPath(new URL('../examples/demo-kit/dist/run.js', import.meta.url));
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const APPS = ['express-demo', 'fastify-demo'] as const;
const ROUTE_NAMES = DEMO_ROUTES.map((r) => `GET ${r}`).sort();
/** The line of examples/*-demo/src/orders.ts that throws on /5xx. */
const THROWING_LINE = 'return order.lines.reduce((sum, line) => sum + line.price * line.quantity, 0);';
function throwingLineNumber(service: string): number {
  const source = readFileSync(new URL(`../examples/${service}/src/orders.ts`, import.meta.url), 'utf8');
  return source.split('\n').findIndex((line) => line.trim() === THROWING_LINE) + 1;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

const pgUp = await reachable(5432);
const pgRequired = process.env.CI === 'true';
if (!pgUp && !pgRequired) console.log('demo.test.ts: PostgreSQL is not reachable on 127.0.0.1:5432; the PostgreSQL run of the demo is skipped (it always runs when CI=true)');

/** Polls until `check` passes (the agents batch, the collector writes in batches); bounded. */
async function eventually<T>(fn: () => Promise<T>, check: (v: T) => boolean, attempts = 150): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await fn().catch(() => undefined as T);
    if (last !== undefined && check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last as T;
}

interface RunningDemo {
  runner: ChildProcess;
  output: string[];
  collectorUrl: string;
  /** Every URL the banner listed (the collector, the apps, the upstream). */
  urls: string[];
  dir: string;
}

/** Starts the runner and resolves once the load is done (the stack keeps running until SIGINT). */
async function startDemo(env: NodeJS.ProcessEnv): Promise<RunningDemo> {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-demo-test-'));
  const runner = spawn(process.execPath, [RUNNER, '--requests', '120', '--rate', '0', '--concurrency', '6', '--port', '0', '--dir', dir], {
    cwd: dir,
    env: { ...process.env, ...env, NO_COLOR: '1', SIGHTLINE_FLUSH_INTERVAL: '200ms' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const demo: RunningDemo = { runner, output, collectorUrl: '', urls: [], dir };
  runner.stderr!.on('data', (chunk) => output.push(String(chunk)));
  const lines = createInterface({ input: runner.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      output.push(line);
      const open = /Open (http:\/\/\S+)\/ui\//.exec(line);
      if (open) demo.collectorUrl = open[1]!;
      const listed = /^ {2}\S+ +(http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (listed) demo.urls.push(listed[1]!);
      if (line.startsWith('Load finished')) resolve();
    });
    runner.once('exit', (code) => reject(new Error(`the demo runner exited (${code}) early:\n${output.join('\n')}`)));
  });
  return demo;
}

async function stopDemo(demo: RunningDemo | undefined): Promise<number | null> {
  if (demo === undefined) return null;
  let code: number | null = demo.runner.exitCode;
  if (code === null) {
    const exited = once(demo.runner, 'exit');
    demo.runner.kill('SIGINT');
    const late = setTimeout(() => demo.runner.kill('SIGKILL'), 40_000);
    [code] = (await exited) as [number | null];
    clearTimeout(late);
  }
  rmSync(demo.dir, { recursive: true, force: true });
  return code;
}

function describeDemo(label: string, env: NodeJS.ProcessEnv, cleanup?: () => Promise<void>): void {
  describe(`pnpm demo (${label})`, () => {
    let demo: RunningDemo | undefined;

    async function api(path: string): Promise<any> {
      const res = await fetch(`${demo!.collectorUrl}${path}`);
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return res.json();
    }

    beforeAll(async () => {
      demo = await startDemo(env);
    }, 90_000);

    afterAll(async () => {
      const code = await stopDemo(demo);
      await cleanup?.();
      if (demo !== undefined) expect(code, demo.output.join('\n')).toBe(0);
    }, 60_000);

    it('prints the UI address and serves the UI there', async () => {
      expect(demo!.output.join('\n')).toContain(`Open ${demo!.collectorUrl}/ui/`);
      const res = await fetch(`${demo!.collectorUrl}/ui/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
    });

    it('shows every route of both apps as a transaction group', async () => {
      for (const service of APPS) {
        const groups = await eventually(
          () => api(`/api/v1/services/${service}/transactions?limit=100`),
          (g) => ROUTE_NAMES.every((name) => g.items.some((i: any) => i.name === name)),
        );
        const names = groups.items.map((i: any) => i.name).sort();
        expect(names, service).toEqual(expect.arrayContaining(ROUTE_NAMES));
        const fiveXx = groups.items.find((i: any) => i.name === 'GET /5xx');
        expect(fiveXx.errorRate, `${service} GET /5xx`).toBe(1);
      }
      const upstream = await eventually(
        () => api('/api/v1/services/demo-upstream/transactions'),
        (g) => g.items.length > 0,
      );
      expect(upstream.items.map((i: any) => i.name)).toEqual(['GET /inventory/:sku']);
    });

    it('groups the /5xx TypeError, with its frame in the .ts source and the line that threw', async () => {
      for (const service of APPS) {
        const groups = await eventually(
          () => api(`/api/v1/errors?service=${service}`),
          (g) => g.items.some((i: any) => i.type === 'TypeError'),
        );
        const group = groups.items.find((i: any) => i.type === 'TypeError');
        expect(group, service).toMatchObject({ message: "Cannot read properties of undefined (reading 'lines')" });
        expect(group.culprit).toMatch(/^orderTotal \(.*src\/orders\.ts\)$/);
        const detail = await api(`/api/v1/errors/${group.groupId}`);
        const [top] = detail.latest.exception.stacktrace;
        expect(top, service).toMatchObject({ function: 'orderTotal', filename: 'src/orders.ts', lineno: throwingLineNumber(service), library_frame: false });
        expect(top.context_line.trim()).toBe(THROWING_LINE);
        expect(top.pre_context.join('\n')).toContain('const order = orders.get(id) as Order;');
        expect(detail.latest.transaction_id, 'linked to its transaction').toMatch(/^[0-9a-f]{16}$/);
      }
    });

    it('records the SQL of /sql-write, /sql-read and /sql-group as spans with their statements', async () => {
      for (const service of APPS) {
        const statementsOf = async (route: string): Promise<string[]> => {
          const groups = await api(`/api/v1/services/${service}/transactions?limit=100`);
          const traceId = groups.items.find((i: any) => i.name === `GET ${route}`).sampleTraceId;
          const trace = await eventually(() => api(`/api/v1/traces/${traceId}`), (t) => t.spans.length > 0);
          return trace.spans.filter((s: any) => s.type === 'db').map((s: any) => s.context.db.statement);
        };
        const writes = await statementsOf('/sql-write');
        expect(writes[0], `${service} opens a transaction`).toMatch(/^BEGIN/);
        expect(writes.at(-1)).toBe('COMMIT');
        expect(writes.some((s) => /^INSERT INTO people \(name, city\) VALUES/.test(s)), `${service}: ${writes}`).toBe(true);
        const reads = await statementsOf('/sql-read');
        expect(reads.some((s) => /^SELECT id, name, city FROM people ORDER BY id DESC LIMIT/.test(s)), `${service}: ${reads}`).toBe(true);
        const grouped = await statementsOf('/sql-group');
        expect(grouped.some((s) => /^SELECT city, COUNT\(\*\) AS count FROM people GROUP BY city/.test(s)), `${service}: ${grouped}`).toBe(true);
      }
    });

    it('follows /upstream into demo-upstream: one trace, two services', async () => {
      for (const service of APPS) {
        const groups = await api(`/api/v1/services/${service}/transactions?limit=100`);
        const traceId = groups.items.find((i: any) => i.name === 'GET /upstream').sampleTraceId;
        const trace = await eventually(() => api(`/api/v1/traces/${traceId}`), (t) => t.transactions.length === 2);
        const byService = Object.fromEntries(trace.transactions.map((t: any) => [t.service.name, t]));
        expect(Object.keys(byService).sort()).toEqual(['demo-upstream', service].sort());
        const call = trace.spans.find((s: any) => s.type === 'external' && s.transaction_id === byService[service].id);
        expect(call, 'the outgoing call is a span').toBeDefined();
        expect(byService['demo-upstream'].parent_id, 'the upstream continues from that span').toBe(call.id);
      }
    });

    it('stops everything on Ctrl-C (SIGINT): exit code 0, nothing left listening', async () => {
      const ports = demo!.urls.map((u) => Number(new URL(u).port));
      expect(ports.length).toBe(4);
      const code = await stopDemo(demo);
      const output = demo!.output.join('\n');
      demo = undefined;
      expect(code, output).toBe(0);
      expect(output).toContain('Stopped.');
      for (const port of ports) expect(await reachable(port), `port ${port}`).toBe(false);
    }, 60_000);
  });
}

describeDemo('SQLite', { DATABASE_URL: '' });

const schema = `demo_test_${process.pid}_${Date.now().toString(36)}`;
if (pgUp || pgRequired) {
  describeDemo('PostgreSQL', { DATABASE_URL: PG_URL, DEMO_PG_SCHEMA: schema }, () => dropPostgresSchema(PG_URL, schema));
}
