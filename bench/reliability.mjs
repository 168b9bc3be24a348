#!/usr/bin/env node
// Reliability figures for docs/reliability.md: an instrumented app (the fixture of the fault
// tests, a real child process) under load for a fixed time while the collector misbehaves,
// against the healthy case. Prints one row per scenario: requests completed, throughput
// ratio, the agent's counters (accepted / sent / dropped by cause), peak events held and
// peak RSS. Not part of the test run.
//
//   npx tsc -b packages/agent && node bench/reliability.mjs [--seconds 3] [--concurrency 16] [--queue 2048]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, createServer, get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '16' }, queue: { type: 'string', default: '2048' } },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const QUEUE = Number(values.queue);
const APP = fileURLToPath(new URL('../packages/agent/test/fixtures/reliability/app.mjs', import.meta.url));
const EXPECTED = JSON.stringify({ ok: true, sum: 1999000 });

/** A scripted intake: `mode(n)` says how to answer the n-th request. */
function intake(mode) {
  let n = 0;
  let events = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const how = mode(n++);
      if (how === 'hang') return;
      if (how === 'destroy') return void req.socket.destroy();
      const { status = 202, delayMs = 0, headers = {} } = how;
      setTimeout(() => {
        if (status === 202) events += gunzipSync(Buffer.concat(chunks)).toString().split('\n').filter(Boolean).length - 1;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify({ accepted: 0 }));
      }, delayMs);
    });
  });
  return {
    async start(port = 0) {
      await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
      return server.address().port;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
    get events() {
      return events;
    },
  };
}

function fetchText(url, agent) {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

async function startApp(port, env = {}) {
  const child = spawn(process.execPath, [APP], {
    cwd: fileURLToPath(new URL('../packages/agent/test/', import.meta.url)),
    env: { ...process.env, SIGHTLINE_SERVICE_NAME: 'bench', SIGHTLINE_SERVER_URL: `http://127.0.0.1:${port}`, SIGHTLINE_MAX_QUEUE_SIZE: String(QUEUE), SIGHTLINE_METRICS_INTERVAL: '0', SIGHTLINE_IGNORE_URLS: '/stats', SIGHTLINE_LOG_LEVEL: 'off', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [appPort] = await once(child.stdout, 'data');
  return { child, url: `http://127.0.0.1:${String(appPort).trim()}` };
}

/** Requests completed in SECONDS by CONCURRENCY keep-alive clients (bounded by time). */
async function load(url) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const end = performance.now() + SECONDS * 1000;
  let ok = 0;
  let wrong = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const res = await fetchText(`${url}/work`, agent);
        if (res.status === 200 && res.body === EXPECTED) ok++;
        else wrong++;
      }
    }),
  );
  agent.destroy();
  return { ok, wrong };
}

async function stats(url) {
  const agent = new Agent();
  const s = JSON.parse((await fetchText(`${url}/stats`, agent)).body);
  agent.destroy();
  return s;
}

const SCENARIOS = [
  ['healthy', () => ({})],
  ['collector down (connection refused)', 'down'],
  ['500 on every request', () => ({ status: 500 })],
  ['503 with Retry-After: 1', () => ({ status: 503, headers: { 'retry-after': '1' } })],
  ['429 with Retry-After: 1', () => ({ status: 429, headers: { 'retry-after': '1' } })],
  ['413 on every request', () => ({ status: 413 })],
  ['connection reset on every request', () => 'destroy'],
  ['5 s per answer', () => ({ delayMs: 5000 })],
  ['no answer (server timeout 1 s)', () => 'hang', { SIGHTLINE_SERVER_TIMEOUT: '1s' }],
];

const rows = [];
let healthy = 0;
for (const [name, mode, env] of SCENARIOS) {
  const server = intake(mode === 'down' ? () => ({}) : mode);
  let port = await server.start();
  if (mode === 'down') {
    await server.close();
  }
  const app = await startApp(port, env);
  await load(app.url); // warm-up, same length
  const before = await stats(app.url);
  const { ok, wrong } = await load(app.url);
  const s = await stats(app.url);
  if (name === 'healthy') healthy = ok;
  const t = s.transport;
  rows.push({
    scenario: name,
    requests: ok,
    wrongAnswers: wrong,
    throughputRatio: Math.round((ok / healthy) * 100) / 100,
    accepted: t.accepted,
    sent: t.sent,
    droppedQueueFull: t.droppedQueueFull,
    droppedFailed: t.droppedFailed,
    heldAtEnd: t.queued,
    peakHeld: s.peakQueued,
    queueLimit: QUEUE,
    rssMB: Math.round(before.rss / 1e5) / 10,
    peakRssMB: Math.round(s.peakRss / 1e5) / 10,
  });
  app.child.kill('SIGKILL');
  await once(app.child, 'exit');
  if (mode !== 'down') await server.close();
}
console.log(`Node ${process.version}, ${SECONDS} s per scenario after a ${SECONDS} s warm-up, ${CONCURRENCY} clients, maxQueueSize ${QUEUE}`);
console.table(rows);
