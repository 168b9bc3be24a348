#!/usr/bin/env node
// Store write throughput without HTTP: the same batches (the mix of collector-ingest.js)
// written through openStore() of two builds in turn, A B A B …, so that both see the same
// machine load. For the cost of rollups at ingest:
//   node bench/collector-write.js --a /path/to/old/packages/collector --b packages/collector [--events 300000] [--db sqlite|postgres]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: 'packages/collector' },
    events: { type: 'string', default: '300000' },
    rounds: { type: 'string', default: '2' },
    db: { type: 'string', default: 'sqlite' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const EVENTS = Number(values.events);
const BATCH = 1000;
const hex = (n) => randomBytes(n).toString('hex');
const SERVICES = ['checkout', 'search', 'catalog', 'users', 'payments'];
const NAMES = Array.from({ length: 40 }, (_, i) => `${i % 3 === 0 ? 'POST' : 'GET'} /api/route-${i}/:id`);
const NOW_US = Date.now() * 1000;

function batch(index) {
  const service = SERVICES[index % SERVICES.length];
  const b = { transactions: [], spans: [], errors: [], metrics: [], logs: [] };
  let traceId = hex(16);
  let txId = hex(8);
  for (let i = 0; i < BATCH; i++) {
    const timestampUs = Math.round(NOW_US - 86_400e6 + ((index * BATCH + i) / EVENTS) * 86_400e6);
    const r = i % 20;
    if (r < 8) {
      traceId = hex(16);
      txId = hex(8);
      const name = NAMES[(index * 7 + i) % NAMES.length];
      const durationMs = Math.exp(Math.random() * 6);
      b.transactions.push({ id: txId, traceId, parentId: null, service, environment: 'bench', name, type: 'request', result: 'HTTP 2xx', outcome: Math.random() < 0.05 ? 'failure' : 'success', timestampUs, durationMs, sampled: true, doc: JSON.stringify({ id: txId, trace_id: traceId, name, duration: durationMs, timestamp: timestampUs }) });
    } else if (r < 18) {
      b.spans.push({ id: hex(8), traceId, transactionId: txId, parentId: txId, service, environment: 'bench', name: 'SELECT * FROM items WHERE id = $1', type: 'db', subtype: 'postgresql', action: 'query', outcome: 'success', timestampUs, durationMs: Math.random() * 20, doc: '{"name":"SELECT * FROM items WHERE id = $1"}' });
    } else if (r === 18) {
      b.errors.push({ id: hex(16), traceId, transactionId: txId, parentId: txId, service, environment: 'bench', fingerprint: `fp-${service}`, exceptionType: 'NotFoundError', message: `item ${i} not found`, culprit: 'load (src/items.js)', handled: true, timestampUs, doc: '{}' });
    } else {
      b.metrics.push({ service, environment: 'bench', name: 'system.cpu.total.norm.pct', value: Math.random(), labels: '{"host":"bench"}', timestampUs, doc: '{}' });
    }
  }
  return b;
}

const batches = Array.from({ length: Math.ceil(EVENTS / BATCH) }, (_, i) => batch(i));
const builds = { A: values.a, B: values.b };
if (!builds.A) {
  console.error('--a <package dir of the other build> is required');
  process.exit(2);
}

async function run(label, dir) {
  const { openStore } = await import(pathToFileURL(join(resolve(dir), 'dist/index.js')).href);
  const tmp = mkdtempSync(join(tmpdir(), 'sightline-write-'));
  const schema = `sightline_wbench_${hex(4)}`;
  const store = values.db === 'sqlite' ? await openStore(join(tmp, 'w.db')) : await openStore(values['pg-url'], { pgSchema: schema });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  for (const b of batches) await store.write(b);
  const seconds = (performance.now() - started) / 1000;
  // CPU time of this process (SQLite writes run in it): steadier than wall time on a busy machine.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerBatch = (cpu.user + cpu.system) / 1000 / batches.length;
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
  if (values.db !== 'sqlite') {
    const pg = (await import(pathToFileURL(join(resolve(dir), 'node_modules/pg/lib/index.js')).href)).default;
    const client = new pg.Client({ connectionString: values['pg-url'] });
    await client.connect();
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  }
  const rate = Math.round(EVENTS / seconds);
  console.log(`${label}: ${rate.toLocaleString('en')} events/s (${(seconds * 1000 / batches.length).toFixed(1)} ms per 1000-event batch, ${cpuMsPerBatch.toFixed(1)} ms of it CPU in this process)`);
  cpus[label].push(cpuMsPerBatch);
  return rate;
}

const rates = { A: [], B: [] };
const cpus = { A: [], B: [] };
for (let round = 0; round < Number(values.rounds); round++) {
  for (const label of ['A', 'B']) rates[label].push(await run(label, builds[label]));
}
const median = (list) => list.slice().sort((x, y) => x - y)[Math.floor(list.length / 2)];
console.log(`CPU per batch, median: A ${median(cpus.A).toFixed(1)} ms, B ${median(cpus.B).toFixed(1)} ms: B/A = ${(median(cpus.B) / median(cpus.A)).toFixed(3)}`);
console.log(`median A ${median(rates.A).toLocaleString('en')}, B ${median(rates.B).toLocaleString('en')} events/s: B/A = ${(median(rates.B) / median(rates.A)).toFixed(3)}`);
