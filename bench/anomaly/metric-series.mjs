// Evaluation of the collector's metric-series anomaly models (collector --anomaly-metrics)
// on synthetic minute series with labelled anomalies: recall and time to detect for spikes
// (one bucket, up or down) and level shifts (12 h, up or down), false alarms per
// series-week on clean series. Samples go through the collector's own bucketing
// (metric-value.js: a bucket's mean, or a running total's rate) and models (metric-model.js),
// from its build: run `pnpm -r build` first. Seeded: the same figures every run.
//
//   node bench/anomaly/metric-series.mjs [--weeks 4] [--threshold 50] [--warmup 30] [--seed 1000]
import { parseArgs } from 'node:util';
import { rng as random } from './synthetic.mjs';

const DIST = new URL('../../packages/collector/dist/anomaly/', import.meta.url);
const { newMetricModel, observeMetric } = await import(new URL('metric-model.js', DIST).href);
const { bucketValue } = await import(new URL('metric-value.js', DIST).href);
const { scoreOf } = await import(new URL('probability.js', DIST).href);

const { values } = parseArgs({
  options: { weeks: { type: 'string', default: '4' }, threshold: { type: 'string', default: '50' }, warmup: { type: 'string', default: '30' }, seed: { type: 'string', default: '1000' } },
});
const WEEKS = Number(values.weeks);
const THRESHOLD = Number(values.threshold);
const BUCKET_MS = 60_000;
const BUCKETS = Math.round((WEEKS * 7 * 86_400_000) / BUCKET_MS);
const START_MS = Date.UTC(2025, 0, 6);
const OPTIONS = { bucketMs: BUCKET_MS, warmupBuckets: Number(values.warmup) };
/** Samples a bucket (an agent reporting every 10 s). */
const SAMPLES = 6;
const DAY = 1440;

const gaussian = (rand) => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
/** Office hours, 8:00-18:00 on weekdays: 0 or 1, or with `rampH` hours of linear ramp each side. */
const office = (b, rampH = 0) => {
  const hour = (b % DAY) / 60;
  if (Math.floor(b / DAY) % 7 >= 5) return 0;
  if (rampH === 0) return hour >= 8 && hour < 18 ? 1 : 0;
  return Math.max(0, Math.min(1, (hour - 8 + rampH / 2) / rampH, (18 + rampH / 2 - hour) / rampH));
};

/**
 * Series shapes: level(b) is the true value of bucket b, noise(rand) one sample's deviation
 * (sd: its standard deviation), `total` a running total whose rate is level(b) per second.
 */
const SHAPES = [
  { name: 'cpu (daily sine)', level: (b) => 0.3 + 0.15 * Math.sin((2 * Math.PI * b) / DAY), sd: 0.03, noise: (r) => 0.03 * gaussian(r) },
  { name: 'heap (growing 10%/week)', level: (b) => 50e6 * (1 + (0.1 * b) / (7 * DAY)), sd: 2e6, noise: (r) => 2e6 * gaussian(r) },
  { name: 'queue depth (office hours, 1 h ramps)', level: (b) => 0.5 + 6 * office(b, 1), sd: 1, noise: (r) => gaussian(r) },
  { name: 'queue depth (office hours, sharp steps)', level: (b) => 0.5 + 6 * office(b), sd: 1, noise: (r) => gaussian(r) },
  // Event-loop delay: skewed (exponential) sample noise.
  { name: 'event-loop delay (skewed)', level: () => 2, sd: 1, noise: (r) => -Math.log(1 - r()) - 1 },
  { name: 'requests total (running, sine rate)', level: (b) => 20 + 10 * Math.sin((2 * Math.PI * b) / DAY), sd: 3, noise: (r) => 3 * gaussian(r), total: true },
];

/**
 * Labelled anomalies every ~1.5 days: spikes (one bucket) and level shifts (12 h), up or
 * down alternately, of `size` standard deviations of a bucket's value (a spike 8, a shift 5).
 */
function plan(kind, seed) {
  const rand = random(seed);
  const labels = [];
  let b = 3 * DAY + Math.floor(rand() * DAY);
  let sign = 1;
  while (b < BUCKETS - DAY) {
    const length = kind === 'spike' ? 1 : DAY / 2;
    labels.push({ kind, start: b, end: b + length, sign, size: kind === 'spike' ? 8 : 5 });
    sign = -sign;
    b += length + DAY + Math.floor(rand() * DAY);
  }
  return labels;
}

/** Runs one series through a fresh model; the buckets that scored at or above the threshold. */
function run(shape, labels, seed) {
  const rand = random(seed);
  const model = newMetricModel(BUCKET_MS);
  const alarms = [];
  const bucketSd = shape.total ? shape.sd / Math.sqrt(SAMPLES) : shape.sd / Math.sqrt(SAMPLES);
  let total = 1e6;
  for (let b = 0; b < BUCKETS; b++) {
    const label = labels.find((l) => b >= l.start && b < l.end);
    const shift = label === undefined ? 0 : label.sign * label.size * bucketSd;
    const samples = [];
    for (let k = 0; k < SAMPLES; k++) {
      const timeMs = START_MS + b * BUCKET_MS + (k * BUCKET_MS) / SAMPLES;
      const value = shape.level(b) + shift + shape.noise(rand);
      if (shape.total) {
        // The rate over each 10 s, as a cumulative OTLP sum's points.
        total += Math.max(0, value) * (BUCKET_MS / SAMPLES / 1000);
        samples.push({ timeMs, value: total, start: '1' });
      } else samples.push({ timeMs, value, start: null });
    }
    const verdict = observeMetric(model, START_MS + b * BUCKET_MS, bucketValue(samples, model), OPTIONS);
    if (verdict !== null && scoreOf(verdict.logP) >= THRESHOLD) alarms.push(b);
  }
  return alarms;
}

function episodes(alarms) {
  const result = [];
  for (const b of alarms) {
    const last = result[result.length - 1];
    if (last !== undefined && b - last.end <= 1) last.end = b;
    else result.push({ start: b, end: b });
  }
  return result;
}

const started = performance.now();
const TOLERANCE = { spike: 2, level_shift: 30 };
const rows = [];
let seed = Number(values.seed);
let cleanEpisodes = 0;
let cleanWeeks = 0;
/** Clean episodes after the first week, once the week profile is in use (the first Saturday's quiet is news to a model that has seen only weekdays). */
let cleanLater = 0;
const cleanBy = [];
for (const shape of SHAPES) {
  const row = { name: shape.name, spike: { n: 0, hit: 0, delays: [] }, level_shift: { n: 0, hit: 0, delays: [] }, falseEpisodes: 0, episodes: 0 };
  for (const kind of ['spike', 'level_shift']) {
    const labels = plan(kind, seed++);
    const alarms = run(shape, labels, seed++);
    for (const l of labels) {
      row[kind].n += 1;
      const hit = alarms.find((b) => b >= l.start && b < l.start + (kind === 'spike' ? 1 : 0) + TOLERANCE[kind]);
      if (hit !== undefined) {
        row[kind].hit += 1;
        row[kind].delays.push(hit - l.start + 1);
      }
    }
    for (const e of episodes(alarms)) {
      row.episodes += 1;
      // A shift's return to normal, a level the model has learnt by then, is explained too.
      const explained = labels.some((l) => (e.start < l.start + TOLERANCE[kind] + (kind === 'spike' ? 1 : 0) && e.end >= l.start) || (kind === 'level_shift' && e.start >= l.end && e.start < l.end + TOLERANCE[kind]));
      if (!explained) row.falseEpisodes += 1;
    }
  }
  const cleanAlarms = episodes(run(shape, [], seed++));
  const clean = cleanAlarms.length;
  cleanEpisodes += clean;
  cleanLater += cleanAlarms.filter((e) => e.start >= 7 * DAY).length;
  cleanWeeks += WEEKS;
  cleanBy.push(`${shape.name} ${clean}`);
  rows.push(row);
}

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const median = (xs) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]);
const lines = [];
lines.push(`Metric series: synthetic minute buckets of ${SAMPLES} samples, ${WEEKS} weeks per series, threshold score ${THRESHOLD}, warm-up ${OPTIONS.warmupBuckets} buckets; spikes one bucket of 8 and level shifts 12 h of 5 standard deviations of a bucket's value, up and down alternately.`);
lines.push('');
lines.push('| series | spikes | recall | median / max time to detect | shifts | recall | median / max time to detect | false episodes in those series |');
lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const d = (s) => `${fmt(median(s.delays), 0)} / ${s.delays.length ? Math.max(...s.delays) : '–'}`;
  lines.push(`| ${r.name} | ${r.spike.n} | ${fmt(r.spike.hit / r.spike.n)} | ${d(r.spike)} | ${r.level_shift.n} | ${fmt(r.level_shift.hit / r.level_shift.n)} | ${d(r.level_shift)} | ${r.falseEpisodes} |`);
}
lines.push('');
lines.push(`Clean series: ${cleanEpisodes} alarm episodes over ${cleanWeeks} series-weeks = **${fmt(cleanEpisodes / cleanWeeks, 3)} false alarms per series-week** (${cleanBy.join(', ')}); after each series' first week: ${cleanLater} over ${cleanWeeks - SHAPES.length} = ${fmt(cleanLater / (cleanWeeks - SHAPES.length), 3)} per series-week.`);
console.log(lines.join('\n'));
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
