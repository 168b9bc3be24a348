/**
 * Anomaly detection end to end: a collector with 2-second buckets, the Express demo under
 * steady load on /sql-group, and the demo's fault switched on after the models have warmed
 * up (DEMO_FAULT=sql-group: 8 ms more in the database per request, its default). The latency anomaly of
 * `GET /sql-group` must come out of GET /api/v1/anomalies within two buckets of the switch,
 * explained by `db` time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '@sightline/collector';

const APP = fileURLToPath(new URL('../examples/express-demo/dist/main.js', import.meta.url));
const BUCKET_MS = 2_000;
const GRACE_MS = 500;
const FAULT_AFTER_S = 30;

let dir: string;
let collector: RunningCollector;
let app: ChildProcess;
let appUrl: string;
let faultOnAtMs: Promise<number>;
let load: Promise<void>;
let stopLoad = false;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sightline-anomaly-demo-'));
  collector = await startCollector({
    port: 0, db: join(dir, 'sightline.db'), anomalyBucket: BUCKET_MS, anomalyWarmup: 8, anomalyGrace: GRACE_MS,
  });
  app = spawn(process.execPath, [APP], {
    cwd: dir,
    env: {
      ...process.env, PORT: '0', SIGHTLINE_SERVER_URL: collector.url, SIGHTLINE_FLUSH_INTERVAL: '200ms',
      DEMO_SQLITE_FILE: join(dir, 'people.sqlite'), DEMO_FAULT: 'sql-group', DEMO_FAULT_AFTER: `${FAULT_AFTER_S}s`,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  faultOnAtMs = new Promise((resolve) => {
    createInterface({ input: app.stderr! }).on('line', (line) => {
      if (line.startsWith('{"fault"')) resolve(JSON.parse(line).onAtMs);
    });
  });
  appUrl = await new Promise<string>((resolve, reject) => {
    createInterface({ input: app.stdout! }).on('line', (line) => {
      if (line.startsWith('{"ready"')) resolve(JSON.parse(line).url);
    });
    app.once('exit', (code) => reject(new Error(`the demo app exited (${code}) before it was ready`)));
  });
  // Steady load: two requests in flight, all the time, until the test ends.
  const worker = async () => {
    while (!stopLoad) {
      await fetch(`${appUrl}/sql-group`).then((r) => r.arrayBuffer()).catch(() => {});
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  load = Promise.all([worker(), worker()]).then(() => {});
}, 30_000);

afterAll(async () => {
  stopLoad = true;
  await load;
  app?.kill('SIGTERM');
  if (app && app.exitCode === null) await new Promise((r) => app.once('exit', r));
  await collector?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('anomaly detection on the demo', () => {
  it('reports the /sql-group latency fault through the API within two buckets, explained by db time', async () => {
    const switchedAtMs = await faultOnAtMs;
    const switchBucket = Math.floor(switchedAtMs / BUCKET_MS) * BUCKET_MS;
    // The second bucket after the switch has ended, waited its grace, and been processed (ticks are every 500 ms).
    const deadline = switchBucket + 2 * BUCKET_MS + GRACE_MS + 3_000;
    const url = `${collector.url}/api/v1/anomalies?service=express-demo&transaction=${encodeURIComponent('GET /sql-group')}` +
      `&metric=latency_mean&from=${switchBucket - 10 * BUCKET_MS}&to=${switchBucket + 10 * BUCKET_MS}`;
    // The switch's own bucket holds the fault in its last requests only; the one after it, in all of them.
    const wholeBucket = switchBucket + BUCKET_MS;
    let items: any[] = [];
    while (Date.now() < deadline && !items.some((a) => a.bucketStartMs >= wholeBucket)) {
      await new Promise((r) => setTimeout(r, 200));
      items = (await (await fetch(url)).json()).items;
    }
    expect(items.length, 'a latency_mean anomaly for GET /sql-group').toBeGreaterThan(0);
    const all: any[] = (await (await fetch(`${collector.url}/api/v1/anomalies?service=express-demo&from=0`)).json()).items;
    const first = items.at(-1);
    const seen = JSON.stringify(all.map((a) => [a.bucketStartMs - switchBucket, a.metric, a.score, a.typical, a.actual]));
    expect(first.bucketStartMs, `anomalies (bucket start from the switch, metric, score, typical, actual): ${seen}`).toBeGreaterThanOrEqual(switchBucket);
    expect(first.bucketStartMs).toBeLessThan(switchBucket + 2 * BUCKET_MS);
    expect(first.series).toMatchObject({ service: 'express-demo', transactionName: 'GET /sql-group', metric: 'latency_mean' });
    expect(first.score).toBeGreaterThanOrEqual(50);
    expect(first.actual).toBeGreaterThan(first.typical * 2);
    // The fault is in the database: db time is explained as grown. Read in the first bucket
    // wholly after the switch when it was flagged: a switch late in its bucket adds little db
    // time to that bucket's mean, and a busy machine can flag it for the app's own time. The
    // app's own time may grow too and be listed first, so db is looked up, not indexed.
    const explained = items.find((a) => a.bucketStartMs === wholeBucket) ?? first;
    const db = explained.explanation.find((e: { spanType: string }) => e.spanType === 'db');
    expect(db, JSON.stringify(explained.explanation)).toBeDefined();
    expect(db.actualMs).toBeGreaterThan(db.typicalMs * 2 + 1);
    // Nothing was flagged before the fault.
    const before = await (await fetch(`${collector.url}/api/v1/anomalies?service=express-demo&from=0&to=${switchBucket}`)).json();
    expect(before.items).toEqual([]);
  }, 60_000);
});
