// Events dropped at the agent's queue for a given line size and rate, with an intake that
// answers every batch after a fixed delay (its own process). Transactions are started and
// ended through the agent's tracer at a steady rate for a few seconds (no app, no HTTP
// server); the name's length sets the line's size. Prints, for each build, events offered,
// sent and dropped, and events per batch. Metrics off, so only transactions are counted.
//
//   node bench/transport-drops.mjs [--base-agent <checkout>/packages/agent] [--lines 250,350,700]
//        [--rates 5000,10000] [--delay-ms 20] [--seconds 3]
//
// Build first (npx tsc -b packages/agent); --base-agent's dist is the baseline, run in the same
// invocation.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    'base-agent': { type: 'string' },
    lines: { type: 'string', default: '250,350,700' },
    rates: { type: 'string', default: '5000,10000' },
    'delay-ms': { type: 'string', default: '20' },
    seconds: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});

if (args.child !== undefined) {
  // One measurement, in a fresh process: JSON of the agent's transport stats on stdout.
  const [agentDir, serverUrl, lineBytes, rate, seconds] = args.child.split('|');
  const { Agent } = await import(pathToFileURL(join(agentDir, 'dist', 'integration.js')).href);
  const agent = Agent.fromOptions({ serviceName: 'drops', serverUrl, metricsIntervalMs: 0, logLevel: 'off', captureExceptions: false });
  // The line's fixed part is ~245 bytes; the name makes up the rest.
  const name = 'x'.repeat(Math.max(1, Number(lineBytes) - 245));
  const perTick = Number(rate) / 100;
  const end = Date.now() + Number(seconds) * 1000;
  await new Promise((done) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) agent.tracer.startTransaction(name, 'bench').end();
      if (Date.now() >= end) {
        clearInterval(timer);
        done();
      }
    }, 10);
  });
  await agent.flush(5000);
  const stats = agent.stats().transport;
  process.stdout.write(JSON.stringify({ ...stats, bytesPerEvent: stats.bytesUncompressed / Math.max(1, stats.sent) }));
  await agent.close(1000);
  process.exit(0);
}

let posts = 0;
const delayMs = Number(args['delay-ms']);
const server = createServer((req, res) => {
  posts++;
  req.resume();
  req.on('end', () =>
    setTimeout(() => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"accepted":0}');
    }, delayMs),
  );
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const serverUrl = `http://127.0.0.1:${server.address().port}`;

const builds = [['this', resolve(here, '..', 'packages', 'agent')]];
if (args['base-agent'] !== undefined) builds.unshift(['base', resolve(args['base-agent'])]);

console.log(`intake answers after ${delayMs} ms; ${args.seconds} s a measurement; Node ${process.version}`);
console.log('| build | line bytes | offered/s | sent | dropped | dropped % | events per batch |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const lineBytes of args.lines.split(',')) {
  for (const rate of args.rates.split(',')) {
    for (const [label, dir] of builds) {
      posts = 0;
      const child = fork(fileURLToPath(import.meta.url), ['--child', [dir, serverUrl, lineBytes, rate, args.seconds].join('|')], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      await once(child, 'exit');
      const s = JSON.parse(out);
      const offered = s.sent + s.dropped;
      console.log(
        `| ${label} | ${Math.round(s.bytesPerEvent)} | ${rate} | ${s.sent} | ${s.dropped} | ${((100 * s.dropped) / offered).toFixed(1)}% | ${Math.round(s.sent / Math.max(1, posts))} |`,
      );
    }
  }
}
server.close();
