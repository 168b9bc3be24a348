// Agent overhead: each app started fresh with no agent, with Sightline, and with the
// OpenTelemetry Node SDK, loaded by autocannon, the variants interleaved within each round.
//
//   node bench/overhead/run.mjs [--duration 10] [--warmup 3] [--rounds 3] [--only fastify-hello,express-fetch]
//                               [--variants none,sightline,otel,sightline-cap] [--node /path/to/node]
//                               [--connections 20] [--json out.json] [--rate 3000]
//   pnpm bench:overhead
//
// Sinks: the real collector (`sightline collector`, temporary SQLite db, its own process)
// receives Sightline's intake v2 batches and OTel's OTLP/HTTP JSON (/v1/traces). The
// upstream of the /fetch routes runs in its own process. Both run on the runner's Node.
// CPU per request is the app's own process.cpuUsage() over the measured window (asked over
// IPC, never over HTTP) divided by the requests answered; RSS is sampled from /proc every
// 100 ms during the measured window (the peak is reported).
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = dirname(here);
const require = createRequire(join(benchDir, 'package.json'));
const autocannon = require('autocannon');

// `pnpm bench:overhead -- --rounds 2` passes the `--` on: skip it.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    variants: { type: 'string', default: 'none,sightline,otel' },
    node: { type: 'string', default: process.execPath },
    connections: { type: 'string', default: '20' },
    json: { type: 'string' },
    'cap-per-second': { type: 'string', default: '1000' },
    sink: { type: 'string', default: 'collector' },
    // Requests a second in all (autocannon's overallRate) instead of as many as the app answers:
    // at the same rate for every variant, CPU per request compares like with like.
    rate: { type: 'string' },
    // Variant sightline-base: the agent built in another checkout (its packages/agent directory), for before/after runs.
    'base-agent': { type: 'string' },
  },
});

const DURATION_S = Number(args.duration);
const WARMUP_S = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const NODE = args.node;

/** app: the file in apps/; path: the route loaded. */
const SCENARIOS = {
  'fastify-hello': { app: 'fastify.cjs', path: '/' },
  'fastify-fetch': { app: 'fastify.cjs', path: '/fetch' },
  'fastify-sql': { app: 'fastify.cjs', path: '/sql' },
  'fastify-error': { app: 'fastify.cjs', path: '/error' },
  'express-hello': { app: 'express.cjs', path: '/' },
  'express-fetch': { app: 'express.cjs', path: '/fetch' },
  'express-sql': { app: 'express.cjs', path: '/sql' },
  'express-error': { app: 'express.cjs', path: '/error' },
};

const scenarioNames = args.only ? args.only.split(',') : Object.keys(SCENARIOS);
for (const name of scenarioNames) if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`);
const variantNames = args.variants.split(',');
const KNOWN_VARIANTS = ['none', 'sightline', 'sightline-cap', 'sightline-base', 'otel'];
if (variantNames.includes('sightline-base') && !args['base-agent']) throw new Error('sightline-base needs --base-agent <checkout>/packages/agent');
for (const v of variantNames) if (!KNOWN_VARIANTS.includes(v)) throw new Error(`unknown variant ${v}; one of ${KNOWN_VARIANTS.join(', ')}`);
if (variantNames[0] !== 'none') throw new Error('the first variant must be none: ratios are against it');

// ---------------------------------------------------------------------------------------
// Versions and the native SQLite build for the app's Node.

const appNodeVersion = execFileSync(NODE, ['-p', 'process.version + " " + process.versions.modules'], { encoding: 'utf8' }).trim();
const [nodeVersion, appAbi] = appNodeVersion.split(' ');

/**
 * The SQL routes load better-sqlite3 13 (Node-API) on Node 22 and later, and the installed
 * better-sqlite3 12 (built for the runner's Node) before that: other ABIs skip them.
 */
const appMajor = Number(nodeVersion.slice(1).split('.')[0]);
const sqlAvailable = appMajor >= 22 || appAbi === process.versions.modules;
const skipped = [];
const scenarios = scenarioNames.filter((name) => {
  if (!sqlAvailable && name.endsWith('-sql')) {
    skipped.push(`${name} (no better-sqlite3 for Node ABI ${appAbi}; see bench/overhead/README.md)`);
    return false;
  }
  return true;
});

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(join(benchDir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------------------------------
// Processes.

function forkReady(file, forkArgs, options) {
  const child = fork(file, forkArgs, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.cmd !== 'ready') return;
      child.off('exit', onExit);
      resolve({ child, port: m.port });
    };
    const onExit = (code) => reject(new Error(`${file} exited (${code}) before it was ready`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function request(child, cmd, answer) {
  const reply = new Promise((resolve) => {
    const onMessage = (m) => {
      if (m?.cmd !== answer) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
  });
  child.send({ cmd });
  return reply;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function startCollector(dir) {
  const bin = join(benchDir, 'node_modules', '@sightline', 'collector', 'bin', 'sightline.js');
  const child = spawn(process.execPath, [bin, 'collector', '--port', '0', '--db', join(dir, 'bench.db')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    // Keeps reading its output to the end: a closed pipe would kill it with EPIPE.
    child.stdout.on('data', (chunk) => {
      if (out === null) return;
      out += chunk;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        out = null;
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`the collector exited (${code}) before it listened: ${out}`)));
  });
}

/** `--sink null`: bench/sink-server.mjs, which answers every POST 202 and keeps nothing. */
async function startNullSink() {
  const child = spawn(process.execPath, [join(benchDir, 'sink-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [line] = await once(child.stdout, 'data');
  return { child, url: `http://127.0.0.1:${String(line).trim()}` };
}

/** User + system CPU of a process so far, in µs (from /proc; clock ticks of 10 ms). */
function cpuUsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function variantEnv(variant, collectorUrl, scenario) {
  const base = { ...process.env, NODE_ENV: 'production', BENCH_VARIANT: variant };
  base.BENCH_SQL = sqlAvailable ? '1' : '0';
  if (variant.startsWith('sightline')) {
    Object.assign(base, {
      SIGHTLINE_SERVER_URL: collectorUrl,
      SIGHTLINE_SERVICE_NAME: `bench-${scenario}`,
      SIGHTLINE_SAMPLE_RATE: '1',
      SIGHTLINE_CAPTURE_HEADERS: 'true',
      SIGHTLINE_LOG_LEVEL: 'error',
    });
    if (variant === 'sightline-cap') base.SIGHTLINE_MAX_TRANSACTIONS_PER_SECOND = args['cap-per-second'];
    if (variant === 'sightline-base') base.BENCH_AGENT_DIR = args['base-agent'];
  }
  if (variant === 'otel') {
    Object.assign(base, {
      BENCH_COLLECTOR_URL: collectorUrl,
      OTEL_SERVICE_NAME: `bench-${scenario}-otel`,
      // No cloud metadata probes: loopback only.
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
  }
  return base;
}

function execArgvOf(variant) {
  if (variant === 'sightline-base') return ['--import', pathToFileURL(join(args['base-agent'], 'dist', 'register.js')).href];
  if (variant.startsWith('sightline')) return ['--import', '@sightline/agent/register'];
  if (variant === 'otel') return ['--require', join(here, 'apps', 'otel.cjs')];
  return [];
}

const RATE = args.rate === undefined ? undefined : Number(args.rate);

function load(url, durationS) {
  return autocannon({ url, connections: CONNECTIONS, duration: durationS, pipelining: 1, ...(RATE ? { overallRate: RATE } : {}) });
}

async function measure(scenarioName, variant, collectorUrl, upstreamUrl, collectorPid) {
  const scenario = SCENARIOS[scenarioName];
  const env = variantEnv(variant, collectorUrl, scenarioName);
  env.BENCH_UPSTREAM_URL = upstreamUrl;
  const { child, port } = await forkReady(join(here, 'apps', scenario.app), [], {
    execPath: NODE,
    execArgv: execArgvOf(variant),
    env,
    cwd: benchDir,
  });
  try {
    const url = `http://127.0.0.1:${port}${scenario.path}`;
    if (WARMUP_S > 0) await load(url, WARMUP_S);
    const started = await request(child, 'start', 'started');
    const collectorCpuAtStart = cpuUsOf(collectorPid);
    let rssPeak = rssOf(child.pid);
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssOf(child.pid));
    }, 100);
    const result = await load(url, DURATION_S);
    clearInterval(sampler);
    const after = await request(child, 'stop', 'stopped');
    const collectorCpuUs = cpuUsOf(collectorPid) - collectorCpuAtStart;
    const sentInWindow = (after.stats?.transport?.sent ?? 0) - (started.stats?.transport?.sent ?? 0);
    rssPeak = Math.max(rssPeak, after.rss);
    const answered = result.requests.total;
    const seconds = after.wallUs / 1e6;
    return {
      scenario: scenarioName,
      variant,
      requests: answered,
      reqPerSec: answered / Math.max(seconds, 1e-9),
      p50: result.latency.p50,
      p99: result.latency.p99,
      cpuUsPerReq: (after.cpuUserUs + after.cpuSystemUs) / Math.max(answered, 1),
      rssMb: rssPeak / 2 ** 20,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
      heapUsedMb: after.heapUsed / 2 ** 20,
      heapTotalMb: after.heapTotal / 2 ** 20,
      stats: after.stats,
      // The sink's CPU over the measured window, per event the agent delivered in it.
      collectorCpuUsPerEvent: sentInWindow > 0 ? collectorCpuUs / sentInWindow : null,
      collectorCpuShare: collectorCpuUs / Math.max(after.wallUs, 1),
    };
  } finally {
    await stop(child);
  }
}

// ---------------------------------------------------------------------------------------
// Summary.

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function summarize(runs) {
  const rows = [];
  for (const scenario of scenarios) {
    const none = runs.filter((r) => r.scenario === scenario && r.variant === 'none');
    for (const variant of variantNames) {
      const own = runs.filter((r) => r.scenario === scenario && r.variant === variant);
      if (own.length === 0) continue;
      // Each round's ratio is against the same round's no-agent run.
      const ratios = own.map((r) => r.reqPerSec / none.find((n) => n.round === r.round).reqPerSec);
      const addedCpu = own.map((r) => r.cpuUsPerReq - none.find((n) => n.round === r.round).cpuUsPerReq);
      const addedRss = own.map((r) => r.rssMb - none.find((n) => n.round === r.round).rssMb);
      rows.push({
        scenario,
        variant,
        reqPerSec: median(own.map((r) => r.reqPerSec)),
        ratio: median(ratios),
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
        p50: median(own.map((r) => r.p50)),
        p99: median(own.map((r) => r.p99)),
        cpuUsPerReq: median(own.map((r) => r.cpuUsPerReq)),
        addedCpuUs: median(addedCpu),
        rssMb: median(own.map((r) => r.rssMb)),
        addedRssMb: median(addedRss),
        failed: own.reduce((n, r) => n + r.errors, 0),
        dropped: own.reduce((n, r) => n + (r.stats?.transport?.dropped ?? 0), 0),
        sent: own.reduce((n, r) => n + (r.stats?.transport?.sent ?? 0), 0),
        sinkCpuUsPerEvent: own.some((r) => r.collectorCpuUsPerEvent != null)
          ? median(own.filter((r) => r.collectorCpuUsPerEvent != null).map((r) => r.collectorCpuUsPerEvent))
          : null,
      });
    }
  }
  return rows;
}

function table(rows) {
  const pct = (x) => `${(x * 100).toFixed(0)}%`;
  const lines = [
    '| app | variant | req/s | vs none (min–max) | p50 ms | p99 ms | CPU µs/req | added µs/req | RSS MB | added MB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const isNone = r.variant === 'none';
    lines.push(
      `| ${r.scenario} | ${r.variant} | ${Math.round(r.reqPerSec)} | ${isNone ? '100%' : `${pct(r.ratio)} (${pct(r.ratioMin)}–${pct(r.ratioMax)})`} | ` +
        `${r.p50} | ${r.p99} | ${r.cpuUsPerReq.toFixed(1)} | ${isNone ? '' : r.addedCpuUs.toFixed(1)} | ${r.rssMb.toFixed(0)} | ${isNone ? '' : r.addedRssMb.toFixed(0)} |`,
    );
  }
  const shipped = rows.filter((r) => r.variant.startsWith('sightline'));
  if (shipped.length > 0) {
    lines.push('', '| app | variant | events sent | dropped | sink CPU µs/event |', '|---|---|---:|---:|---:|');
    for (const r of shipped) {
      const total = r.sent + r.dropped;
      lines.push(
        `| ${r.scenario} | ${r.variant} | ${r.sent} | ${r.dropped} (${total ? ((r.dropped / total) * 100).toFixed(1) : '0'}%) | ${r.sinkCpuUsPerEvent === null ? '' : r.sinkCpuUsPerEvent.toFixed(0)} |`,
      );
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'sightline-overhead-'));
const collector = args.sink === 'null' ? await startNullSink() : await startCollector(dir);
const upstream = await forkReady(join(here, 'apps', 'upstream.cjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const upstreamUrl = `http://127.0.0.1:${upstream.port}/`;

const header = [
  `Node ${nodeVersion} (apps), runner and collector on Node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  `fastify ${versionOf('fastify')}, express ${versionOf('express')}, @opentelemetry/sdk-node ${versionOf('@opentelemetry/sdk-node')}, ` +
    `auto-instrumentations-node ${versionOf('@opentelemetry/auto-instrumentations-node')}, autocannon ${versionOf('autocannon')}, better-sqlite3 ${appMajor >= 22 ? '13 (Node-API)' : versionOf('better-sqlite3')}`,
  `${RATE ? `load: ${RATE} req/s in all` : 'load: as fast as answered'}; sink: ${args.sink === 'null' ? 'accept-all null sink (bench/sink-server.mjs)' : 'sightline collector (SQLite, own process)'}; ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s measured, ${ROUNDS} rounds, variants interleaved: ${variantNames.join(', ')}`,
];
console.log(header.join('\n'));
if (skipped.length > 0) console.log(`skipped: ${skipped.join('; ')}`);

const runs = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      // none first (each ratio needs it), then the agents in an order that rotates by round.
      const agents = variantNames.slice(1);
      const rotated = agents.slice(round % Math.max(agents.length, 1)).concat(agents.slice(0, round % Math.max(agents.length, 1)));
      for (const variant of ['none', ...rotated]) {
        const r = await measure(scenario, variant, collector.url, upstreamUrl, collector.child.pid);
        r.round = round;
        runs.push(r);
        const extra =
          (r.stats?.transport ? ` sent ${r.stats.transport.sent} dropped ${r.stats.transport.dropped}` : '') +
          (r.collectorCpuUsPerEvent !== null ? `; sink ${r.collectorCpuUsPerEvent.toFixed(0)} µs CPU/event, ${(r.collectorCpuShare * 100).toFixed(0)}% of a core` : '');
        console.error(
          `round ${round + 1}/${ROUNDS} ${scenario.padEnd(14)} ${variant.padEnd(13)} ${Math.round(r.reqPerSec).toString().padStart(6)} req/s ` +
            `p50 ${r.p50} p99 ${r.p99} ms, ${r.cpuUsPerReq.toFixed(1)} µs/req, RSS ${r.rssMb.toFixed(0)} MB (heap ${r.heapUsedMb.toFixed(0)}/${r.heapTotalMb.toFixed(0)})${r.errors ? `, ${r.errors} errors` : ''}${extra}`,
        );
      }
    }
  }
} finally {
  await stop(upstream.child);
  await stop(collector.child);
  rmSync(dir, { recursive: true, force: true });
}

const rows = summarize(runs);
console.log('');
console.log(table(rows));
if (args.json) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(args.json, JSON.stringify({ header, runs, rows }, null, 2));
}
