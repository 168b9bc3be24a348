// Synthetic transaction-group traffic, one bucket at a time: the count from a Poisson with
// a daily (and weekly) profile and a slow trend, each transaction's latency from a
// lognormal whose median follows load, failures from a binomial. Anomalies are injected
// with labels saying what, when and which metric family they touch.

/** mulberry32: a small seeded generator, so every run draws the same series. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random) {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function poisson(random, lambda) {
  if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(random)));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

function binomial(random, n, p) {
  if (n * p > 30 && n * (1 - p) > 30) return Math.max(0, Math.min(n, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal(random))));
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k += 1;
  return k;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Daily traffic profiles, 0..1-ish multipliers by time. */
export const PROFILES = {
  /** A smooth day: a sine with its peak mid-afternoon. */
  sine: (t) => 1 + 0.6 * Math.sin(((t % DAY_MS) / DAY_MS - 0.375) * 2 * Math.PI),
  /** Office hours: busy 08–18 with one-hour ramps, a tenth at night, weekend days a third as busy. */
  office: (t) => {
    const hour = (t % DAY_MS) / HOUR_MS;
    // Epoch day 0 was a Thursday; 0 is Monday here.
    const day = (Math.floor(t / DAY_MS) + 3) % 7;
    const ramp = hour < 7 ? 0 : hour < 8 ? hour - 7 : hour < 18 ? 1 : hour < 19 ? 19 - hour : 0;
    return 0.1 + 0.9 * ramp * (day >= 5 ? 0.35 : 1);
  },
  flat: () => 1,
};

/**
 * @typedef {{ kind: 'spike'|'level_shift'|'drift'|'error_burst', family: 'latency'|'throughput'|'errors',
 *   startBucket: number, endBucket: number, detail: string }} Label
 */

/**
 * One series: `ratePerMin` transactions a minute on average, `medianMs` typical latency,
 * `errorRate`, a profile name, weekly growth, and the anomalies to inject.
 */
export function generate({ seed, buckets, bucketMs, startMs, ratePerMin, medianMs, errorRate, profile, growthPerWeek = 0.1, sigma = 0.5, anomalies = [] }) {
  const random = rng(seed);
  const shape = PROFILES[profile];
  const out = new Array(buckets);
  const samples = [];
  for (let b = 0; b < buckets; b++) {
    const t = startMs + b * bucketMs;
    const load = shape(t);
    const growth = 1 + growthPerWeek * (b * bucketMs) / (7 * DAY_MS);
    let lambda = (ratePerMin * bucketMs / 60_000) * load * growth;
    // Latency rises a little with load, and varies slowly by itself (a shared resource's mood).
    let median = medianMs * (1 + 0.25 * Math.min(load, 2)) * Math.exp(0.05 * Math.sin(b / 97) + 0.04 * Math.sin(b / 23));
    const lambdaBefore = lambda;
    let failRate = errorRate;
    for (const a of anomalies) {
      const effect = a.effect(b);
      if (effect === null) continue;
      if (a.family === 'latency') median *= effect;
      else if (a.family === 'throughput') lambda *= effect;
      else failRate = Math.min(1, failRate * effect);
    }
    const count = poisson(random, lambda);
    samples.length = 0;
    let sum = 0;
    let logSum = 0;
    let logSquares = 0;
    for (let i = 0; i < count; i++) {
      const ms = median * Math.exp(sigma * normal(random));
      samples.push(ms);
      sum += ms;
      logSum += Math.log(ms);
      logSquares += Math.log(ms) ** 2;
    }
    const logVariance = count >= 2 ? Math.max(0, (logSquares - logSum ** 2 / count) / (count - 1)) : null;
    let p95Ms = null;
    if (count > 0) {
      samples.sort((x, y) => x - y);
      p95Ms = samples[Math.max(0, Math.ceil(0.95 * count) - 1)];
    }
    // `lambda`: the expected count without anomalies (for the evaluation's "detectable"; the models never see it).
    out[b] = { count, failures: binomial(random, count, failRate), meanMs: count > 0 ? sum / count : null, p95Ms, logVariance, lambda: lambdaBefore };
  }
  return out;
}

/** The anomalies of one series, spaced from day 2 on, every `everyBuckets`, with labels. */
export function plan(kind, family, { buckets, bucketMs, seed }) {
  const random = rng(seed ^ 0x9e3779b9);
  const perHour = HOUR_MS / bucketMs;
  const anomalies = [];
  const every = Math.round(28 * perHour);
  for (let start = Math.round(2 * 24 * perHour + random() * 6 * perHour); start + 16 * perHour < buckets; start += every + Math.round(random() * 8 * perHour)) {
    // Latency is flagged on the way up only (by design), so its anomalies are rises.
    const up = random() < 0.5 || family !== 'throughput';
    if (kind === 'spike') {
      const length = 1 + Math.floor(random() * 3);
      const factor = family === 'latency' ? 2 + random() * 2 : up ? 3 + random() * 2 : 0.1 + random() * 0.15;
      anomalies.push({ kind, family, factor, startBucket: start, endBucket: start + length, detail: `×${factor.toFixed(2)} for ${length}`, effect: (b) => (b >= start && b < start + length ? factor : null) });
    } else if (kind === 'level_shift') {
      const length = Math.round(12 * perHour);
      const factor = family === 'latency' ? (up ? 1.5 + random() * 1.5 : 0.4 + random() * 0.2) : up ? 1.8 + random() : 0.3 + random() * 0.2;
      const shift = { kind, family, factor, startBucket: start, endBucket: start + length, detail: `×${factor.toFixed(2)} for 12 h`, effect: (b) => (b >= start && b < start + length ? factor : null) };
      anomalies.push(shift);
      // Its end is a shift back, labelled too where a fall is an anomaly (throughput).
      if (family === 'throughput') anomalies.push({ kind, family, factor: 1 / factor, isReturn: true, startBucket: start + length, endBucket: start + length + 1, detail: `back from ×${factor.toFixed(2)}`, effect: () => null });
    } else if (kind === 'drift') {
      const ramp = Math.round(3 * perHour);
      const hold = Math.round(6 * perHour);
      const factor = 2 + random();
      const effect = (b) => {
        const i = b - start;
        if (i < 0 || i >= 2 * ramp + hold) return null;
        const share = i < ramp ? i / ramp : i < ramp + hold ? 1 : 1 - (i - ramp - hold) / ramp;
        return Math.exp(Math.log(factor) * share);
      };
      anomalies.push({ kind, family, factor, startBucket: start, endBucket: start + ramp, detail: `to ×${factor.toFixed(2)} over 3 h`, effect });
      // The ramp back down is not labelled: falling latency is not flagged (alarms during it count as false).

    } else {
      const length = 5 + Math.floor(random() * 16);
      const factor = 10 + random() * 20;
      anomalies.push({ kind, family, factor, startBucket: start, endBucket: start + length, detail: `error rate ×${factor.toFixed(1)} for ${length}`, effect: (b) => (b >= start && b < start + length ? factor : null) });
    }
  }
  return anomalies;
}
