// Profiles one app under load with --cpu-prof and prints where its CPU went: self time by
// function and by package, so the agent's share is visible.
//
//   node bench/overhead/profile.mjs [--scenario fastify-hello] [--variant sightline] [--duration 10]
//                                   [--node /path/to/node] [--keep]
// The upstream and the collector run as in run.mjs (the collector only for agent variants).
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = dirname(here);
const require = createRequire(join(benchDir, 'package.json'));
const autocannon = require('autocannon');

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'fastify-hello' },
    variant: { type: 'string', default: 'sightline' },
    duration: { type: 'string', default: '10' },
    node: { type: 'string', default: process.execPath },
    top: { type: 'string', default: '40' },
    keep: { type: 'boolean', default: false },
  },
});
const [framework, route] = args.scenario.split('-');
const path = { hello: '/', fetch: '/fetch', sql: '/sql', error: '/error' }[route];
const [appMajor, abi] = execFileSync(args.node, ['-p', 'process.versions.node.split(".")[0] + " " + process.versions.modules'], { encoding: 'utf8' }).trim().split(' ');
// As in run.mjs: better-sqlite3 13 on Node 22 and later, the installed 12 for the runner's ABI.
const sqlAvailable = Number(appMajor) >= 22 || abi === process.versions.modules;

const dir = mkdtempSync(join(tmpdir(), 'sightline-profile-'));

function forkReady(file, options) {
  const child = fork(file, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  return new Promise((resolve) => child.on('message', (m) => m?.cmd === 'ready' && resolve({ child, port: m.port })));
}

const collector = spawn(process.execPath, [join(benchDir, 'node_modules/@sightline/collector/bin/sightline.js'), 'collector', '--port', '0', '--db', join(dir, 'p.db')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const collectorUrl = await new Promise((resolve) => {
  let out = '';
  collector.stdout.on('data', (c) => {
    out += c;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
});
const upstream = await forkReady(join(here, 'apps/upstream.cjs'), {});

const env = {
  ...process.env,
  NODE_ENV: 'production',
  BENCH_VARIANT: args.variant,
  BENCH_UPSTREAM_URL: `http://127.0.0.1:${upstream.port}/`,
  BENCH_SQL: sqlAvailable ? '1' : '0',
  SIGHTLINE_SERVER_URL: collectorUrl,
  SIGHTLINE_SERVICE_NAME: 'bench-profile',
  SIGHTLINE_LOG_LEVEL: 'error',
  BENCH_COLLECTOR_URL: collectorUrl,
  OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
};
const execArgv = ['--cpu-prof', '--cpu-prof-dir', dir];
if (args.variant.startsWith('sightline')) execArgv.push('--import', '@sightline/agent/register');
if (args.variant === 'otel') execArgv.push('--require', join(here, 'apps/otel.cjs'));
const app = await forkReady(join(here, 'apps', `${framework}.cjs`), { execPath: args.node, execArgv, env, cwd: benchDir });
const url = `http://127.0.0.1:${app.port}${path}`;
await autocannon({ url, connections: 20, duration: 2 });
const result = await autocannon({ url, connections: 20, duration: Number(args.duration) });
console.log(`${args.scenario} ${args.variant}: ${Math.round(result.requests.average)} req/s`);
const exited = once(app.child, 'exit');
app.child.disconnect(); // process.exit(0) in the app, which writes the profile
await exited;
upstream.child.kill();
collector.kill();

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (dt[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
const byPkg = new Map();
function pkgOf(url) {
  if (url === '') return '(native/vm)';
  if (url.startsWith('node:')) return 'node:internal';
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.includes('/packages/agent/')) return '@sightline/agent';
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '')}:${cf.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const p = pkgOf(cf.url);
  byPkg.set(p, (byPkg.get(p) ?? 0) + us);
}
const reqs = result.requests.total + result.requests.sent * 0; // requests in the measured window only
console.log(`profile: ${(total / 1e6).toFixed(2)} s sampled over warm-up + measured; per measured request ≈ ${(total / (reqs + 2 * result.requests.average)).toFixed(1)} µs`);
const pct = (us) => ((us / total) * 100).toFixed(1).padStart(5) + '%';
console.log('\nby package:');
for (const [k, us] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${pct(us)}  ${k}`);
console.log('\nby function (self):');
for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`  ${pct(us)}  ${k}`);
if (args.keep) console.log(`\nprofile kept in ${join(dir, file)}`);
else rmSync(dir, { recursive: true, force: true });
