/** A metric series' model alone (collector --anomaly-metrics), fed synthetic buckets of six samples. */
import { describe, expect, it } from 'vitest';
import { newMetricModel, observeMetric } from '../src/anomaly/metric-model.js';
import { scoreOf } from '../src/anomaly/probability.js';
import { rng } from './seeded.js';

const BUCKET_MS = 60_000;
/** A Monday. */
const START_MS = Date.UTC(2025, 0, 6);
const OPTIONS = { bucketMs: BUCKET_MS, warmupBuckets: 30 };
const DAY = 1440;
const SAMPLES = 6;

const gaussian = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** Feeds `days` of buckets, each the mean of six samples `level(i) + noise()`; the buckets scored 50 or more. */
function feed(days: number, level: (i: number) => number, noise: () => number): Array<{ i: number; score: number; direction: string }> {
  const model = newMetricModel(BUCKET_MS);
  const alarms: Array<{ i: number; score: number; direction: string }> = [];
  for (let i = 0; i < days * DAY; i++) {
    const samples = Array.from({ length: SAMPLES }, () => level(i) + noise());
    const mean = samples.reduce((a, b) => a + b, 0) / SAMPLES;
    const variance = samples.reduce((a, v) => a + (v - mean) ** 2, 0) / (SAMPLES - 1);
    const verdict = observeMetric(model, START_MS + i * BUCKET_MS, { count: SAMPLES, mean, variance }, OPTIONS);
    if (verdict !== null && scoreOf(verdict.logP) >= 50) alarms.push({ i, score: scoreOf(verdict.logP), direction: verdict.direction });
  }
  return alarms;
}

/** A queue that is 6 deeper from 8:00 to 18:00 on weekdays, sharp steps (15 standard deviations of a bucket). */
const opening = (i: number, opensAt = 8, size = 6) => {
  const hour = (i % DAY) / 60;
  return Math.floor(i / DAY) % 7 < 5 && hour >= opensAt && hour < 18 ? size : 0;
};

describe('metric series models', () => {
  it('learn a step that comes at the same time every weekday: from the third day on, 8:00 and 18:00 raise nothing', () => {
    const random = rng(3);
    const alarms = feed(15, (i) => 0.5 + opening(i), () => gaussian(random));
    const atSteps = alarms.filter((a) => a.i >= 2 * DAY && [8 * 60, 18 * 60].some((m) => Math.abs((a.i % DAY) - m) <= 10));
    expect(atSteps).toEqual([]);
    // The first days' steps were news.
    expect(alarms.some((a) => a.i === 8 * 60)).toBe(true);
  });

  it('still flag the step when it comes at another time or at twice its size', () => {
    const late = 9 * DAY; // a Wednesday: the office opens at 11:00
    const big = 10 * DAY; // a Thursday: twice the queue
    const random = rng(3);
    const level = (i: number) => {
      const day = Math.floor(i / DAY) * DAY;
      if (day === late) return 0.5 + opening(i, 11);
      if (day === big) return 0.5 + opening(i, 8, 12);
      return 0.5 + opening(i);
    };
    const alarms = feed(11, level, () => gaussian(random));
    const at = (i: number) => alarms.find((a) => a.i >= i && a.i < i + 2);
    expect(at(late + 11 * 60)?.direction).toBe('up');
    expect(at(big + 8 * 60)?.direction).toBe('up');
  });

  it('judge a skewed series by its own tail: event-loop delay (a floor and exponential waits) raises nothing in two weeks, a far bucket still does', () => {
    const random = rng(5);
    const exponential = () => -Math.log(1 - random()) - 1;
    const spike = 12 * DAY + 600;
    // A bucket's mean of six such samples has a standard deviation of 0.41: the spike is 12 of them.
    const alarms = feed(14, (i) => (i === spike ? 2 + 12 * 0.41 : 2), exponential);
    expect(alarms.map((a) => a.i)).toEqual([spike]);
  });

  it('keep Gaussian tails for a series with Gaussian noise: a bucket 6 standard deviations out is flagged in its own bucket', () => {
    const random = rng(6);
    const spike = 10 * DAY + 300;
    const alarms = feed(11, (i) => (i === spike ? 50 - 6 * (2 / Math.sqrt(SAMPLES)) : 50), () => 2 * gaussian(random));
    expect(alarms.map((a) => [a.i, a.direction])).toEqual([[spike, 'down']]);
  });
});
