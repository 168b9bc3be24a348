// Isolates what the agent costs per request: one app and route at a fixed request rate, with
// variants that differ by environment (the agent on or off, sampling, pieces disabled), run
// interleaved in short rounds against an accept-all sink. Prints the median CPU per request
// (the whole process, and its main thread alone) and the peak RSS, each against `none`.
//
//   node bench/overhead/isolate.mjs --app fastify --route / --rate 2000 --rounds 5 \
//     --variant none --variant 'sr0=agent:SIGHTLINE_SAMPLE_RATE=0' --variant full=agent
//     [--base-agent <checkout>/packages/agent]  (variant kind `base`: that build of the agent)
//     [--node /path/to/node] [--duration 5] [--warmup 2] [--alloc]
//
// A `base` variant runs the agent built in --base-agent, or in its own BENCH_AGENT_DIR
// (`old=base:BENCH_AGENT_DIR=/tmp/a/packages/agent`), so two private builds compare in one run.
// --alloc adds the bytes V8 allocated and promoted per request (summed from --trace-gc-nvp over
// the measured window), which load does not move. It runs the apps with a 1 MB young generation
// so that a window holds hundreds of GCs (a window's error is one GC's allocation at most): the
// CPU figures of such a run are not those of the default heap.
//
// A variant is `name=kind[:ENV=value;ENV=value]`, kind `none`, `agent` or `base`; a bare
// `none` names itself. Agent variants get 100% sampling, headers captured, the null sink.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { forkReady, parseVariants } from './variant-spec.mjs';
import { cpus, loadavg } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = dirname(here);
const require = createRequire(join(benchDir, 'package.json'));
const autocannon = require('autocannon');

const { values: args } = parseArgs({
  options: {
    app: { type: 'string', default: 'fastify' },
    route: { type: 'string', default: '/' },
    rate: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    node: { type: 'string', default: process.execPath },
    variant: { type: 'string', multiple: true, default: ['none', 'full=agent'] },
    'base-agent': { type: 'string' },
    connections: { type: 'string', default: '20' },
    alloc: { type: 'boolean', default: false },
  },
});

const variants = parseVariants(args.variant, args['base-agent']);
if (variants[0].kind !== 'none') throw new Error('the first variant must be none (the baseline)');

function request(child, cmd, reply) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m?.cmd === reply) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    child.send({ cmd });
  });
}

const TICK_US = 1e6 / 100; // USER_HZ
function mainThreadCpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US;
}
function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

const sink = spawn(process.execPath, [join(benchDir, 'sink-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const [portText] = await once(sink.stdout, 'data');
const sinkUrl = `http://127.0.0.1:${String(portText).trim()}`;
const upstream = await forkReady(join(here, 'apps', 'upstream.cjs'), {});

const load = (url, seconds) =>
  autocannon({ url, connections: Number(args.connections), duration: seconds, overallRate: Number(args.rate) });

async function measure(variant) {
  const env = { ...process.env, NODE_ENV: 'production', BENCH_SQL: '0', BENCH_UPSTREAM_URL: upstream.url ?? '', BENCH_VARIANT: variant.kind === 'none' ? 'none' : 'sightline' };
  env.BENCH_UPSTREAM_URL = `http://127.0.0.1:${upstream.port}/`;
  const execArgv = args.alloc ? ['--trace-gc-nvp', '--max-semi-space-size=1', '--min-semi-space-size=1'] : [];
  if (variant.kind !== 'none') {
    Object.assign(env, {
      SIGHTLINE_SERVER_URL: sinkUrl,
      SIGHTLINE_SERVICE_NAME: 'bench-isolate',
      SIGHTLINE_SAMPLE_RATE: '1',
      SIGHTLINE_CAPTURE_HEADERS: 'true',
      SIGHTLINE_LOG_LEVEL: 'error',
    });
    if (variant.kind === 'base') {
      const baseDir = variant.env.BENCH_AGENT_DIR ?? args['base-agent'];
      env.BENCH_AGENT_DIR = baseDir;
      execArgv.push('--import', pathToFileURL(join(baseDir, 'dist', 'register.js')).href);
    } else execArgv.push('--import', '@sightline/agent/register');
  }
  Object.assign(env, variant.env);
  const stdio = args.alloc ? { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] } : {};
  const { child, port } = await forkReady(join(here, 'apps', `${args.app}.cjs`), { execPath: args.node, execArgv, env, cwd: benchDir, ...stdio });
  let gcTrace = '';
  if (args.alloc) child.stdout.on('data', (d) => (gcTrace += d));
  try {
    const url = `http://127.0.0.1:${port}${args.route}`;
    await load(url, Number(args.warmup));
    const mainAtStart = mainThreadCpuUs(child.pid);
    await request(child, 'start', 'started');
    const traceFrom = gcTrace.length;
    let peak = rssMb(child.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child.pid))), 100);
    const result = await load(url, Number(args.duration));
    clearInterval(sampler);
    const after = await request(child, 'stop', 'stopped');
    const main = mainThreadCpuUs(child.pid) - mainAtStart;
    const n = Math.max(result.requests.total, 1);
    const gc = gcSums(gcTrace.slice(traceFrom));
    return { cpu: (after.cpuUserUs + after.cpuSystemUs) / n, main: main / n, rss: Math.max(peak, after.rss / 2 ** 20), heap: after.heapTotal / 2 ** 20, external: after.external / 2 ** 20, n, allocated: gc.allocated / n, promoted: gc.promoted / n };
  } finally {
    child.kill();
    await once(child, 'exit').catch(() => {});
  }
}

/** Bytes allocated and promoted, summed over the GCs of a --trace-gc-nvp excerpt (whole lines only). */
function gcSums(text) {
  let allocated = 0;
  let promoted = 0;
  for (const line of text.split('\n')) {
    const a = / allocated=(\d+)/.exec(line);
    if (a === null) continue;
    allocated += Number(a[1]);
    promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return { allocated, promoted };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = new Map(variants.map((v) => [v.name, []]));
const rounds = Number(args.rounds);
const loadBefore = loadavg()[0];
for (let round = 0; round < rounds; round++) {
  // none first, the others rotated per round.
  const rest = variants.slice(1);
  const order = [variants[0], ...rest.slice(round % rest.length), ...rest.slice(0, round % rest.length)];
  for (const v of order) {
    const r = await measure(v);
    r.round = round;
    results.get(v.name).push(r);
    const alloc = args.alloc ? `, allocated ${r.allocated.toFixed(0)} B/req (promoted ${r.promoted.toFixed(0)})` : '';
    process.stderr.write(`round ${round + 1} ${v.name}: ${r.cpu.toFixed(1)} µs/req (main ${r.main.toFixed(1)}), RSS ${r.rss.toFixed(0)} MB${alloc}, ${r.n} req\n`);
  }
}
const none = results.get(variants[0].name);
console.log(
  `${args.app} ${args.route} at ${args.rate} req/s, ${rounds} rounds × ${args.duration} s, node ${args.node === process.execPath ? process.version : args.node}; ` +
    `load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`,
);
console.log('| variant | CPU µs/req | added (min–max) | main thread µs/req | added | RSS MB | added | heapTotal MB | external MB |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const v of variants) {
  const rs = results.get(v.name);
  const added = rs.map((r) => r.cpu - none.find((n) => n.round === r.round).cpu);
  const addedMain = rs.map((r) => r.main - none.find((n) => n.round === r.round).main);
  const addedRss = rs.map((r) => r.rss - none.find((n) => n.round === r.round).rss);
  const f = (x) => x.toFixed(1);
  console.log(
    `| ${v.name} | ${f(median(rs.map((r) => r.cpu)))} | ${v === variants[0] ? '' : `${f(median(added))} (${f(Math.min(...added))}–${f(Math.max(...added))})`} | ${f(median(rs.map((r) => r.main)))} | ${v === variants[0] ? '' : f(median(addedMain))} | ${f(median(rs.map((r) => r.rss)))} | ${v === variants[0] ? '' : f(median(addedRss))} | ${f(median(rs.map((r) => r.heap)))} | ${f(median(rs.map((r) => r.external)))} |`,
  );
}
if (args.alloc) {
  console.log('');
  console.log('| variant | allocated B/req | added (min–max) | promoted B/req | added |');
  console.log('|---|---:|---:|---:|---:|');
  for (const v of variants) {
    const rs = results.get(v.name);
    const first = v === variants[0];
    const added = rs.map((r) => r.allocated - none.find((n) => n.round === r.round).allocated);
    const addedPromoted = rs.map((r) => r.promoted - none.find((n) => n.round === r.round).promoted);
    const f = (x) => x.toFixed(0);
    console.log(
      `| ${v.name} | ${f(median(rs.map((r) => r.allocated)))} | ${first ? '' : `${f(median(added))} (${f(Math.min(...added))}–${f(Math.max(...added))})`} | ${f(median(rs.map((r) => r.promoted)))} | ${first ? '' : f(median(addedPromoted))} |`,
    );
  }
}
sink.kill();
upstream.child.kill();
