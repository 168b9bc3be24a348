// The transaction encoder and the batch buffer's write alone, for two or more builds of the
// agent: the same hello-world transactions (real IncomingMessage/ServerResponse taken as the
// records kept at response end, headers captured) written by each build's encodeLine into its
// LineBuffer. By time (interleaved rounds, best of each) or, with --callgrind, by instructions
// per transaction under valgrind (all threads, after four warm-up passes), which load does not
// move; a scavenge or a compilation in the window still moves it by a few thousand, so run it
// more than once.
//
//   node bench/encoder-ab.mjs /tmp/old/packages/agent packages/agent [--kind transaction|span]
//     [--style express|fastify] [--vary none|ua] [--n 20000] [--rounds 5] [--callgrind | --alloc]
//     [--node /path/to/node]
//
// --kind span: the spans of outgoing fetch calls instead (set up as the undici instrumentation
// sets them: http context, destination, target), to two origins in turn with --vary ua, else one.
// --alloc: bytes allocated per event (heap growth over one pass with the young generation
// large enough that no GC runs in it; each build in its own process), which load does not move.
// --style: Express-like stored response headers, or Fastify-like writeHead (the header block).
// --vary ua: every request has its own user-agent (the header text cannot be reused).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    kind: { type: 'string', default: 'transaction' },
    style: { type: 'string', default: 'express' },
    vary: { type: 'string', default: 'none' },
    n: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    callgrind: { type: 'boolean', default: false },
    alloc: { type: 'boolean', default: false },
    'alloc-child': { type: 'boolean', default: false },
    node: { type: 'string', default: process.execPath },
    'cg-child': { type: 'boolean', default: false },
  },
});
const N = Number(args.n);
const dirs = positionals.map((d) => resolve(d));

if (args.callgrind) {
  for (const dir of dirs) {
    const out = mkdtempSync(join(tmpdir(), 'encoder-ab-'));
    const n = Math.min(N, 6000);
    execFileSync('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${join(out, 'cg.%p')}`, args.node, new URL(import.meta.url).pathname,
      dir, '--cg-child', '--n', String(n), '--kind', args.kind, '--style', args.style, '--vary', args.vary], { stdio: 'ignore' });
    let total = 0;
    for (const f of readdirSync(out).filter((f) => /\.\d+\.\d+$/.test(f))) total += Number(/^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(join(out, f), 'utf8'))?.[1] ?? NaN);
    rmSync(out, { recursive: true, force: true });
    console.log(`${dir}: ${(total / n / 1000).toFixed(1)}k instructions/${args.kind} (callgrind, ${n} events, style ${args.style}, vary ${args.vary})`);
  }
  process.exit(0);
}

if (args.alloc) {
  for (const dir of dirs) {
    const n = Math.min(N, 10000);
    const out = execFileSync(args.node, ['--max-semi-space-size=256', '--expose-gc', new URL(import.meta.url).pathname,
      dir, '--alloc-child', '--n', String(n), '--kind', args.kind, '--style', args.style, '--vary', args.vary], { encoding: 'utf8' });
    console.log(`${dir}: ${out.trim()} bytes allocated/${args.kind} (${n} events, style ${args.style}, vary ${args.vary})`);
  }
  process.exit(0);
}

function socket() {
  const s = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
  s.remoteAddress = '127.0.0.1';
  s.localAddress = '127.0.0.1';
  s.localPort = 3000;
  return s;
}

function request(i) {
  const req = new IncomingMessage(socket());
  req.method = 'GET';
  req.url = '/';
  req.httpVersion = '1.1';
  req.headers = { host: '127.0.0.1:41229', connection: 'keep-alive', accept: '*/*', 'accept-language': '*', 'sec-fetch-mode': 'cors', 'user-agent': args.vary === 'ua' ? `node/${i}` : 'node', 'accept-encoding': 'gzip, deflate' };
  return req;
}

function response(req) {
  const res = new ServerResponse(req);
  res.assignSocket(socket());
  if (args.style === 'express') {
    res.setHeader('X-Powered-By', 'Express');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', '17');
    res.setHeader('ETag', 'W/"11-IkjuL6CqqtmReFMfkkvwC0sKj04"');
  } else {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '17' });
  }
  res.end('{"hello":"world"}');
  return res;
}

const builds = [];
for (const dir of dirs) {
  const url = (p) => pathToFileURL(join(dir, 'dist', p)).href;
  const { Tracer } = await import(url('trace/tracer.js'));
  const { readConfig } = await import(url('config/read.js'));
  const { RequestRecord, ResponseRecord } = await import(url('http/request-context.js'));
  const { encodeLine } = await import(url('transport/encode.js'));
  const { LineBuffer } = await import(url('transport/batch.js'));
  const { runWithActive } = await import(url('trace/context.js'));
  const kept = [];
  const tracer = new Tracer(readConfig({ serviceName: 'enc', captureHeaders: true, spanCompressionEnabled: false }, {}), {
    send: (kind, event) => kind !== args.kind || kept.push(event) > 0,
  });
  for (let i = 0; args.kind === 'span' && i < N; i++) {
    // As instrument/undici.ts sets a fetch span up (one origin, or two in turn).
    const o = args.vary === 'ua' ? i % 2 : 0;
    const tx = tracer.startTransaction('GET /fetch', 'request');
    runWithActive(tx, () => {
      const span = tracer.startSpan(o === 0 ? 'GET 127.0.0.1:41230' : 'GET 127.0.0.1:41231', 'external', 'http', 'GET', tx, null, true);
      span.setHttpContext({ method: 'GET', url: (o === 0 ? 'http://127.0.0.1:41230' : 'http://127.0.0.1:41231') + '/data', status_code: undefined });
      span.setDestination({ address: '127.0.0.1', port: o === 0 ? 41230 : 41231 });
      span.targetName = o === 0 ? '127.0.0.1:41230' : '127.0.0.1:41231';
      span.http.status_code = 200;
      span.end();
    });
    tx.end();
  }
  for (let i = 0; args.kind === 'transaction' && i < N; i++) {
    const req = request(i);
    const res = response(req);
    const tx = tracer.startTransaction('GET /', 'request');
    tx.req = new RequestRecord(req);
    tx.res = new ResponseRecord(res, true);
    tx.setResult('HTTP 2xx');
    tx.end();
  }
  builds.push({ dir, kept, encodeLine, lines: new LineBuffer() });
}

/** ns per transaction: each encoded and added to the open batch, the batch taken and its buffer recycled at 768 KiB. */
function run(b) {
  const { kept, encodeLine, lines } = b;
  const start = process.hrtime.bigint();
  for (let i = 0; i < kept.length; i++) {
    lines.add(encodeLine(args.kind, kept[i]));
    if (lines.bytes > 768 * 1024) lines.recycle(lines.take().store);
  }
  return Number(process.hrtime.bigint() - start) / kept.length;
}

if (args['alloc-child']) {
  // Two warm-up passes, then one pass counted by the heap's growth (no GC runs in it).
  run(builds[0]);
  run(builds[0]);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  run(builds[0]);
  const after = process.memoryUsage().heapUsed;
  console.log(((after - before) / builds[0].kept.length).toFixed(0));
  process.exit(0);
}

if (args['cg-child']) {
  // Warm-up passes: the code optimised and the kept transactions promoted before counting.
  for (let i = 0; i < 4; i++) run(builds[0]);
  execFileSync('callgrind_control', ['-z', String(process.pid)], { stdio: 'ignore' });
  run(builds[0]);
  execFileSync('callgrind_control', ['-d', String(process.pid)], { stdio: 'ignore' });
  process.exit(0);
}

const best = builds.map(() => Infinity);
for (let r = 0; r < Number(args.rounds); r++) for (let i = 0; i < builds.length; i++) best[i] = Math.min(best[i], run(builds[i]));
for (let i = 0; i < builds.length; i++) console.log(`${builds[i].dir}: ${best[i].toFixed(0)} ns/${args.kind} (best of ${args.rounds}, ${N} events, style ${args.style}, vary ${args.vary})`);
