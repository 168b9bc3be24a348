/**
 * An instrumented app (a real child process) under collector faults: down at start, down
 * mid-stream and back, 500/503, 429 with Retry-After, 413, connection resets, 5 s answers,
 * no answer at all. In every case the app's answers are unchanged and it is not blocked
 * (a loose throughput bound here; bench/reliability.mjs measures the ratio), nothing reaches
 * the app as an unhandled rejection, the agent holds at most maxQueueSize events, what it
 * held is delivered once the collector is back (or counted as dropped, by cause), and each
 * cause is logged once, not per event. Every loop is bounded in count and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent as HttpAgent, get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntakeServer, type Reply } from './helpers/intake-server.js';

const APP = fileURLToPath(new URL('./fixtures/reliability/app.mjs', import.meta.url));
const MAX_QUEUE = 400;
const REQUESTS = 240;
const CONCURRENCY = 8;
const EXPECTED_BODY = JSON.stringify({ ok: true, sum: 1999000 });

interface App {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

const apps = new Set<App>();
const servers = new Set<IntakeServer>();

async function startApp(serverUrl: string, env: Record<string, string> = {}): Promise<App> {
  const child = spawn(process.execPath, [APP], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: {
      ...process.env,
      SIGHTLINE_SERVICE_NAME: 'reliability',
      SIGHTLINE_SERVER_URL: serverUrl,
      SIGHTLINE_MAX_QUEUE_SIZE: String(MAX_QUEUE),
      SIGHTLINE_FLUSH_INTERVAL: '50ms',
      SIGHTLINE_METRICS_INTERVAL: '0',
      SIGHTLINE_IGNORE_URLS: '/stats',
      SIGHTLINE_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (chunk) => (err += chunk));
  const [port] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => [null])])) as [Buffer | null];
  if (port === null) throw new Error(`app exited: ${err}`);
  const app: App = {
    url: `http://127.0.0.1:${String(port).trim()}`,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
  };
  apps.add(app);
  return app;
}

async function startIntake(port = 0): Promise<IntakeServer> {
  const server = new IntakeServer();
  await server.start(port);
  servers.add(server);
  return server;
}

async function stopIntake(server: IntakeServer): Promise<void> {
  servers.delete(server);
  await server.close();
}

function fetchText(url: string, agent: HttpAgent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('app did not answer within 10 s')));
    req.on('error', reject);
  });
}

/** `count` requests, `CONCURRENCY` at a time; returns how many came back unchanged and how long it took. */
async function load(app: App, count = REQUESTS): Promise<{ ok: number; wrong: string[]; durationMs: number }> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY });
  const started = performance.now();
  let next = 0;
  let ok = 0;
  const wrong: string[] = [];
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const res = await fetchText(`${app.url}/work`, agent);
      if (res.status === 200 && res.body === EXPECTED_BODY) ok++;
      else wrong.push(`${res.status} ${res.body.slice(0, 100)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  agent.destroy();
  return { ok, wrong, durationMs: performance.now() - started };
}

async function stats(app: App): Promise<any> {
  const agent = new HttpAgent();
  try {
    return JSON.parse((await fetchText(`${app.url}/stats`, agent)).body);
  } finally {
    agent.destroy();
  }
}

/** Polls the app's stats until nothing is held (bounded); returns the last stats. */
async function settled(app: App, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last = await stats(app);
  while (last.transport.queued > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await stats(app);
  }
  return last;
}

function warnings(app: App): string[] {
  return app.stderr().split('\n').filter((line) => line.startsWith('[sightline] warn'));
}

/** What every scenario must show once the fault is over. */
function expectHealthyOutcome(app: App, server: IntakeServer, result: Awaited<ReturnType<typeof load>>, s: any): void {
  expect(result.wrong).toEqual([]);
  expect(result.ok).toBe(REQUESTS);
  expect(app.stderr()).not.toContain('APP-UNHANDLED');
  expect(app.child.exitCode).toBeNull();
  const t = s.transport;
  expect(s.peakQueued).toBeLessThanOrEqual(MAX_QUEUE);
  expect(t.queued).toBe(0);
  // Queue-full drops were never accepted; every accepted event was sent or dropped for a counted cause.
  expect(t.sent + t.dropped - t.droppedQueueFull).toBe(t.accepted);
  expect(t.dropped).toBe(t.droppedQueueFull + t.droppedFailed + t.droppedUnserializable + t.droppedClosed);
  expect(server.events.length).toBe(t.sent);
  const lines = warnings(app);
  expect(new Set(lines).size, `each warning once: ${lines.join(' | ')}`).toBe(lines.length);
  expect(lines.length).toBeLessThanOrEqual(3);
}

const figures: Array<Record<string, unknown>> = [];
let healthyMs = 0;

function record(name: string, result: Awaited<ReturnType<typeof load>>, s: any): void {
  const t = s.transport;
  const row = {
    scenario: name,
    accepted: t.accepted,
    sent: t.sent,
    droppedQueueFull: t.droppedQueueFull,
    droppedFailed: t.droppedFailed,
    peakQueued: s.peakQueued,
    peakRssMB: Math.round(s.peakRss / 1e5) / 10,
    throughputRatio: healthyMs > 0 ? Math.round((healthyMs / result.durationMs) * 100) / 100 : 1,
  };
  figures.push(row);
}

beforeAll(async () => {
  // The healthy case first: the reference for the throughput ratio.
  const server = await startIntake();
  const app = await startApp(server.url);
  await load(app, 40); // warm-up
  const result = await load(app);
  healthyMs = result.durationMs;
  const s = await settled(app);
  expectHealthyOutcome(app, server, result, s);
  expect(s.transport.dropped).toBe(0);
  record('healthy', result, s);
  await app.stop();
  await stopIntake(server);
});

afterAll(async () => {
  console.table(figures);
  await Promise.all([...apps].map((a) => a.stop()));
  await Promise.all([...servers].map((s) => s.close()));
});

describe('the app under collector faults', () => {
  const scripted: Array<[string, Reply[], Record<string, string>]> = [
    ['500 then 503', [500, 503], {}],
    ['429 with Retry-After: 1', [{ status: 429, headers: { 'retry-after': '1' } }], {}],
    ['413 (batch too large)', [413, 413], {}],
    ['connections reset', ['destroy', 'destroy'], {}],
    ['a 5 s answer', [{ status: 202, delayMs: 5000 }], {}],
    ['no answer at all (serverTimeout 1 s)', ['hang', 'hang'], { SIGHTLINE_SERVER_TIMEOUT: '1s' }],
  ];

  it.each(scripted)('%s: answers unchanged, nothing lost (queue-full drops counted), one warning per cause', async (name, replies, env) => {
    const server = await startIntake();
    server.reply(...replies);
    const app = await startApp(server.url, env);
    const result = await load(app);
    const s = await settled(app);
    record(name, result, s);
    expectHealthyOutcome(app, server, result, s);
    // Every failure here is one the agent retries through: nothing is given up.
    expect(s.transport.droppedFailed).toBe(0);
    if (name !== 'a 5 s answer') expect(s.transport.failedRequests).toBeGreaterThan(0);
    // Blocking would show as a collapse; the ratio itself is measured by bench/reliability.mjs.
    expect(healthyMs / result.durationMs).toBeGreaterThan(0.2);
    await app.stop();
    await stopIntake(server);
  });

  it('down at start, then up: held events are delivered, drops counted by cause', async () => {
    const probe = await startIntake();
    const port = Number(new URL(probe.url).port);
    await stopIntake(probe);
    const app = await startApp(`http://127.0.0.1:${port}`);
    const result = await load(app);
    const during = await stats(app);
    expect(during.transport.sent).toBe(0);
    expect(during.transport.queued).toBeGreaterThan(0);
    expect(during.transport.queued).toBeLessThanOrEqual(MAX_QUEUE);
    const server = await startIntake(port);
    const s = await settled(app, 20_000);
    record('down at start', result, s);
    expectHealthyOutcome(app, server, result, s);
    // More events than the queue holds were made while it was down: the rest are counted, not held.
    expect(s.transport.sent).toBeGreaterThan(0);
    expect(s.transport.accepted).toBeLessThanOrEqual(MAX_QUEUE);
    expect(s.transport.droppedQueueFull).toBe(2 * REQUESTS - s.transport.accepted);
    expect(warnings(app).some((w) => /cannot deliver events/.test(w))).toBe(true);
    expect(warnings(app).some((w) => /queue is full/.test(w))).toBe(true);
    await app.stop();
  });

  it('down mid-stream and restarted on the same port: delivery resumes', async () => {
    let server = await startIntake();
    const port = Number(new URL(server.url).port);
    const app = await startApp(server.url);
    const first = await load(app, REQUESTS / 2);
    await settled(app);
    const before = server.events.length;
    await stopIntake(server);
    const second = await load(app, REQUESTS / 2);
    server = await startIntake(port);
    const s = await settled(app, 20_000);
    const result = { ok: first.ok + second.ok, wrong: [...first.wrong, ...second.wrong], durationMs: first.durationMs + second.durationMs };
    record('down mid-stream, restarted', result, s);
    expect(result.wrong).toEqual([]);
    expect(result.ok).toBe(REQUESTS);
    expect(s.peakQueued).toBeLessThanOrEqual(MAX_QUEUE);
    expect(s.transport.queued).toBe(0);
    expect(before + server.events.length).toBe(s.transport.sent);
    expect(server.events.length).toBeGreaterThan(0);
    expect(app.stderr()).not.toContain('APP-UNHANDLED');
    await app.stop();
  });
});
