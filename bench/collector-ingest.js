#!/usr/bin/env node
// Collector benchmark: ingest throughput into SQLite and PostgreSQL, then query latency on
// the database it filled. Not part of the test suite.
//
//   node bench/collector-ingest.js [--events 1000000] [--db sqlite,postgres]
//        [--pg-url postgres://postgres@127.0.0.1:5432/test] [--concurrency 4] [--batch 1000]
//        [--ui] [--bin path/to/sightline.js] [--json results.json]
//        [--sqlite-file path [--skip-ingest]] [--base-bin path/to/older/sightline.js]
//
// Build first: npx tsc -b packages/collector. The collector runs as a child process
// (`sightline collector`), so the load generator does not share its event loop. --bin runs
// another build (e.g. a copy of an older one) for before/after figures; --ui also times the
// web UI's pages in headless Chromium (/usr/bin/chromium) until their figures are all drawn.
// --sqlite-file keeps the SQLite database there; with --skip-ingest a kept one is measured
// again without filling it (its events then end when it was filled, not now). --base-bin
// starts a second build on the same database once it is filled and times every query and
// page on both in turn (A B, B A, …), so that both meet the same machine load: the way to
// compare builds on a busy machine.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';

const DEFAULT_BIN = fileURLToPath(new URL('../packages/collector/bin/sightline.js', import.meta.url));
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'sqlite,postgres' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    concurrency: { type: 'string', default: '4' },
    batch: { type: 'string', default: '1000' },
    'query-runs': { type: 'string', default: '20' },
    bin: { type: 'string', default: DEFAULT_BIN },
    ui: { type: 'boolean', default: false },
    'sqlite-file': { type: 'string' },
    'skip-ingest': { type: 'boolean', default: false },
    'base-bin': { type: 'string' },
    json: { type: 'string' },
  },
});
const BIN = values.bin;
const report = { bin: BIN, baseBin: values['base-bin'] ?? null, events: 0, runs: {} };
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);
const CONCURRENCY = Number(values.concurrency);
const QUERY_RUNS = Number(values['query-runs']);
const UI_RUNS = 5;
if (!(EVENTS > 0 && BATCH > 0 && CONCURRENCY > 0)) {
  console.error('--events, --batch and --concurrency must be positive numbers');
  process.exit(2);
}

const SERVICES = ['checkout', 'search', 'catalog', 'users', 'payments'];
const NAMES = Array.from({ length: 40 }, (_, i) => `${i % 3 === 0 ? 'POST' : 'GET'} /api/route-${i}/:id`);
const NOW_MS = Date.now();
const hex = (bytes) => randomBytes(bytes).toString('hex');

/** One request body: metadata and BATCH events, 40% transactions, 50% spans, 5% errors, 5% metricsets. */
function payload(batchIndex, count) {
  const service = SERVICES[batchIndex % SERVICES.length];
  const lines = [JSON.stringify({ metadata: { service: { name: service, environment: 'bench', agent: { name: 'nodejs', version: '4.0.0' } } } })];
  let traceId = hex(16);
  let txId = hex(8);
  for (let i = 0; i < count; i++) {
    // Agents send recent events, so timestamps rise through the run (over the last 24 hours).
    const timestamp = Math.round((NOW_MS - 86_400_000 + ((batchIndex * BATCH + i) / EVENTS) * 86_400_000 + Math.random() * 1000) * 1000);
    const r = i % 20;
    if (r < 8) {
      traceId = hex(16);
      txId = hex(8);
      const duration = Math.exp(Math.random() * 6);
      lines.push(JSON.stringify({ transaction: { id: txId, trace_id: traceId, name: NAMES[(batchIndex * 7 + i) % NAMES.length], type: 'request', duration, timestamp, outcome: Math.random() < 0.05 ? 'failure' : 'success', result: 'HTTP 2xx', span_count: { started: 1 }, sampled: true } }));
    } else if (r < 18) {
      lines.push(JSON.stringify({ span: { id: hex(8), trace_id: traceId, transaction_id: txId, parent_id: txId, name: 'SELECT * FROM items WHERE id = $1', type: 'db', subtype: 'postgresql', action: 'query', timestamp, duration: Math.random() * 20, context: { db: { type: 'sql', statement: 'SELECT * FROM items WHERE id = $1' } } } }));
    } else if (r === 18) {
      lines.push(JSON.stringify({ error: { id: hex(16), trace_id: traceId, transaction_id: txId, parent_id: txId, timestamp, culprit: 'load (src/items.js)', exception: { type: 'NotFoundError', message: `item ${i} not found`, handled: true, stacktrace: [{ function: 'load', filename: 'src/items.js', lineno: 12, context_line: 'throw new NotFoundError(id)' }] } } }));
    } else {
      lines.push(JSON.stringify({ metricset: { timestamp, samples: { 'system.cpu.total.norm.pct': { value: Math.random() } }, tags: { host: 'bench' } } }));
    }
  }
  return lines;
}

const gzipLines = (lines) => gzipSync(`${lines.join('\n')}\n`, { level: 1 });

function startCollector(db, extra, bin = BIN) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'collector', '--port', '0', '--db', db, '--queue-size', '100000', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ url: match[1], child });
    });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${out}`)));
  });
}

async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function ingest(url, bodies) {
  let next = 0;
  let accepted = 0;
  let retries = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      let body = bodies[index].gzipped;
      for (;;) {
        const response = await fetch(`${url}/intake/v2/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body });
        const result = await response.json();
        if (response.status === 503) {
          // Events before the refusal were queued; send only the rest again.
          accepted += result.accepted;
          const [metadata, ...events] = bodies[index].lines;
          bodies[index] = { lines: [metadata, ...events.slice(result.accepted)] };
          body = gzipLines(bodies[index].lines);
          retries += 1;
          await sleep(20);
          continue;
        }
        if (response.status !== 202) throw new Error(`intake answered ${response.status}: ${JSON.stringify(result).slice(0, 300)}`);
        accepted += result.accepted;
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { accepted, retries };
}

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))];
const round1 = (value) => Number(value.toFixed(1));

/** Each query QUERY_RUNS times on every collector in turn; null for a collector without the endpoint. */
async function timeQuery(urls, path) {
  const times = urls.map(() => []);
  const bodies = urls.map(() => undefined);
  const missing = urls.map(() => false);
  for (let i = 0; i < QUERY_RUNS; i++) {
    for (let k = 0; k < urls.length; k++) {
      const which = i % 2 === 0 ? k : urls.length - 1 - k;
      if (missing[which]) continue;
      const started = performance.now();
      const response = await fetch(`${urls[which]}${path}`);
      const body = await response.json();
      // An endpoint an older build does not have: reported as n/a rather than failing the run.
      if (response.status === 404 && i === 0 && body?.error) {
        missing[which] = true;
        continue;
      }
      if (!response.ok) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
      times[which].push(performance.now() - started);
      bodies[which] = body;
    }
  }
  return times.map((list, k) => {
    if (missing[k]) return null;
    list.sort((a, b) => a - b);
    return { p50: percentile(list, 0.5), p95: percentile(list, 0.95), body: bodies[k] };
  });
}

async function queries(urls) {
  // The whole day (what a 24h view asks) and the last hour (the UI's default), both ending now.
  const now = Date.now();
  const day = `from=${now - 86_400_000}&to=${now}`;
  const hour = `from=${now - 3_600_000}&to=${now}`;
  const results = [];
  const run = async (label, path) => {
    const [timing, base] = await timeQuery(urls, path);
    const row = { query: label, 'p50 ms': timing ? round1(timing.p50) : 'n/a', 'p95 ms': timing ? round1(timing.p95) : 'n/a' };
    if (urls.length > 1) Object.assign(row, { 'base p50 ms': base ? round1(base.p50) : 'n/a', 'base p95 ms': base ? round1(base.p95) : 'n/a' });
    results.push(row);
    return timing?.body;
  };
  await run('services (24h)', `/api/v1/services?${day}`);
  await run('services (1h)', `/api/v1/services?${hour}`);
  await run('services, one of them (24h)', `/api/v1/services?${day}&service=checkout`);
  const groups = await run('transaction groups (1 service, 24h)', `/api/v1/services/checkout/transactions?${day}&limit=1000`);
  await run('transaction groups (1 service, 1h)', `/api/v1/services/checkout/transactions?${hour}&limit=1000`);
  const name = encodeURIComponent(groups.items[0].name);
  await run('time series (1 group, 24h, 48 points)', `/api/v1/services/checkout/transactions/${name}/timeseries?${day}`);
  await run('time series (1 group, 1h, 60 points)', `/api/v1/services/checkout/transactions/${name}/timeseries?${hour}`);
  await run('latency distribution (1 group, 24h)', `/api/v1/services/checkout/transactions/${name}/distribution?${day}`);
  await run('service time series (24h) [new]', `/api/v1/services/checkout/timeseries?${day}`);
  await run('service time series (1h) [new]', `/api/v1/services/checkout/timeseries?${hour}`);
  await run('service distribution (24h) [new]', `/api/v1/services/checkout/distribution?${day}`);
  await run('samples of a latency bucket (24h) [new]', `/api/v1/services/checkout/transactions/${name}/samples?${day}&minMs=10&maxMs=11&limit=20`);
  await run('trace by id', `/api/v1/traces/${groups.items[0].sampleTraceId}`);
  await run('slowest transactions (1 service, 24h)', `/api/v1/traces?${day}&service=checkout&limit=20`);
  const errors = await run('error groups (24h)', `/api/v1/errors?${day}`);
  await run('error groups with counts over time (24h) [new]', `/api/v1/errors?${day}&countsOverTime=true`);
  await run('error group detail', `/api/v1/errors/${errors.items[0].groupId}`);
  await run('error group time series (24h) [new]', `/api/v1/errors/${errors.items[0].groupId}/timeseries?${day}`);
  await run('metric series (1 service, 1000 points)', `/api/v1/metrics?${day}&service=checkout&name=system.cpu.total.norm.pct`);
  return results;
}

/**
 * Changes the hash of the UI open in `page`, as a click on a link does, and waits until
 * the new page is fully drawn: the old page's elements are marked stale first, so the wait
 * cannot be satisfied by what was already on screen. Returns the milliseconds it took.
 */
async function navigateInApp(page, hash, pending, done) {
  const startedAt = await page.evaluate((next) => {
    for (const child of document.querySelector('main').children) child.setAttribute('data-stale', '');
    const t0 = performance.now();
    location.hash = next;
    return t0;
  }, hash);
  const drawn = await page.waitForFunction(([busy, selector]) => {
    const root = document.querySelector('main');
    return root !== null && root.querySelector('[data-stale]') === null && root.getAttribute('aria-busy') !== 'true' && root.querySelector(busy) === null && root.querySelector(selector) !== null ? performance.now() : 0;
  }, [pending, done], { polling: 'raf' }).catch(async (error) => {
    throw new Error(`in-app navigation to ${hash}: ${error.message}\n${(await page.locator('main').innerHTML()).slice(0, 2000)}`);
  });
  return (await drawn.jsonValue()) - startedAt;
}

/**
 * Each page in a fresh browser context (nothing cached), timed inside the page from its
 * navigation start (performance.now()), so that starting the browser and its renderer is
 * not counted: until the main content is visible, and until everything is drawn (nothing
 * pending). "wall" is from asking for a new context to fully drawn, start-up included.
 * "in-app" is the same page reached from the services page by a hash change in the UI
 * already open (modules loaded), as when clicking through, until fully drawn; "repeat
 * visit" the page opened in a new tab of the same profile (the browser's cache kept).
 */
async function timeUiPages(urls, { groupName, traceId, errorGroupId }) {
  const { chromium } = createRequire(new URL('../packages/collector/package.json', import.meta.url))('playwright-core');
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  const pending = '[aria-busy="true"], .pending, .loading';
  const group = `#/services/checkout/transactions/${encodeURIComponent(groupName)}`;
  // [label, hash, main content, what must exist once fully drawn]
  const pages = [
    ['services (24h)', '#/services?range=24h', '#services-table tbody tr', '.sparkline'],
    ['services (1h)', '#/services?range=1h', '#services-table tbody tr', '.sparkline'],
    ['service checkout (24h)', '#/services/checkout?range=24h', '#transactions-table tbody tr', 'figure.chart'],
    ['service checkout (1h)', '#/services/checkout?range=1h', '#transactions-table tbody tr', 'figure.chart'],
    ['transaction group (24h)', `${group}?range=24h`, '.histogram .bar', 'figure.chart'],
    ['errors (24h)', '#/errors?range=24h', '#errors-table tbody tr', '#errors-table tbody tr'],
    ['error group', `#/errors/${errorGroupId}?range=24h`, '#error-message', '#error-message'],
    ['trace', `#/traces/${traceId}`, '.waterfall', '.waterfall'],
    ['metrics checkout (24h)', '#/metrics/checkout?range=24h', 'figure.chart', 'figure.chart'],
  ];
  const results = [];
  try {
    for (const [label, hash, main, done] of pages) {
      const times = urls.map(() => ({ main: [], full: [], wall: [], nav: [], repeat: [], requests: [], kb: [] }));
      for (let run = 0; run < UI_RUNS; run++) {
        for (let k = 0; k < urls.length; k++) {
          const which = run % 2 === 0 ? k : urls.length - 1 - k;
          const into = times[which];
          const wallStart = performance.now();
          const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
          context.setDefaultTimeout(30_000);
          const page = await context.newPage();
          await page.goto(`${urls[which]}/ui/${hash}`);
          const shown = await page.waitForFunction((selector) => (document.querySelector(`main ${selector}`) !== null ? performance.now() : 0), main, { polling: 'raf' })
            .catch(async (error) => {
              throw new Error(`${label} on ${urls[which]}: ${error.message}\n${(await page.locator('main').innerHTML()).slice(0, 1000)}`);
            });
          into.main.push(await shown.jsonValue());
          const drawn = await page.waitForFunction(([busy, selector]) => {
            const root = document.querySelector('main');
            return root !== null && root.getAttribute('aria-busy') !== 'true' && root.querySelector(busy) === null && root.querySelector(selector) !== null ? performance.now() : 0;
          }, [pending, done], { polling: 'raf' }).catch(async (error) => {
            throw new Error(`${label} on ${urls[which]}: ${error.message}\n${(await page.locator('main').innerHTML()).slice(0, 2000)}`);
          });
          into.full.push(await drawn.jsonValue());
          into.wall.push(performance.now() - wallStart);
          const api = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/')).map((e) => e.transferSize));
          into.requests.push(api.length);
          into.kb.push(api.reduce((a, b) => a + b, 0) / 1024);
          // In the UI already open, as a person clicking through meets it: from another page
          // (the services page, or the errors page for the services pages) to this one by a
          // hash change (the modules are loaded), until fully drawn.
          const from = hash.startsWith('#/services?') ? ['#/errors?range=1h', '#errors-table tbody tr'] : ['#/services?range=1h', '#services-table tbody tr'];
          await navigateInApp(page, from[0], pending, from[1]);
          into.nav.push(await navigateInApp(page, hash, pending, done));
          // A repeat visit: a new tab of the same browser profile (its cache kept) opening the page.
          const again = await context.newPage();
          await again.goto(`${urls[which]}/ui/${hash}`);
          const redrawn = await again.waitForFunction(([busy, selector]) => {
            const root = document.querySelector('main');
            return root !== null && root.getAttribute('aria-busy') !== 'true' && root.querySelector(busy) === null && root.querySelector(selector) !== null ? performance.now() : 0;
          }, [pending, done], { polling: 'raf' });
          into.repeat.push(await redrawn.jsonValue());
          await context.close();
        }
      }
      const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
      const figures = (t, prefix) => ({
        [`${prefix}main shown ms`]: Math.round(median(t.main)), [`${prefix}fully drawn ms`]: Math.round(median(t.full)),
        [`${prefix}wall ms`]: Math.round(median(t.wall)), [`${prefix}in-app drawn ms`]: Math.round(median(t.nav)), [`${prefix}repeat visit drawn ms`]: Math.round(median(t.repeat)), [`${prefix}API calls`]: median(t.requests), [`${prefix}API KB`]: Number(median(t.kb).toFixed(1)),
      });
      results.push({ page: label, ...figures(times[0], ''), ...(urls.length > 1 ? figures(times[1], 'base ') : {}) });
    }
  } finally {
    await browser.close();
  }
  return results;
}

async function bench(label, db, extra, template, cleanup) {
  const bodies = template.map((body) => ({ ...body }));
  const { url, child } = await startCollector(db, extra);
  const run = {};
  let base = null;
  try {
    const started = performance.now();
    const { accepted, retries } = bodies.length === 0 ? { accepted: 0, retries: 0 } : await ingest(url, bodies);
    const acceptedAt = performance.now();
    while ((await metric(url, 'sightline_write_queue_depth')) > 0) await sleep(50);
    const written = performance.now();
    const seconds = (written - started) / 1000;
    run.eventsPerSecond = Math.round(accepted / seconds);
    run.batchWriteMs = Number(((await metric(url, 'sightline_store_write_duration_seconds_sum')) / Math.max(1, await metric(url, 'sightline_store_write_duration_seconds_count')) * 1000).toFixed(1));
    console.log(`\n${label}: ${accepted.toLocaleString()} events accepted in ${((acceptedAt - started) / 1000).toFixed(1)} s, all written after ${seconds.toFixed(1)} s`);
    console.log(`${label}: ingest throughput ${run.eventsPerSecond.toLocaleString()} events/s (HTTP + gzip + validation + insert; ${retries} retries after 503)`);
    console.log(`${label}: average write of one batch ${run.batchWriteMs} ms`);
    // The other build reads the same database, started once it is filled.
    base = values['base-bin'] === undefined ? null : await startCollector(db, extra, values['base-bin']);
    const urls = base === null ? [url] : [url, base.url];
    run.queries = await queries(urls);
    console.table(run.queries);
    if (values.ui) {
      const day = `from=${Date.now() - 86_400_000}&to=${Date.now()}`;
      const groups = await (await fetch(`${url}/api/v1/services/checkout/transactions?${day}`)).json();
      const errors = await (await fetch(`${url}/api/v1/errors?${day}`)).json();
      run.ui = await timeUiPages(urls, { groupName: groups.items[0].name, traceId: groups.items[0].sampleTraceId, errorGroupId: errors.items[0].groupId });
      console.table(run.ui);
    }
    report.runs[label] = run;
  } finally {
    for (const one of base === null ? [child] : [child, base.child]) {
      one.kill('SIGTERM');
      await new Promise((resolve) => one.once('exit', resolve));
    }
    await cleanup();
  }
}

const started = performance.now();
const bodies = [];
for (let sent = 0, i = 0; sent < EVENTS && !values['skip-ingest']; sent += BATCH, i++) {
  const lines = payload(i, Math.min(BATCH, EVENTS - sent));
  bodies.push({ lines, gzipped: gzipLines(lines) });
}
const megabytes = bodies.reduce((sum, b) => sum + b.gzipped.length, 0) / 1e6;
report.events = EVENTS;
console.log(`generated ${EVENTS.toLocaleString()} events in ${bodies.length} gzip requests (${megabytes.toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s; concurrency ${CONCURRENCY}`);

const targets = values.db.split(',').map((s) => s.trim());
if (targets.includes('sqlite')) {
  const kept = values['sqlite-file'];
  const dir = kept === undefined ? mkdtempSync(join(tmpdir(), 'sightline-bench-')) : null;
  await bench('SQLite', kept ?? join(dir, 'bench.db'), [], bodies, async () => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  });
}
if (targets.includes('postgres')) {
  const pg = createRequire(new URL('../packages/collector/package.json', import.meta.url))('pg');
  const schema = `sightline_bench_${hex(4)}`;
  const dropSchema = async () => {
    const client = new pg.Client({ connectionString: values['pg-url'] });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  };
  try {
    await bench('PostgreSQL', values['pg-url'], ['--pg-schema', schema], bodies, dropSchema);
  } catch (error) {
    console.error(`PostgreSQL benchmark failed: ${error.message}`);
    process.exitCode = 1;
  }
}
if (values.json) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
}
