// Instructions per request: one app under `valgrind --tool=callgrind` (all its threads),
// warmed up, counters zeroed, then a fixed number of requests, then dumped. Variants as in
// isolate.mjs (`name=kind[:ENV=v;ENV=v]`). What a function costs is exact; the total also
// holds whatever GC cycle, re-optimisation or timer fell in the window (see measure()).
//
//   node bench/overhead/callgrind.mjs --app fastify --route / --warmup 3000 --requests 2000 \
//     --variant none --variant 'sr0=agent:SIGHTLINE_SAMPLE_RATE=0' --variant full=agent
//     [--node /path/to/node] [--base-agent <checkout>/packages/agent] [--keep dir] [--perf]
//   A `base` variant runs the agent built in --base-agent, or in its own BENCH_AGENT_DIR:
//     --variant 'old=base:BENCH_AGENT_DIR=/tmp/a/packages/agent' --variant 'new=base:BENCH_AGENT_DIR=/tmp/b/packages/agent'
//
// Two dumps compared function by function (self instructions per request, JIT tiers merged,
// the agent's dist path reduced to `agent:` so two private builds line up), with a summary by
// category (GC, zlib, JIT compilers, the agent's JS, …):
//   node bench/overhead/callgrind.mjs --compare /tmp/cg/callgrind.old.123.1 --compare /tmp/cg/callgrind.new.456.1 \
//     --requests 1500 [--top 40] [--filter 'instrument/undici|ada::']
//
// --perf runs node with --perf-basic-prof and, after the dump, renames the JIT code callgrind
// only knows by address (`0x…`) to the function V8 logged at that address (`JS:*name file:line`),
// so `callgrind_annotate` of the --keep files lists the app's and the agent's JS functions.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { forkReady, parseVariants } from './variant-spec.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = dirname(here);
const require = createRequire(join(benchDir, 'package.json'));
const autocannon = require('autocannon');

const { values: args } = parseArgs({
  options: {
    app: { type: 'string', default: 'fastify' },
    route: { type: 'string', default: '/' },
    warmup: { type: 'string', default: '3000' },
    requests: { type: 'string', default: '2000' },
    node: { type: 'string', default: process.execPath },
    variant: { type: 'string', multiple: true, default: ['none', 'full=agent'] },
    'base-agent': { type: 'string' },
    keep: { type: 'string' },
    perf: { type: 'boolean', default: false },
    compare: { type: 'string', multiple: true },
    top: { type: 'string', default: '40' },
    filter: { type: 'string' },
  },
});

/** Self cost per function of a callgrind dump: cost lines after `calls=` are inclusive call costs, skipped. */
function selfCosts(file) {
  const names = new Map();
  const cost = new Map();
  let fn = null;
  let skip = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const c = line.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      if (skip) skip = false;
      else if (fn !== null) {
        const sp = line.indexOf(' ');
        if (sp !== -1) cost.set(fn, (cost.get(fn) ?? 0) + Number(line.slice(sp + 1).split(' ')[0]));
      }
    } else if (line.startsWith('fn=') || line.startsWith('cfn=')) {
      const m = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
      if (m === null) continue;
      if (m[2] !== undefined) names.set(m[1], m[2]);
      if (line[0] === 'f') fn = normalise(names.get(m[1]) ?? m[1]);
    } else if (line.startsWith('calls=')) skip = true;
  }
  return cost;
}

function normalise(name) {
  return name.replace(/file:\/\/\/\S*?\/packages\/agent\/dist\//, 'agent:').replace(/^JS:[*+^~]?'?/, 'JS:');
}

const CATEGORIES = [
  ['GC', /Scaveng|Marking|Sweep|v8::internal::Heap::|IterateObjectCache|MarkCompact|ActiveSystemPages|Evacuat|RootScavenge|FreeList|RememberedSet|SlotSet|popcount|Ephemeron|IteratePointers|BodyDescriptor|MemoryAllocator|PageMetadata|LargeObject|Heap|heap::/],
  ['zlib', /longest_match|deflate|crc32|compress_block|fill_window|send_bits|_tr_|adler|inflate|zlib/],
  ['JIT compilers', /compiler::|maglev::|baseline::|Turbofan|Compile|Assembler|RegisterAllocat|turboshaft|Zone/],
  ["the agent's JS", /agent:/],
  ["undici's JS", /^JS:.*undici/],
  ['other JS', /^JS:|^RegExp/],
  ['builtins', /^Builtins_/],
  ['V8 runtime', /v8::internal::/],
  ['libc, other', /./],
];

function compare([a, b], requests) {
  const ca = selfCosts(a);
  const cb = selfCosts(b);
  const per = (x) => x / requests;
  const k = (x) => `${(per(x) / 1000).toFixed(1)}k`;
  const byCategory = (costs) => {
    const out = new Map(CATEGORIES.map(([name]) => [name, 0]));
    for (const [fn, v] of costs) {
      const [name] = CATEGORIES.find(([, re]) => re.test(fn));
      out.set(name, out.get(name) + v);
    }
    return out;
  };
  const ka = byCategory(ca);
  const kb = byCategory(cb);
  console.log(`instructions per request (${requests} requests), self cost by category`);
  console.log('| category | a | b | b − a |');
  console.log('|---|---:|---:|---:|');
  let ta = 0;
  let tb = 0;
  for (const [name] of CATEGORIES) {
    ta += ka.get(name);
    tb += kb.get(name);
    console.log(`| ${name} | ${k(ka.get(name))} | ${k(kb.get(name))} | ${k(kb.get(name) - ka.get(name))} |`);
  }
  console.log(`| total | ${k(ta)} | ${k(tb)} | ${k(tb - ta)} |`);
  const filter = args.filter === undefined ? null : new RegExp(args.filter);
  const rows = [...new Set([...ca.keys(), ...cb.keys()])]
    .filter((fn) => filter === null || filter.test(fn))
    .map((fn) => [fn, ca.get(fn) ?? 0, cb.get(fn) ?? 0])
    .sort((x, y) => Math.abs(y[2] - y[1]) - Math.abs(x[2] - x[1]));
  const shown = rows.slice(0, Number(args.top));
  console.log('');
  console.log(`functions${filter === null ? '' : ` matching ${args.filter} (all of them sum to ${per(rows.reduce((n, r) => n + r[2] - r[1], 0)).toFixed(0)})`}, by the size of the change:`);
  console.log('| b − a | a | b | function |');
  console.log('|---:|---:|---:|---|');
  for (const [fn, x, y] of shown) console.log(`| ${per(y - x).toFixed(0)} | ${per(x).toFixed(0)} | ${per(y).toFixed(0)} | ${fn.slice(0, 140).replaceAll('|', '\\|')} |`);
}

if (args.compare !== undefined) {
  if (args.compare.length !== 2) throw new Error('--compare takes two dumps (give it twice)');
  compare(args.compare, Number(args.requests));
  process.exit(0);
}

const variants = parseVariants(args.variant, args['base-agent']);

const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'sightline-callgrind-'));
mkdirSync(dir, { recursive: true });
const sink = spawn(process.execPath, [join(benchDir, 'sink-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const [portText] = await once(sink.stdout, 'data');
const sinkUrl = `http://127.0.0.1:${String(portText).trim()}`;

const upstream = await forkReady(join(here, 'apps', 'upstream.cjs'), {});

const fire = (url, amount) => autocannon({ url, connections: 10, amount });

function instructions(file) {
  const text = readFileSync(file, 'utf8');
  const m = /^summary:\s+(\d+)/m.exec(text) ?? /^totals:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/** V8's perf map (`start size name` in hex), sorted by start, for lookups by address. */
function readPerfMap(pid) {
  const file = `/tmp/perf-${pid}.map`;
  if (!existsSync(file)) return null;
  const entries = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (b === -1) continue;
    entries.push({ start: parseInt(line.slice(0, a), 16), end: parseInt(line.slice(0, a), 16) + parseInt(line.slice(a + 1, b), 16), name: line.slice(b + 1) });
  }
  entries.sort((x, y) => x.start - y.start);
  return entries;
}

function lookup(entries, addr) {
  let lo = 0;
  let hi = entries.length - 1;
  let found = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid].start <= addr) {
      found = entries[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // The last code logged at or below addr; code moved or freed later can shadow it (rare).
  return found !== null && addr < found.end ? found.name : null;
}

/** Renames `fn=(id) 0x…` / `cfn=(id) 0x…` definitions in a callgrind dump from the perf map. */
function nameJitCode(file, entries) {
  const text = readFileSync(file, 'utf8');
  const named = text.replace(/^(c?fn=\(\d+\) )0x([0-9a-f]+)$/gm, (whole, head, hex) => {
    const name = lookup(entries, parseInt(hex, 16));
    return name === null ? whole : `${head}${name.replace(/\s+/g, '_')}`;
  });
  writeFileSync(file, named);
}

async function measure(v) {
  const env = { ...process.env, NODE_ENV: 'production', BENCH_SQL: '0', BENCH_VARIANT: v.kind === 'none' ? 'none' : 'sightline' };
  env.BENCH_UPSTREAM_URL = `http://127.0.0.1:${upstream.port}/`;
  // V8 also writes its code log with --perf-basic-prof: into the output directory, not the cwd.
  const nodeArgs = args.perf ? ['--perf-basic-prof', `--logfile=${join(dir, 'v8-%p.log')}`, '--no-logfile-per-isolate'] : [];
  if (v.kind !== 'none') {
    Object.assign(env, {
      SIGHTLINE_SERVER_URL: sinkUrl,
      SIGHTLINE_SERVICE_NAME: 'bench-callgrind',
      SIGHTLINE_SAMPLE_RATE: '1',
      SIGHTLINE_CAPTURE_HEADERS: 'true',
      SIGHTLINE_LOG_LEVEL: 'error',
      // Batches sent by size (~1000 transactions), as at full speed, never by time: under
      // valgrind a request takes ~50x longer, so a 1 s flush sent batches of a few dozen events
      // and their fixed cost (the intake request, a new deflate state) was divided by a number
      // that followed the machine's load (the same build measured +112k and +261k). No periodic
      // metrics report in the window either, for the same reason. A variant may set either back.
      // The total still moves with when V8 runs a major GC or re-optimises code (two runs of one
      // build: 193k and 276k on Fastify hello): compare builds by function (callgrind_annotate
      // of the --keep files), not by the total alone.
      SIGHTLINE_FLUSH_INTERVAL: '600s',
      SIGHTLINE_METRICS_INTERVAL: '3600s',
    });
    // A `base` variant may name its own build (BENCH_AGENT_DIR=<checkout>/packages/agent in its
    // environment), so two private builds can be compared while the shared dist/ moves.
    const baseDir = v.env.BENCH_AGENT_DIR ?? args['base-agent'];
    const register = v.kind === 'base' ? pathToFileURL(join(baseDir, 'dist', 'register.js')).href : '@sightline/agent/register';
    if (v.kind === 'base') env.BENCH_AGENT_DIR = baseDir;
    nodeArgs.push('--import', register);
  }
  Object.assign(env, v.env);
  const out = join(dir, `callgrind.${v.name}.%p`);
  const { child, port } = await forkReady(join(here, 'apps', `${args.app}.cjs`), {
    execPath: 'valgrind',
    execArgv: ['--tool=callgrind', '--smc-check=all-non-file', '--trace-children=no', `--callgrind-out-file=${out}`, args.node, ...nodeArgs],
    env,
    cwd: benchDir,
  });
  const url = `http://127.0.0.1:${port}${args.route}`;
  await fire(url, Number(args.warmup));
  execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
  await fire(url, Number(args.requests));
  execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
  child.kill('SIGKILL');
  await once(child, 'exit').catch(() => {});
  const dumps = readdirSync(dir).filter((f) => f.startsWith(`callgrind.${v.name}.${child.pid}.`));
  if (args.perf) {
    const entries = readPerfMap(child.pid);
    if (entries !== null) for (const f of dumps) nameJitCode(join(dir, f), entries);
    rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
  }
  const total = dumps.reduce((n, f) => n + instructions(join(dir, f)), 0);
  return total / Number(args.requests);
}

const results = [];
for (const v of variants) {
  const perReq = await measure(v);
  results.push({ v, perReq });
  process.stderr.write(`${v.name}: ${(perReq / 1000).toFixed(1)}k instructions/request\n`);
}
console.log(`${args.app} ${args.route}: ${args.requests} requests after ${args.warmup} warm-up, callgrind, all threads`);
console.log('| variant | instructions/request | added vs first |');
console.log('|---|---:|---:|');
for (const r of results) console.log(`| ${r.v.name} | ${(r.perReq / 1000).toFixed(1)}k | ${r === results[0] ? '' : `${((r.perReq - results[0].perReq) / 1000).toFixed(1)}k`} |`);
sink.kill();
upstream.child.kill();
if (!args.keep) rmSync(dir, { recursive: true, force: true });
