// The agent's per-transaction and per-span cost, in µs of main-thread time: transactions
// started, two spans each, ended, queued and serialised into batches (the encoding ticks run
// inside the measured time). Printed beside a baseline measured in the same run: building
// and JSON-encoding the same three events by hand, the least any agent must do. Metrics are
// on (as by default; a long interval so no report runs), and the RED accounting of one ended
// transaction (agent.metrics.red.record) is timed on its own as well.
// The HTTP figure is one node:http request through the agent's server path (request and
// response objects on an in-memory socket, headers captured, a Fastify-style writeHead),
// less the same request without the agent: start, end, queue and serialisation.
//
//   pnpm --filter @sightline/bench agent          (or: node bench/agent-micro.mjs [iterations])
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { Agent, runWithActive, startRequestTransaction } from '@sightline/agent/integration';

const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = 5;
const YIELD_EVERY = 256;

const sink = fork(new URL('./sink-server.mjs', import.meta.url), { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const [portLine] = await once(sink.stdout, 'data');
const serverUrl = `http://127.0.0.1:${String(portLine).trim()}`;

const agent = Agent.fromOptions({
  serviceName: 'bench',
  serverUrl,
  logLevel: 'error',
  // Room for a whole round: a dropped event skips serialisation and would flatter the figure.
  maxQueueSize: 1_000_000,
  metricsIntervalMs: 3_600_000,
  captureExceptions: false,
  captureHeaders: true,
});
const tracer = agent.tracer;

function txWithSpans(spans) {
  const tx = tracer.startTransaction('GET /users/:id', 'request');
  runWithActive(tx, () => {
    for (let i = 0; i < spans; i++) {
      const s = tracer.startSpan('SELECT FROM users', 'db', 'postgresql', 'query', null, null, true);
      s.setDbContext({ type: 'sql', instance: 'test', statement: 'SELECT * FROM users WHERE id = ?' });
      s.setOutcome('success', false);
      s.end();
    }
  });
  tx.setResult('HTTP 2xx');
  tx.setOutcome('success', false);
  tx.end();
}

let sinkHole = 0;
function byHand(spans) {
  const traceId = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const tx = { id: 'c0ffee00c0ffee00', trace_id: traceId, name: 'GET /users/:id', type: 'request', timestamp: Date.now() * 1000, duration: 1.5, result: 'HTTP 2xx', outcome: 'success', sampled: true, span_count: { started: spans, dropped: 0 } };
  let out = `{"transaction":${JSON.stringify(tx)}}\n`;
  for (let i = 0; i < spans; i++) {
    const s = { id: 'c0ffee00c0ffee01', transaction_id: tx.id, parent_id: tx.id, trace_id: traceId, name: 'SELECT FROM users', type: 'db', subtype: 'postgresql', action: 'query', timestamp: Date.now() * 1000, duration: 0.5, outcome: 'success', context: { db: { type: 'sql', instance: 'test', statement: 'SELECT * FROM users WHERE id = ?' } } };
    out += `{"span":${JSON.stringify(s)}}\n`;
  }
  sinkHole += out.length;
}

/** A socket that accepts every write at once, as a fast client would. */
function newSocket() {
  const socket = new Duplex({ read() {}, write(_chunk, _encoding, callback) { callback(); } });
  socket.remoteAddress = '127.0.0.1';
  socket.localAddress = '127.0.0.1';
  socket.localPort = 3000;
  return socket;
}
const RAW_HEADERS = ['Host', 'localhost:3000', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0', 'Accept', 'application/json',
  'Accept-Encoding', 'gzip, deflate, br', 'Accept-Language', 'en-GB,en;q=0.5', 'Connection', 'keep-alive'];
const HELLO = '{"hello":"world"}';
const RESPONSE_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(HELLO.length) };

function newRequest(socket) {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/users/42?q=shoes';
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.rawHeaders = RAW_HEADERS;
  const headers = {};
  for (let i = 0; i < RAW_HEADERS.length; i += 2) headers[RAW_HEADERS[i].toLowerCase()] = RAW_HEADERS[i + 1];
  req.headers = headers;
  return req;
}

function respond(res) {
  res.writeHead(200, RESPONSE_HEADERS);
  res.end(HELLO);
}

function httpRequest(traced) {
  const socket = newSocket();
  const req = newRequest(socket);
  const res = new ServerResponse(req);
  res.assignSocket(socket);
  res.on('finish', detach);
  if (!traced) return respond(res);
  const tx = startRequestTransaction(agent, req, res);
  tx.setName('GET /users/:id', 2);
  runWithActive(tx, respond, res);
}

function detach() {
  this.detachSocket(this.socket);
  this.emit('close');
}

async function timeIt(fn, spans) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    fn(spans);
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await tick();
  }
  await tick();
  return Number(process.hrtime.bigint() - start) / 1000 / N;
}

async function best(fn, spans) {
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    min = Math.min(min, await timeIt(fn, spans));
    await agent.flush(10_000);
  }
  return min;
}

if (N * 11 > 1_000_000) throw new Error("at most 90000 iterations: the queue must hold a whole round");
await best(txWithSpans, 2); // warm-up
const baseline2 = await best(byHand, 2);
const sightline2 = await best(txWithSpans, 2);
const sightline0 = await best(txWithSpans, 0);
const sightline10 = await best(txWithSpans, 10);
const perSpan = (sightline10 - sightline0) / 10;
await best(httpRequest, false); // warm-up
const httpNone = await best(httpRequest, false);
const httpTraced = await best(httpRequest, true);

// RED accounting alone: record() on ended transactions of a few names, as requests would.
const red = agent.metrics.red;
const ended = ['GET /users/:id', 'POST /orders', 'GET /health', 'GET unknown route'].map((name) => {
  const tx = tracer.startTransaction(name, 'request');
  tx.setOutcome(name === 'POST /orders' ? 'failure' : 'success', false);
  tx.end();
  return tx;
});
let redUs = Infinity;
for (let r = 0; r < ROUNDS; r++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) red.record(ended[i & 3]);
  redUs = Math.min(redUs, Number(process.hrtime.bigint() - start) / 1000 / N);
}

const fmt = (n) => n.toFixed(2).padStart(7);
console.log(`agent micro-benchmark, Node ${process.version}, ${N} iterations, best of ${ROUNDS}`);
console.log(`  transaction + 2 spans, serialised and queued: ${fmt(sightline2)} µs   (by hand: ${fmt(baseline2)} µs, ratio ${(sightline2 / baseline2).toFixed(2)}x)`);
console.log(`  transaction alone:                           ${fmt(sightline0)} µs`);
console.log(`  per span (from 0 vs 10 spans):               ${fmt(perSpan)} µs`);
console.log(`  HTTP request, agent's part (traced - none):   ${fmt(httpTraced - httpNone)} µs   (${fmt(httpTraced)} - ${fmt(httpNone)})`);
console.log(`  RED accounting per transaction (record):     ${fmt(redUs)} µs   (included in the figures above)`);
const stats = agent.stats();
console.log(`  events sent ${stats.transport.sent}, dropped ${stats.transport.dropped}`);
if (sinkHole < 0) console.log(sinkHole);
await agent.close(10_000);
sink.disconnect();
sink.kill();
