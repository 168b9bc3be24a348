// Evaluation of the collector's anomaly models on synthetic minute series with labelled
// anomalies (see synthetic.mjs): recall and time to detect per anomaly type, precision, and
// false alarms per series-week on clean series. The models are the collector's own, from
// its build: run `npx tsc -b tsconfig.build.json` first.
//
//   node bench/anomaly/run.mjs [--weeks 4] [--threshold 50] [--seed 1] [--write] [--misses]
//     [--baseline <an older build's dist/anomaly/> --baseline-label <what it is>]
//
// --seed picks another set of series (every series' seed is counted up from it; 1 gives the
// series of every figure in bench/RESULTS.md): check a change on a few, so it is not tuned to one.
// --write puts the figures in bench/RESULTS.md under "## Anomaly detection" (that section
// only; the rest of the file is left as it is).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { generate, plan } from './synthetic.mjs';

/** A build's models: its dist/anomaly folder (model.js, probability.js). */
async function loadModels(dir) {
  const { ANOMALY_METRICS, newGroupModel, observeGroup } = await import(new URL('model.js', dir).href);
  const { scoreOf } = await import(new URL('probability.js', dir).href);
  return { ANOMALY_METRICS, newGroupModel, observeGroup, scoreOf };
}
const CURRENT = new URL('../../packages/collector/dist/anomaly/', import.meta.url);
const { ANOMALY_METRICS } = await loadModels(CURRENT);

const { values } = parseArgs({
  options: {
    weeks: { type: 'string', default: '4' },
    threshold: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '30' },
    write: { type: 'boolean', default: false },
    misses: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    // Another build's dist/anomaly folder, evaluated in the same run for a before/after table.
    baseline: { type: 'string' },
    'baseline-label': { type: 'string' },
  },
});
const WEEKS = Number(values.weeks);
const THRESHOLD = Number(values.threshold);
const BUCKET_MS = 60_000;
const BUCKETS = Math.round((WEEKS * 7 * 86_400_000) / BUCKET_MS);
// A Monday, midnight UTC.
const START_MS = Date.UTC(2025, 0, 6);
const OPTIONS = { bucketMs: BUCKET_MS, warmupBuckets: Number(values.warmup) };
const FAMILY_METRICS = { latency: ['latency_mean', 'latency_p95'], throughput: ['throughput'], errors: ['error_rate'] };
/**
 * An alarm catches an anomaly from its first bucket until `TOLERANCE` buckets after the
 * first `WITHIN` of it (a level shift must be caught in its first 30 minutes, not later).
 */
const TOLERANCE = { spike: 2, level_shift: 30, drift: 60, error_burst: 2 };
const WITHIN = { spike: Infinity, level_shift: 0, drift: Infinity, error_burst: Infinity };
const windowEnd = (label, kind) => label.startBucket + Math.min(label.endBucket - label.startBucket, WITHIN[kind]) + TOLERANCE[kind];
/** Anomalies where the group has at least this many transactions a bucket are "well observed". */
const BUSY = 10;
/**
 * "Detectable": an ideal test that knew the true baseline and the injected factor, facing
 * only the sampling noise of the bucket's transactions, would reach the threshold's p
 * (score 50: p = 1e-5, z 4.26) at least 84% of the time, i.e. its expected z is at least
 * DETECTABLE_Z. It sees a spike or burst whole and a level shift's first SHIFT_SEEN buckets.
 */
const DETECTABLE_Z = 4.26 + 1;
const SHIFT_SEEN = 10;
const SIGMA = 0.5;

/** Expected z of the ideal test for one label (see DETECTABLE_Z). */
function idealZ(label, series, group) {
  const from = label.startBucket;
  const seen = label.kind === 'spike' || label.kind === 'error_burst' ? label.endBucket - from : label.kind === 'drift' ? label.endBucket - from + TOLERANCE.drift : SHIFT_SEEN;
  const cv2 = Math.expm1(SIGMA * SIGMA);
  let squares = 0;
  let excess = 0;
  let expectedFailures = 0;
  for (let b = from; b < Math.min(series.length, from + seen); b++) {
    const lambda = series[b].lambda;
    if (label.family === 'latency') {
      const share = label.kind === 'drift' ? Math.min(1, (b - from) / (label.endBucket - from)) : 1;
      squares += (Math.log(label.factor) * share) ** 2 * (lambda / cv2);
    } else if (label.family === 'throughput') {
      // A return goes from lambda / factor back to lambda.
      squares += (2 * (Math.sqrt(lambda * label.factor) - Math.sqrt(lambda))) ** 2;
    } else {
      expectedFailures += lambda * group.errorRate;
      excess += lambda * group.errorRate * (label.factor - 1);
    }
  }
  if (label.family !== 'errors') return Math.sqrt(squares);
  // Failures are few: an exact Poisson test. The count that reaches p = 1e-5 under the
  // baseline, and the chance the burst's failures reach it (as a z, to compare alike).
  let k = 0;
  while (poissonUpper(k, expectedFailures) > 1e-5) k += 1;
  const power = poissonUpper(k, expectedFailures + excess);
  return power >= 0.8413 ? DETECTABLE_Z : 0;
}

/** P(X >= k) for X ~ Poisson(mean). */
function poissonUpper(k, mean) {
  let term = Math.exp(-mean);
  let below = 0;
  for (let i = 0; i < k; i++) {
    below += term;
    term *= mean / (i + 1);
  }
  return Math.max(0, 1 - below);
}

const GROUPS = [
  { ratePerMin: 3, medianMs: 40, errorRate: 0.02, profile: 'sine' },
  { ratePerMin: 12, medianMs: 120, errorRate: 0.01, profile: 'office' },
  { ratePerMin: 30, medianMs: 15, errorRate: 0.005, profile: 'sine' },
  { ratePerMin: 60, medianMs: 250, errorRate: 0.03, profile: 'office' },
  { ratePerMin: 150, medianMs: 8, errorRate: 0.001, profile: 'sine' },
  { ratePerMin: 20, medianMs: 60, errorRate: 0.01, profile: 'flat' },
];

const CASES = [
  ['spike', 'latency'], ['spike', 'throughput'], ['level_shift', 'latency'], ['level_shift', 'throughput'],
  ['drift', 'latency'], ['error_burst', 'errors'],
];

/** Runs one series through a fresh model; alarms as { bucket, metric, score }. */
function detect(series, { newGroupModel, observeGroup, scoreOf }) {
  const model = newGroupModel(BUCKET_MS);
  const alarms = [];
  for (let b = 0; b < series.length; b++) {
    for (const v of observeGroup(model, START_MS + b * BUCKET_MS, series[b], OPTIONS)) {
      const score = scoreOf(v.logP);
      if (score >= THRESHOLD) alarms.push({ bucket: b, metric: v.metric, score });
    }
  }
  return alarms;
}

/** Consecutive alarm buckets of one metric make one episode. */
function episodes(alarms) {
  const result = [];
  const open = new Map();
  for (const a of alarms) {
    const last = open.get(a.metric);
    if (last !== undefined && a.bucket - last.end <= 1) last.end = a.bucket;
    else {
      const e = { metric: a.metric, start: a.bucket, end: a.bucket };
      result.push(e);
      open.set(a.metric, e);
    }
  }
  return result;
}

const startedAt = performance.now();
function evaluate(models) {
const clean = { seriesWeeks: 0, groupWeeks: 0, episodes: 0, byMetric: Object.fromEntries(ANOMALY_METRICS.map((m) => [m, 0])) };
let seed = Number(values.seed);
for (const group of GROUPS) {
  for (let copy = 0; copy < 2; copy++) {
    const series = generate({ ...group, seed: seed++, buckets: BUCKETS, bucketMs: BUCKET_MS, startMs: START_MS });
    const found = episodes(detect(series, models));
    clean.episodes += found.length;
    for (const e of found) clean.byMetric[e.metric] += 1;
    clean.groupWeeks += WEEKS;
    clean.seriesWeeks += WEEKS * ANOMALY_METRICS.length;
  }
}

const byType = new Map();
let truePositiveEpisodes = 0;
let allEpisodes = 0;
for (const [kind, family] of CASES) {
  const key = `${kind} (${family})`;
  const newStats = () => ({ labels: 0, detected: 0, delays: [], episodes: 0, falseEpisodes: 0, busyLabels: 0, busyDetected: 0, visibleLabels: 0, visibleDetected: 0 });
  const stats = newStats();
  byType.set(key, stats);
  // A throughput shift's return to normal is reported on its own row (after 12 h the shifted level is the learnt one).
  const returns = kind === 'level_shift' && family === 'throughput' ? newStats() : null;
  if (returns !== null) byType.set(`${kind} return (${family})`, returns);
  for (const group of GROUPS) {
    const s = seed++;
    const anomalies = plan(kind, family, { buckets: BUCKETS, bucketMs: BUCKET_MS, seed: s });
    const series = generate({ ...group, seed: s, buckets: BUCKETS, bucketMs: BUCKET_MS, startMs: START_MS, anomalies });
    const alarms = detect(series, models);
    for (const label of anomalies) {
      const row = label.isReturn ? returns : stats;
      row.labels += 1;
      // Transactions a bucket just before it: what there was to see.
      const before = series.slice(Math.max(0, label.startBucket - 30), label.startBucket);
      const busy = before.reduce((sum, o) => sum + o.count, 0) / Math.max(1, before.length) >= BUSY;
      if (busy) row.busyLabels += 1;
      const visible = idealZ(label, series, group) >= DETECTABLE_Z;
      if (visible) row.visibleLabels += 1;
      const until = windowEnd(label, kind);
      const hit = alarms.find((a) => a.bucket >= label.startBucket && a.bucket < until && FAMILY_METRICS[family].includes(a.metric));
      if (hit === undefined && visible && values.misses) {
        console.error(`missed ${kind}${label.isReturn ? ' return' : ''} (${family}) ${label.detail} at ${label.startBucket} (hour ${((label.startBucket / 60) % 24).toFixed(1)}, day ${Math.floor(label.startBucket / 1440) % 7}), lambda ${series[label.startBucket].lambda.toFixed(1)}, ideal z ${idealZ(label, series, group).toFixed(1)}`);
      }
      if (hit !== undefined) {
        row.detected += 1;
        if (busy) row.busyDetected += 1;
        if (visible) row.visibleDetected += 1;
        row.delays.push(hit.bucket - label.startBucket + 1);
      }
    }
    for (const e of episodes(alarms)) {
      allEpisodes += 1;
      stats.episodes += 1;
      const explained = anomalies.some((l) => e.start < windowEnd(l, kind) && e.end >= l.startBucket);
      if (explained) truePositiveEpisodes += 1;
      else {
        stats.falseEpisodes += 1;
        if (values.misses) console.error(`false ${key} ${e.metric} ${e.start}..${e.end} (hour ${((e.start / 60) % 24).toFixed(1)}, day ${Math.floor(e.start / 1440) % 7}) lambda ${series[e.start].lambda.toFixed(1)}`);
      }
    }
  }
}
allEpisodes += clean.episodes;
return { clean, byType, truePositiveEpisodes, allEpisodes };
}
const { clean, byType, truePositiveEpisodes, allEpisodes } = evaluate(await loadModels(CURRENT));
const before = values.baseline === undefined ? null : evaluate(await loadModels(new URL(`file://${values.baseline.replace(/\/?$/, '/')}`)));

const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

const lines = [];
lines.push(`Synthetic minute buckets, ${WEEKS} weeks per series, ${GROUPS.length} traffic shapes (3–150 transactions/min, sine or office-hours days with quiet weekends, +10%/week growth, lognormal latency σ 0.5 that follows load), threshold score ${THRESHOLD}, warm-up ${OPTIONS.warmupBuckets} buckets.`);
lines.push('');
lines.push(`| anomaly | injected | recall | recall of the detectable (n) | recall at ≥ ${BUSY} tx/bucket (n) | median time to detect (buckets) | max | false episodes in those series |`);
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [key, s] of byType) {
  const falseEpisodes = key.includes('return') ? '(above)' : s.falseEpisodes;
  lines.push(`| ${key} | ${s.labels} | ${fmt(s.detected / s.labels)} | ${fmt(s.visibleDetected / s.visibleLabels)} (${s.visibleLabels}) | ${fmt(s.busyDetected / s.busyLabels)} (${s.busyLabels}) | ${fmt(median(s.delays), 0)} | ${s.delays.length ? Math.max(...s.delays) : '–'} | ${falseEpisodes} |`);
}
lines.push('');
lines.push(`Clean series (no injected anomaly): ${clean.episodes} alarm episodes over ${clean.seriesWeeks} metric-series-weeks = **${fmt(clean.episodes / clean.seriesWeeks, 3)} false alarms per series-week** (${fmt(clean.episodes / clean.groupWeeks, 3)} per transaction-group-week, all four metrics together); by metric: ${ANOMALY_METRICS.map((m) => `${m} ${clean.byMetric[m]}`).join(', ')}.`);
lines.push(`Precision over all alarm episodes (an episode is consecutive alarm buckets of one metric; true if it overlaps an injected anomaly or its tolerance window): ${fmt(truePositiveEpisodes / allEpisodes)} (${truePositiveEpisodes} of ${allEpisodes}).`);
lines.push(`Time to detect counts the anomaly's first bucket as 1. An alarm catches a spike or error burst from its first bucket to 2 buckets after its last, a level shift within its first 30 buckets, a drift ramp from its start to 60 buckets after the ramp; the same windows decide which alarm episodes are true. \"≥ ${BUSY} tx/bucket\": the group averaged at least ${BUSY} transactions a bucket over the 30 buckets before the anomaly (a ×2 latency spike of one request at night is not there to be seen). Latency anomalies are rises (latency and error rate are flagged upward only, by design); throughput spikes and shifts go either way. Level shifts last 12 h; a throughput shift's return to normal is on its own row (by then the shifted level is the learnt one, so it is an anomaly to the model, but not an injected onset). "Detectable": an ideal test knowing the true baseline and the injected factor, against the sampling noise of the bucket's transactions alone (Poisson counts, lognormal σ ${SIGMA} latency, binomial failures), would have an expected z ≥ ${DETECTABLE_Z.toFixed(2)} (≥ 84% chance of reaching score 50), seeing a spike or burst whole, a shift's first ${SHIFT_SEEN} buckets, a drift up to 60 buckets after its ramp. Drifts ramp up over 3 h, hold 6 h and ramp back (the rise is labelled).`);
if (before !== null) {
  lines.push('');
  lines.push(`Before → after, the same series in the same run (before: the models of ${values['baseline-label'] ?? values.baseline}):`);
  lines.push('');
  lines.push('| anomaly | recall | recall of the detectable | recall at ≥ 10 tx/bucket | false episodes in those series |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const [key, s] of byType) {
    const b = before.byType.get(key);
    const arrow = (x, y) => `${fmt(x)} → ${fmt(y)}`;
    lines.push(`| ${key} | ${arrow(b.detected / b.labels, s.detected / s.labels)} | ${arrow(b.visibleDetected / b.visibleLabels, s.visibleDetected / s.visibleLabels)} | ${arrow(b.busyDetected / b.busyLabels, s.busyDetected / s.busyLabels)} | ${key.includes('return') ? '(above)' : `${b.falseEpisodes} → ${s.falseEpisodes}`} |`);
  }
  lines.push(`| clean: false alarms per series-week | ${fmt(before.clean.episodes / before.clean.seriesWeeks, 3)} → ${fmt(clean.episodes / clean.seriesWeeks, 3)} | | | |`);
  lines.push(`| precision | ${fmt(before.truePositiveEpisodes / before.allEpisodes)} → ${fmt(truePositiveEpisodes / allEpisodes)} | | | |`);
}
const elapsed = ((performance.now() - startedAt) / 1000).toFixed(1);
const output = lines.join('\n');
console.log(output);
console.log(`\n(${elapsed} s)`);

if (values.write) {
  const path = new URL('../RESULTS.md', import.meta.url);
  let commit = 'uncommitted';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {}
  const section = `## Anomaly detection\n\n\`node bench/anomaly/run.mjs --write\` (models from packages/collector/src/anomaly at ${commit}, ${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}).\n\n${output}\n`;
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const pattern = /## Anomaly detection\n[\s\S]*?(?=\n## |\s*$)/;
  const next = pattern.test(existing) ? existing.replace(pattern, section.trimEnd()) : `${existing.trimEnd()}\n\n${section}`;
  writeFileSync(path, next.endsWith('\n') ? next : `${next}\n`);
  console.log('written to bench/RESULTS.md');
}
