import { logNormalUpper, zOfLogUpper } from './probability.js';

/**
 * A series' own tails, for series whose noise is not Gaussian: an event-loop delay is a floor
 * plus rare long waits, and the mean of a few such samples lands 5 standard deviations above
 * its mean about once a day, which a Gaussian tail calls a one-in-3-million event.
 *
 * So each side's tail beyond TAIL_Z standard deviations is learnt from the series itself
 * (peaks over a threshold, with an exponential tail): how often a bucket lands there, and how
 * far beyond it on average (lone buckets only: the model does not learn from a run's, which are
 * a level that moved). Once the learnt tail is clearly heavier than a Gaussian's, a z is read
 * through it and given back as the Gaussian z of the same tail probability, so everything
 * downstream (runs, scores) works as before. Both tails start as a Gaussian's.
 *
 * bench/anomaly/metric-series.mjs (seed 1000): skewed event-loop delay 22 → 0 clean false alarms
 * in 4 weeks; its spikes of 8 standard deviations caught 16 → 14 of 16 (the upward ones sit
 * where its own tail says one in a hundred thousand); Gaussian series unchanged. Without the
 * gate (`heavy`) the exponential fit, heavier than a Gaussian's own tail beyond 3, delayed the
 * Gaussian series' shifts by a bucket; learning from runs too made every series with shifts
 * heavy.
 */
export interface Tails {
  /** Per side (up, down): the share of buckets beyond TAIL_Z, and their mean excess over it. */
  upRate: number;
  upExcess: number;
  downRate: number;
  downExcess: number;
}

const TAIL_Z = 2.5;
/** A Gaussian's: P(z > 2.5), and E[z − 2.5 | z > 2.5]. */
const GAUSSIAN_RATE = 0.00621;
const GAUSSIAN_EXCESS = 0.323;
/** The rate learns over a few thousand buckets (a few days of minutes: some tens of exceedances). */
const RATE_RATE = 1 / 4000;
/** The excess learns over the last twenty exceedances or so. */
const EXCESS_RATE = 0.05;
/** One exceedance's share in the mean excess is capped, so a real anomaly does not teach the tail much. */
const EXCESS_CAP = 1.5;
/** How much heavier (ln p at z = 4) a learnt tail must be than a Gaussian's to be used. */
const HEAVY = 1.2;

export function newTails(): Tails {
  return { upRate: GAUSSIAN_RATE, upExcess: GAUSSIAN_EXCESS, downRate: GAUSSIAN_RATE, downExcess: GAUSSIAN_EXCESS };
}

/** The Gaussian z with the same one-sided tail probability as `z` has under the heavier of the two tails. */
export function calibrated(tails: Tails, z: number): number {
  const size = Math.abs(z);
  if (size <= TAIL_Z) return z;
  const [rate, excess] = z > 0 ? [tails.upRate, tails.upExcess] : [tails.downRate, tails.downExcess];
  if (!heavy(rate, excess)) return z;
  const learnt = Math.log(rate) - (size - TAIL_Z) / excess;
  const gaussian = logNormalUpper(size);
  if (learnt <= gaussian) return z;
  return Math.sign(z) * Math.max(TAIL_Z, zOfLogUpper(learnt));
}

/**
 * Whether a learnt tail is heavier than a Gaussian's by more than its own noise, as the
 * exponential fit's ln p at z = 4 against the same fit to a Gaussian (a Gaussian series with an
 * anomaly among its last twenty exceedances sits near 0.7, a mean of 6 exponential samples
 * near 2.6).
 */
function heavy(rate: number, excess: number): boolean {
  const at = 4 - TAIL_Z;
  return Math.log(rate / GAUSSIAN_RATE) - at / excess + at / GAUSSIAN_EXCESS > HEAVY;
}

/** Learns from one bucket's z (before calibration). */
export function learnTails(tails: Tails, z: number): void {
  const up = z > TAIL_Z;
  const down = z < -TAIL_Z;
  tails.upRate += RATE_RATE * ((up ? 1 : 0) - tails.upRate);
  tails.downRate += RATE_RATE * ((down ? 1 : 0) - tails.downRate);
  if (up) tails.upExcess += EXCESS_RATE * (Math.min(z - TAIL_Z, EXCESS_CAP) - tails.upExcess);
  if (down) tails.downExcess += EXCESS_RATE * (Math.min(-z - TAIL_Z, EXCESS_CAP) - tails.downExcess);
}
