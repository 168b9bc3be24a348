#!/usr/bin/env node
// The collector's CPU per event for the agent's real traffic. First captures the intake v2
// bodies (gzip NDJSON) that @sightline/agent sends from the overhead apps (bench/overhead/apps,
// 100% sampling, headers captured) into a capture-only sink; then replays them, with fresh
// trace/transaction/span ids per body, into `sightline collector` (temporary SQLite db, own
// process) of two builds in turn, A B A B, one request in flight as the agent does. Reports
// the collector's CPU (/proc/<pid>/stat, user + system) per event and events/s.
//
//   node bench/collector-intake-cpu.mjs [--a <other checkout>/packages/collector] [--b packages/collector]
//        [--scenarios fastify-hello,fastify-fetch] [--events 30000] [--rounds 3] [--prefill 0] [--cpu-prof dir]
//        [--capture-dir dir]
//
// Build first (npx tsc -b packages/collector). --prefill N writes N events (the same bodies)
// before the measured window, for the cost on a database that has grown. --capture-dir keeps
// each scenario's captured bodies there (<scenario>.json) and replays them in later runs, so
// that runs compare on the same traffic.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, 'package.json'));
const autocannon = require('autocannon');
const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: join(here, '..', 'packages', 'collector') },
    scenarios: { type: 'string', default: 'fastify-hello,fastify-fetch' },
    events: { type: 'string', default: '30000' },
    rounds: { type: 'string', default: '3' },
    prefill: { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
    'capture-dir': { type: 'string' },
  },
});
const SCENARIOS = { 'fastify-hello': ['fastify.cjs', '/'], 'fastify-fetch': ['fastify.cjs', '/fetch'], 'express-hello': ['express.cjs', '/'], 'express-fetch': ['express.cjs', '/fetch'] };
const builds = [values.a, values.b].filter(Boolean).map((dir) => join(resolve(dir), 'bin', 'sightline.js'));

function readyMessage(child) {
  return new Promise((res, rej) => {
    child.on('message', (m) => m?.cmd === 'ready' && res(m.port));
    child.once('exit', (code) => rej(new Error(`exited ${code}`)));
  });
}

/** The agent's request bodies for a few seconds of one app at 3000 req/s. */
async function capture(scenario) {
  const bodies = [];
  const sink = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url.startsWith('/intake/v2/events')) bodies.push(gunzipSync(Buffer.concat(chunks)).toString('utf8'));
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":0}');
    });
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const upstream = fork(join(here, 'overhead', 'apps', 'upstream.cjs'), [], { cwd: here });
  const upstreamPort = await readyMessage(upstream);
  const [app, path] = SCENARIOS[scenario];
  const child = fork(join(here, 'overhead', 'apps', app), [], {
    cwd: here,
    execArgv: ['--import', '@sightline/agent/register'],
    env: {
      ...process.env, NODE_ENV: 'production', BENCH_VARIANT: 'sightline', BENCH_UPSTREAM_URL: `http://127.0.0.1:${upstreamPort}`,
      SIGHTLINE_SERVER_URL: `http://127.0.0.1:${sink.address().port}`, SIGHTLINE_SERVICE_NAME: `bench-${scenario}`,
      SIGHTLINE_SAMPLE_RATE: '1', SIGHTLINE_CAPTURE_HEADERS: 'true', SIGHTLINE_LOG_LEVEL: 'error',
    },
  });
  const port = await readyMessage(child);
  await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: 20, duration: 4, overallRate: 3000 });
  await new Promise((r) => setTimeout(r, 2500));
  child.kill();
  upstream.kill();
  sink.close();
  return bodies;
}

const freshIds = (text) =>
  text.replace(/"(trace_id|id|transaction_id|parent_id)":"([0-9a-f]+)"/g, (_, key, id) => `"${key}":"${randomBytes(id.length / 2).toString('hex')}"`);
/** Timestamps moved on by `shiftUs`: replayed cycles follow each other in time, as live traffic does. */
const later = (text, shiftUs) => (shiftUs === 0 ? text : text.replace(/"timestamp":(\d+)/g, (_, us) => `"timestamp":${Number(us) + shiftUs}`));
const eventsIn = (text) => text.split('\n').filter((l) => l.trim() !== '').length - 1;

function post(url, body) {
  return new Promise((res, rej) => {
    const req = request(`${url}/intake/v2/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' } }, (r) => {
      let out = '';
      r.on('data', (c) => (out += c));
      r.on('end', () => res({ status: r.statusCode, body: out }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

const cpuUsOf = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};

async function run(bin, label, warm, measured) {
  const dir = mkdtempSync(join(tmpdir(), 'intake-cpu-'));
  const prof = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(resolve(values['cpu-prof']), label)}`] : [];
  const child = spawn(process.execPath, [...prof, bin, 'collector', '--port', '0', '--db', join(dir, 'bench.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (c) => {
      if (out === null) return;
      out += c;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        out = null;
        res(m[1]);
      }
    });
    child.once('exit', (code) => rej(new Error(`collector exited ${code}`)));
  });
  for (const body of warm) await post(url, body.gz);
  const cpuAtStart = cpuUsOf(child.pid);
  const startedAt = performance.now();
  let events = 0;
  let accepted = 0;
  for (const body of measured) {
    const r = await post(url, body.gz);
    if (r.status !== 202) throw new Error(`collector answered ${r.status}: ${r.body.slice(0, 300)}`);
    accepted += JSON.parse(r.body).accepted;
    events += body.events;
  }
  const wallS = (performance.now() - startedAt) / 1000;
  const cpuUs = cpuUsOf(child.pid) - cpuAtStart;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  if (accepted !== events) throw new Error(`accepted ${accepted} of ${events}`);
  return { cpuUsPerEvent: cpuUs / events, eventsPerS: events / wallS };
}

/** Bodies for `count` events: the capture over and over, each cycle later by the capture's span. */
function bodiesFor(texts, count, firstCycle = 0) {
  const stamps = texts.flatMap((t) => [...t.matchAll(/"timestamp":(\d+)/g)].map((m) => Number(m[1])));
  const spanUs = Math.max(...stamps) - Math.min(...stamps) + 1_000_000;
  const out = [];
  for (let i = 0, n = 0; n < count; i++) {
    const cycle = firstCycle + Math.floor(i / texts.length);
    const text = freshIds(later(texts[i % texts.length], cycle * spanUs));
    out.push({ gz: gzipSync(text), events: eventsIn(text) });
    n += out.at(-1).events;
  }
  return out;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
console.log(`Node ${process.version}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
for (const scenario of values.scenarios.split(',')) {
  const saved = values['capture-dir'] ? join(resolve(values['capture-dir']), `${scenario}.json`) : null;
  const texts = saved !== null && existsSync(saved) ? JSON.parse(readFileSync(saved, 'utf8')) : await capture(scenario);
  if (saved !== null && !existsSync(saved)) {
    mkdirSync(dirname(saved), { recursive: true });
    writeFileSync(saved, JSON.stringify(texts));
  }
  const kinds = {};
  for (const t of texts) for (const l of t.split('\n')) { const k = /^\{"(\w+)"/.exec(l)?.[1]; if (k) kinds[k] = (kinds[k] ?? 0) + 1; }
  console.log(`${scenario}: captured ${texts.length} bodies, ${JSON.stringify(kinds)}`);
  const results = builds.map(() => []);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [i, bin] of builds.entries()) {
      const warm = bodiesFor(texts, Math.max(Number(values.prefill), 1000));
      const r = await run(bin, `${scenario}-${i ? 'b' : 'a'}-${round}`, warm, bodiesFor(texts, Number(values.events), Math.ceil(warm.length / texts.length)));
      results[i].push(r);
      console.log(`  round ${round + 1} ${builds.length > 1 ? (i ? 'B' : 'A') : ''}: ${r.cpuUsPerEvent.toFixed(1)} µs CPU/event, ${Math.round(r.eventsPerS)} events/s`);
    }
  }
  for (const [i, rs] of results.entries()) {
    if (rs.length === 0) continue;
    console.log(`  ${builds.length > 1 ? (i ? 'B' : 'A') : ''} median: ${median(rs.map((r) => r.cpuUsPerEvent)).toFixed(1)} µs CPU/event, ${Math.round(median(rs.map((r) => r.eventsPerS)))} events/s`);
  }
  if (builds.length > 1 && results[0].length > 0) {
    const ratios = results[1].map((r, k) => r.cpuUsPerEvent / results[0][k].cpuUsPerEvent);
    console.log(`  CPU per event B/A by round: ${ratios.map((x) => x.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(2)})`);
  }
}
