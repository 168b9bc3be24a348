// What watching metric series costs the collector: per bucket, the detector's time for
// N series (6 samples each a bucket) on SQLite, against the time the store took to write
// those samples in the same run (the baseline). Timed: run under the machine lock and note
// the load average.
//
//   flock /tmp/sightline-bench.lock node bench/anomaly/metric-cost.mjs [--series 1000] [--buckets 40]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const DIST = new URL('../../packages/collector/dist/', import.meta.url);
const { openStore } = await import(new URL('index.js', DIST).href);
const { AnomalyDetector } = await import(new URL('anomaly/detector.js', DIST).href);
const { emptyBatch } = await import(new URL('model/event.js', DIST).href);

const { values } = parseArgs({ options: { series: { type: 'string', default: '1000' }, buckets: { type: 'string', default: '40' } } });
const SERIES = Number(values.series);
const BUCKETS = Number(values.buckets);
const BUCKET_MS = 60_000;
const T0 = Math.floor(Date.UTC(2025, 0, 6, 12) / BUCKET_MS) * BUCKET_MS;

const dir = mkdtempSync(join(tmpdir(), 'sightline-metric-cost-'));
const store = await openStore(join(dir, 'bench.db'));
const clock = { now: T0 };
const detector = new AnomalyDetector(store.anomalies, {
  bucketMs: BUCKET_MS, graceMs: 1000, warmupBuckets: 30, threshold: 50, now: () => clock.now, historyMs: 0,
  metrics: ['app.*'], maxMetricSeries: SERIES, onError: (error) => { throw error; },
});
let a = 1;
const rand = () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648);
let writeMs = 0;
let detectMs = 0;
const started = loadavg()[0];
for (let b = 0; b < BUCKETS; b++) {
  const batch = emptyBatch();
  for (let k = 0; k < 6; k++) {
    const atUs = (T0 + b * BUCKET_MS + k * 10_000) * 1000;
    for (let s = 0; s < SERIES; s++) {
      const value = 100 + (s % 50) + rand() * 10;
      batch.metrics.push({ service: `svc-${s % 20}`, environment: 'prod', name: `app.metric.${s % 50}`, value, labels: JSON.stringify({ host: `h${Math.floor(s / 1000)}` }), timestampUs: atUs, doc: `{"type":"gauge","value":${value}}` });
    }
  }
  let t = performance.now();
  await store.write(batch);
  if (b > 0) writeMs += performance.now() - t;
  clock.now = T0 + (b + 1) * BUCKET_MS + 1500;
  t = performance.now();
  await detector.runDue();
  if (b > 0) detectMs += performance.now() - t;
}
await store.close();
rmSync(dir, { recursive: true, force: true });
const per = (ms) => (ms / (BUCKETS - 1)).toFixed(1);
console.log(`${SERIES} metric series, 6 samples each a bucket, ${BUCKETS - 1} buckets judged (SQLite, Node ${process.versions.node}, load average ${started.toFixed(1)} → ${loadavg()[0].toFixed(1)}):`);
console.log(`  writing a bucket's ${6 * SERIES} samples: ${per(writeMs)} ms; judging the bucket: ${per(detectMs)} ms = ${(detectMs / writeMs).toFixed(2)}× the write`);
