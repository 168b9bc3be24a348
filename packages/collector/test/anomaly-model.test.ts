/** The per-group models alone, fed synthetic buckets (the detector and the store are elsewhere). */
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, newGroupModel, observeGroup, type BucketObservation, type Verdict } from '../src/anomaly/model.js';
import { scoreOf } from '../src/anomaly/probability.js';
import { rng } from './seeded.js';

const BUCKET_MS = 60_000;
const START_MS = Date.UTC(2025, 0, 6);
const OPTIONS = { bucketMs: BUCKET_MS, warmupBuckets: 30 };

/** A busy group: ~60 transactions a bucket, ~100 ms with 10% noise, 1% failures; `factor` scales latency. */
function bucket(random: () => number, { factor = 1, load = 1 } = {}): BucketObservation {
  const count = Math.max(1, Math.round(60 * load + (random() - 0.5) * 10));
  const meanMs = 100 * factor * (1 + (random() - 0.5) * 0.2);
  return { count, failures: random() < 0.5 ? 1 : 0, meanMs, p95Ms: meanMs * 2, logVariance: 0.25 };
}

function feed(buckets: number, make: (i: number) => BucketObservation, model = newGroupModel(BUCKET_MS), from = 0) {
  const alarms: Array<{ i: number; verdict: Verdict; score: number }> = [];
  for (let i = from; i < from + buckets; i++) {
    for (const verdict of observeGroup(model, START_MS + i * BUCKET_MS, make(i), OPTIONS)) {
      const score = scoreOf(verdict.logP);
      if (score >= 50) alarms.push({ i, verdict, score });
    }
  }
  return { model, alarms };
}

describe('anomaly models', () => {
  it('say nothing during warm-up, however odd the buckets', () => {
    const random = rng(1);
    const { alarms } = feed(30, (i) => bucket(random, { factor: i % 2 === 0 ? 1 : 10 }));
    expect(alarms).toEqual([]);
  });

  it('flag a latency spike in its own bucket, with typical and actual values', () => {
    const random = rng(2);
    const { alarms } = feed(300, (i) => bucket(random, { factor: i === 250 ? 4 : 1 }));
    expect(alarms.map((a) => [a.i, a.verdict.metric])).toContainEqual([250, 'latency_mean']);
    const spike = alarms.find((a) => a.i === 250 && a.verdict.metric === 'latency_mean')!;
    expect(spike.verdict.typical).toBeGreaterThan(85);
    expect(spike.verdict.typical).toBeLessThan(115);
    expect(spike.verdict.actual).toBeGreaterThan(300);
    expect(alarms.filter((a) => a.i !== 250 && a.verdict.metric.startsWith('latency'))).toEqual([]);
  });

  it('flag a level shift within two buckets, then learn it as the new normal', () => {
    const random = rng(3);
    const { alarms } = feed(500, (i) => bucket(random, { factor: i >= 200 ? 1.6 : 1 }));
    const latency = alarms.filter((a) => a.verdict.metric === 'latency_mean');
    expect(latency[0]!.i).toBeLessThanOrEqual(201);
    expect(latency[0]!.i).toBeGreaterThanOrEqual(200);
    // Accepted after a run: nothing an hour later.
    expect(latency.filter((a) => a.i > 260)).toEqual([]);
  });

  it('do not flag a daily cycle once a day of it has been seen', () => {
    const random = rng(4);
    const load = (i: number) => 1 + 0.8 * Math.sin(((i % 1440) / 1440) * 2 * Math.PI);
    const cycle = (i: number) => bucket(random, { load: load(i), factor: 1 + 0.5 * Math.max(0, Math.sin(((i % 1440) / 1440) * 2 * Math.PI)) });
    const { model } = feed(2 * 1440, cycle);
    const { alarms } = feed(2 * 1440, cycle, model, 2 * 1440);
    expect(alarms).toEqual([]);
  });

  it('keep their baseline through outliers: a lone 20× bucket is flagged, the next normal one is not', () => {
    const random = rng(5);
    const { alarms, model } = feed(200, (i) => bucket(random, { factor: i === 150 ? 20 : 1 }));
    expect(alarms.some((a) => a.i === 150)).toBe(true);
    expect(alarms.filter((a) => a.i > 150)).toEqual([]);
    const predicted = Math.exp(model.series.latency_mean.kind === 'gaussian' ? model.series.latency_mean.base + model.series.latency_mean.local : 0);
    expect(predicted).toBeGreaterThan(85);
    expect(predicted).toBeLessThan(125);
  });

  it('flag a burst of errors and a drop in throughput', () => {
    const random = rng(6);
    const { alarms } = feed(300, (i) => {
      const b = bucket(random, { load: i >= 280 ? 0.1 : 1 });
      return i >= 250 && i < 255 ? { ...b, failures: 15 } : b;
    });
    expect(alarms.some((a) => a.i === 250 && a.verdict.metric === 'error_rate')).toBe(true);
    const drop = alarms.find((a) => a.verdict.metric === 'throughput' && a.i >= 280)!;
    expect(drop.i).toBeLessThanOrEqual(281);
    expect(drop.verdict.direction).toBe('down');
  });

  it('learn quiet weekends: the mornings of the second and third weekends raise nothing, a weekday-busy Saturday afternoon is flagged', () => {
    const DAY = 1440;
    // Office hours with one-hour ramps, weekends as quiet as nights (day 0 is a Monday).
    const office = (i: number) => {
      const hour = (i % DAY) / 60;
      const ramp = hour < 7 ? 0 : hour < 8 ? hour - 7 : hour < 18 ? 1 : hour < 19 ? 19 - hour : 0;
      return 0.1 + 0.9 * ramp * (Math.floor(i / DAY) % 7 >= 5 ? 0 : 1);
    };
    const surge = 19 * DAY + 14 * 60;
    const run = (withSurge: boolean) => {
      const random = rng(8);
      return feed(21 * DAY, (i) => bucket(random, { load: withSurge && i >= surge && i < surge + 30 ? office(i - 5 * DAY) : office(i) }));
    };
    // Without a week profile, the weekday ramp from 07:00 is expected on Saturdays too.
    const morning = (i: number) => [12, 13, 19, 20].includes(Math.floor(i / DAY)) && i % DAY >= 6 * 60 && i % DAY < 12 * 60;
    const quiet = run(false).alarms.filter((a) => morning(a.i) && a.verdict.metric === 'throughput');
    expect(quiet).toEqual([]);
    const surged = run(true).alarms.filter((a) => a.i >= surge && a.i < surge + 30 && a.verdict.metric === 'throughput');
    expect(surged[0]?.i).toBe(surge);
    expect(surged[0]?.verdict.direction).toBe('up');
  });

  it('add up a throughput shift too small for any bucket alone (×1.8 at 20 a minute: ~2 scales a bucket), and stay quiet on clean Poisson counts', () => {
    let caught = 0;
    let clean = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const shifted = throughput(feed(2530, shiftedCounts(seed, 1.8)).alarms);
      if (shifted.some((a) => a.i >= 2500 && a.verdict.direction === 'up')) caught += 1;
      clean += throughput(feed(2530, shiftedCounts(seed, 1)).alarms).length;
    }
    // The per-bucket rule alone (before the windows) catches 15 of these 20 within 30 buckets.
    expect(caught).toBeGreaterThanOrEqual(18);
    // 20 × 2530 buckets of noise: at most one alarm bucket.
    expect(clean).toBeLessThanOrEqual(1);
  });

  it('keep the evidence of a small throughput shift while it builds (×0.6 at 20 a minute), and stay quiet on clean counts', () => {
    let caught = 0;
    let clean = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const shifted = throughput(feed(2530, shiftedCounts(seed, 0.6)).alarms);
      if (shifted.some((a) => a.i >= 2500 && a.verdict.direction === 'down')) caught += 1;
      clean += throughput(feed(2530, shiftedCounts(seed, 1)).alarms).length;
    }
    // Learning at full speed through the shift's first buckets, the windows caught 14 of these 40 within 30 buckets;
    // learning at half speed while a window is suspicious, 27; with learning paused, 37.
    expect(caught).toBeGreaterThanOrEqual(34);
    // 40 × 2530 buckets of noise (3 alarm buckets before, 4 now).
    expect(clean).toBeLessThanOrEqual(6);
  });

  it('judge a burst of a few transactions as a Poisson count: 12 in a minute where 1.5 are usual is flagged', () => {
    let caught = 0;
    let others = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const random = rng(seed);
      const { alarms } = feed(2000, (i) => {
        let count = -1;
        for (let p = 1; p > Math.exp(-1.5); p *= random()) count += 1;
        if (i === 1900) count = 12;
        return { count, failures: 0, meanMs: count > 0 ? 100 : null, p95Ms: count > 0 ? 200 : null, logVariance: count >= 2 ? 0.25 : null };
      });
      const throughput = alarms.filter((a) => a.verdict.metric === 'throughput');
      if (throughput.some((a) => a.i === 1900 && a.verdict.direction === 'up')) caught += 1;
      others += throughput.filter((a) => a.i !== 1900).length;
    }
    // The transformed count's Gaussian tail flagged 16 of these 20.
    expect(caught).toBe(20);
    expect(others).toBe(0);
  });

  it('resume from their JSON state exactly where they stopped', () => {
    const make = (seed: number) => {
      const random = rng(seed);
      return (i: number) => bucket(random, { factor: i === 120 ? 3 : 1 });
    };
    const straight = feed(200, make(7));
    const first = make(7);
    const half = feed(100, first);
    const restored = decodeModel(encodeModel(half.model), BUCKET_MS)!;
    const rest = feed(100, first, restored, 100);
    expect([...half.alarms, ...rest.alarms]).toEqual(straight.alarms);
    expect(encodeModel(rest.model)).toEqual(encodeModel(straight.model));
    // A bucket already fed is never fed again.
    expect(observeGroup(rest.model, START_MS + 150 * BUCKET_MS, bucket(rng(1)), OPTIONS)).toEqual([]);
    expect(decodeModel('{"version":99}', BUCKET_MS)).toBeNull();
    expect(decodeModel(encodeModel(rest.model), 2 * BUCKET_MS)).toBeNull();
  });
});

/** Poisson counts (Knuth) of 20 a bucket, ~100 ms latency; from bucket 2500 on, `factor` times the rate. */
function shiftedCounts(seed: number, factor: number): (i: number) => BucketObservation {
  const random = rng(seed);
  return (i) => {
    const rate = 20 * (i >= 2500 ? factor : 1);
    let count = -1;
    for (let p = 1; p > Math.exp(-rate); p *= random()) count += 1;
    return { count, failures: 0, meanMs: count > 0 ? 100 : null, p95Ms: count > 0 ? 200 : null, logVariance: count >= 2 ? 0.25 : null };
  };
}

function throughput<A extends { verdict: Verdict }>(alarms: A[]): A[] {
  return alarms.filter((a) => a.verdict.metric === 'throughput');
}
