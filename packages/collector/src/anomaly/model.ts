import { rememberStep, takeStep, visitSteps, type DailySteps } from './daily-steps.js';
import { DAY_MS, DAY_SLOTS as SLOTS, DAY_SLOT_MS as SLOT_MS, slotIndex } from './day-slots.js';
import { calibrated, learnTails, newTails, type Tails } from './tails.js';
import { logBinomialUpper, logNormalUpper, logPoissonUpper, zOfLogUpper } from './probability.js';

/**
 * The per-series models behind anomaly detection: each learns what is normal for one
 * metric of one transaction group, one finished bucket at a time, and says how surprising
 * each new bucket is (ln of a tail probability). State is a plain object, persisted as JSON.
 *
 * Latency (mean, p95) is modelled in log space and throughput in Anscombe space
 * (2·√(count + 3/8), where Poisson noise has unit variance). Both predict
 *   ŷ = base + season(time of day) + week(day and time of week) + local
 * where `base` is a slow (one-day) EWMA, `season` a 48-slot half-hour-of-day profile
 * (interpolated between slots, used once a day of history exists), `week` what each
 * day of the week differs from that in 2-hour slots (quiet weekends; used once a week of
 * history exists; days are UTC days, but its 84 slots cover the whole week, so they
 * follow any time zone's weekend) and `local` a fast EWMA
 * of what the other two miss, which follows trends and slow drifts. Every update is
 * winsorised (Huber-like, at 2.5 scales) so outliers move nothing much; the scale is an EWMA
 * of absolute residuals (a running MAD). A run of same-signed surprises is scored on its
 * combined evidence (Stouffer), so a modest level shift is flagged in its second bucket;
 * after RELEVEL_RUN buckets the shift is accepted as the new level. Throughput and mean
 * latency also sum their last 4, 8, 16 and 30 standardised residuals (a CUSUM-like window
 * test), so a shift of 1–2 scales a bucket that no single bucket shows adds up; each
 * window's sum is judged against its own learnt variance (residuals of a model that is
 * not exact are correlated, and that variance is what a clean series' windows show),
 * with a Bonferroni-like correction for looking at several windows; from the
 * second day of history (before that a day's ramps are sustained residuals too). While such
 * a window is suspicious (z ≥ 3 against its variance, about a third of the way to an
 * alarm) and no alarm has confirmed it, learning pauses, so a real shift is not learnt
 * away before its windows add up; learning resumes once it alarms, after 30 buckets, or
 * when the windows calm; it does not pause in a half-hour of the day that was suspicious on
 * earlier days too (the corners of an office-hours day, where the profile is wrong every
 * day, not a shift), nor in a 2-hour slot of the week that was suspicious a week earlier
 * (a quiet Saturday morning while the week profile learns it). A count's rise is judged as
 * an exact Poisson tail (at a few a bucket the transformed Gaussian's upper tail is too light).
 *
 * Error rate is a binomial proportion: failures in the bucket against its count and a
 * baseline rate (decayed sums with a Jeffreys-like prior), with an overdispersion factor
 * learned from the data. For latency and error rate only rises are anomalies; throughput
 * is flagged both ways.
 */
export const ANOMALY_METRICS = ['latency_mean', 'latency_p95', 'throughput', 'error_rate'] as const;
export type AnomalyMetric = (typeof ANOMALY_METRICS)[number];

/** One transaction group's figures in one bucket. */
export interface BucketObservation {
  count: number;
  failures: number;
  /** null without transactions. */
  meanMs: number | null;
  p95Ms: number | null;
  /** Variance of ln(duration) over the bucket's transactions; null with fewer than two. */
  logVariance: number | null;
}

export interface ModelOptions {
  bucketMs: number;
  /** Buckets with data before a series may raise anything. */
  warmupBuckets: number;
}

/** How surprising one bucket was for one metric (computed before the model learns from it). */
export interface Verdict {
  metric: AnomalyMetric;
  /** ln of the tail probability (≤ 0). */
  logP: number;
  /** In the metric's units: ms, transactions per minute, or a rate 0..1. */
  typical: number;
  actual: number;
  direction: 'up' | 'down';
  /** Start of the run of surprising buckets this one belongs to (this bucket if none). */
  runStartMs: number;
}

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * DAY_MS;
const WEEK_SLOTS = 7 * 12;
const WEEK_SLOT_MS = WEEK_MS / WEEK_SLOTS;
/** Fast level's EWMA rate per bucket. */
const LOCAL_RATE = 0.05;
const SCALE_RATE = 0.01;
const VARIANCE_RATE = 0.02;
/** Winsorising bound for updates, in scales. */
const CLIP = 2.5;
/** A bucket with |z| above this continues a run. */
const RUN_Z = 2;
/** Buckets in a run after which the shift is taken as the new level. */
export const RELEVEL_RUN = 6;
/** Window lengths (buckets) over which standardised residuals are summed. */
const WINDOWS = [4, 8, 16, 30];
const WINDOW_MAX = 30;
/**
 * ln of the correction for looking at several windows: Bonferroni over the four, and four
 * times that again (score −6 a bucket); with only the four, clean throughput alarms rose
 * 35 → 52 in bench/anomaly/run.mjs, with this 35 → 43.
 */
const WINDOW_PENALTY = Math.log(16);
/** A residual's share in a window, capped (in scales), so one outlier is not a shift. */
const WINDOW_Z_CAP = 4;
/** Rate at which each window's variance is learnt (a few hundred buckets), and the cap on one bucket's square. */
const WINDOW_VAR_RATE = 0.005;
const WINDOW_VAR_CAP = 16;
/** A window this far out (its z against its learnt variance) is suspicious: the model stops learning for a while. */
const SUSPECT_Z = 3;
/**
 * The learning rates' factor while a window is suspicious: 0, learning paused (bench/RESULTS.md, 2026-12-06: against
 * 0.5, throughput shifts caught 0.71–0.77 → 0.74–0.79 over six seeds, clean false alarms 0.28–0.38 → 0.34–0.43 per
 * series-week; 0.1 and 0.25 in between).
 */
const SUSPECT_SLOW = 0;
/** Buckets in a row a suspicion may pause learning before it is let go. */
const SUSPECT_MAX = 30;
/** A day slot's memory of suspicion keeps this share of it a day (0.7 measured the same). */
const SLOT_MEMORY_DECAY = 0.5;
/**
 * The remembered share of a slot's buckets from which its suspicion recurs (0.1–0.35 measured
 * within 0.01 of each other in bench/anomaly/run.mjs; the neighbouring slots' memory too: no better).
 */
const SLOT_RECUR = 0.2;
/** ln p of an alarm at the default threshold (score 50), which confirms a suspicion: learning resumes. */
const CONFIRM_LOG_P = -5 * Math.LN10;

interface Run {
  sign: number;
  length: number;
  sumZ: number;
  startMs: number;
  residuals: number[];
}

export interface GaussianState {
  kind: 'gaussian';
  n: number;
  firstMs: number;
  base: number;
  local: number;
  /** Variance between buckets beyond their sampling noise (may dip below 0; floored where used). */
  between: number;
  /** Variance of ln(duration) over single transactions (EWMA over buckets). */
  logVariance: number;
  season: number[];
  seasonActive: boolean;
  /** Day-of-week deviations from `season`, from Monday 00:00 UTC. */
  week: number[];
  weekActive: boolean;
  run: Run | null;
  /** The last WINDOW_MAX standardised residuals (capped), newest last; absent in states saved before windows. */
  recent?: number[];
  /** Per window length: the learnt variance of its sum over √length (1 for independent residuals). */
  windowVar?: number[];
  /** Buckets in a row with learning paused under a suspicious window; −1 once confirmed or let go, until the windows calm. */
  suspect?: number;
  /** Per day slot: the share of its buckets that were suspicious on earlier days (decayed a day at a time). */
  slotSuspect?: number[];
  /** Per day slot: the share suspicious so far on its current day; folded into `slotSuspect` when the slot comes round again. */
  slotToday?: number[];
  /** The day slot of the last bucket (absent: none yet). */
  slotLast?: number;
  /** As slotSuspect, slotToday and slotLast, for the 2-hour slots of the week (decayed a week at a time). */
  weekSuspect?: number[];
  weekToday?: number[];
  weekSlotLast?: number;
  /** Steps that came at the same time on earlier days (daily-steps.ts); absent until the first. */
  steps?: DailySteps;
  /** The series' own tails (tails.ts), for specs that learn them. */
  tails?: Tails;
}

export interface BinomialState {
  kind: 'binomial';
  n: number;
  failures: number;
  total: number;
  dispersion: number;
  /** The last buckets as [failures, count, start ms]. */
  recent: Array<[number, number, number]>;
  /** Buckets in a row clipped as surprising. */
  streak: number;
}

export type SeriesState = GaussianState | BinomialState;

/** Per metric: how a bucket of observations `O` becomes a value, and back, and its sampling noise. */
export interface GaussianSpec<O> {
  value(obs: O): number | null;
  natural(y: number, bucketMs: number): number;
  /**
   * The variance a bucket's value has from its own transactions alone, given the learnt
   * variance of ln(duration) over single transactions: latency averages fewer of them at
   * night, so it is noisier then; Anscombe-transformed Poisson counts have variance 1.
   */
  sampling(obs: O, logVariance: number): number;
  /** The spread of single values within this bucket that `logVariance` learns from (null: none). */
  spread(obs: O): number | null;
  /** Smallest scale between buckets, given the prediction: quantisation (histogram buckets ±2.2%). */
  scaleFloor(predicted: number): number;
  /** Throughput that falls is news; latency that falls (a warmed cache, a finished backfill) is not flagged. */
  twoSided: boolean;
  /** For a rise: the z of the bucket's own sampling judged exactly (the p95 as an order statistic). */
  exactUpperZ?(obs: O, y: number, predicted: number, logVariance: number): number;
  /** For a rise of a count: the z of its exact Poisson tail given the prediction. */
  exactCountUpperZ?(obs: O, predicted: number): number;
  /** Whether the last buckets' residuals are also judged together (windows of 4–30 buckets). */
  accumulate?: boolean;
  /** Whether steps that come at the same time every day are learnt as such (daily-steps.ts). */
  dailySteps?: boolean;
  /** Whether the series' own tails are learnt and a z read through them (tails.ts). */
  learnTails?: boolean;
}

const perMinute = (count: number, bucketMs: number): number => (count * 60_000) / bucketMs;
/** Transactions a bucket needs for its p95 to say anything (below that it is about the maximum). */
const P95_MIN_COUNT = 10;
/** Var(ln p95) ≈ p(1-p) / (n φ(z_p)²) × σ² for lognormal durations. */
const P95_VARIANCE_FACTOR = (0.95 * 0.05) / 0.10313 ** 2;
const logSpread = (o: BucketObservation): number | null => (o.logVariance !== null && o.count >= 2 ? o.logVariance : null);

const SPECS: Record<Exclude<AnomalyMetric, 'error_rate'>, GaussianSpec<BucketObservation>> = {
  latency_mean: {
    value: (o) => (o.count > 0 && o.meanMs !== null ? Math.log(Math.max(o.meanMs, 0.001)) : null),
    natural: (y) => Math.exp(y),
    sampling: (o, v) => Math.expm1(Math.min(v, 4)) / o.count,
    spread: logSpread,
    scaleFloor: () => 0.02,
    twoSided: false,
    accumulate: true,
  },
  latency_p95: {
    value: (o) => (o.count >= P95_MIN_COUNT && o.p95Ms !== null ? Math.log(Math.max(o.p95Ms, 0.001)) : null),
    natural: (y) => Math.exp(y),
    sampling: (o, v) => (P95_VARIANCE_FACTOR * v) / o.count,
    spread: logSpread,
    scaleFloor: () => 0.03,
    twoSided: false,
    // A few transactions' p95 is nearly their maximum, whose upper tail is far heavier than
    // a Gaussian's: its sampling part is judged exactly, as an order statistic.
    exactUpperZ: (o, y, predicted, v) => p95SamplingZ(o.count, y, predicted, v),
  },
  throughput: {
    value: (o) => 2 * Math.sqrt(o.count + 0.375),
    natural: (y, bucketMs) => perMinute(Math.max(0, (y / 2) ** 2 - 0.375), bucketMs),
    sampling: () => 1,
    spread: logSpread,
    scaleFloor: () => 0,
    twoSided: true,
    accumulate: true,
    exactCountUpperZ: (o, predicted) => poissonUpperZ(o.count, predicted),
  },
};

export function newState(metric: AnomalyMetric): SeriesState {
  if (metric === 'error_rate') return { kind: 'binomial', n: 0, failures: 0, total: 0, dispersion: 1, recent: [], streak: 0 };
  return {
    kind: 'gaussian', n: 0, firstMs: 0, base: 0, local: 0, between: 0, logVariance: 0,
    season: new Array<number>(SLOTS).fill(0), seasonActive: false,
    week: new Array<number>(WEEK_SLOTS).fill(0), weekActive: false, run: null,
  };
}

/** Epoch day 0 was a Thursday; the week profile starts on Monday. */
const MONDAY_OFFSET_MS = 3 * DAY_MS;

/** The two slots of a cyclic profile around a time and their weights (slot centres mid-slot). */
function slotsAt(timeMs: number, periodMs: number, slots: number, offsetMs = 0): [number, number, number] {
  const slotMs = periodMs / slots;
  const u = ((((timeMs + offsetMs) % periodMs) + periodMs) % periodMs) / slotMs - 0.5;
  const floor = Math.floor(u);
  const w1 = u - floor;
  return [(floor + slots) % slots, (floor + 1) % slots, w1];
}

function profileAt(profile: number[], slot: [number, number, number]): number {
  return profile[slot[0]]! * (1 - slot[2]) + profile[slot[1]]! * slot[2];
}

function learnProfile(profile: number[], slot: [number, number, number], rate: number, error: number): void {
  profile[slot[0]]! += rate * (1 - slot[2]) * error;
  profile[slot[1]]! += rate * slot[2] * error;
}

const daySlot = (timeMs: number) => slotsAt(timeMs, DAY_MS, SLOTS);
const weekSlot = (timeMs: number) => slotsAt(timeMs, WEEK_MS, WEEK_SLOTS, MONDAY_OFFSET_MS);
const seasonAt = (season: number[], timeMs: number): number => profileAt(season, daySlot(timeMs));

/** The seasonal part of the prediction: the day profile, and the week's once learnt. */
function seasonalAt(state: GaussianState, timeMs: number): number {
  return (state.seasonActive ? seasonAt(state.season, timeMs) : 0) + (state.weekActive ? profileAt(state.week, weekSlot(timeMs)) : 0);
}

const clamp = (value: number, bound: number): number => Math.max(-bound, Math.min(bound, value));

/**
 * Feeds one bucket to a Gaussian model (latency, throughput, or a metric series: metric-model.ts);
 * returns its verdict (null in warm-up or without data).
 */
export function observeGaussian<O>(
  state: GaussianState, spec: GaussianSpec<O>, timeMs: number, obs: O, options: ModelOptions,
): Omit<Verdict, 'metric'> | null {
  const y = spec.value(obs);
  if (y === null || !Number.isFinite(y)) return null;
  const { bucketMs } = options;
  if (state.n === 0) {
    state.firstMs = timeMs;
    state.base = y;
  }
  state.n += 1;
  const spread = spec.spread(obs);
  if (spread !== null) state.logVariance += Math.max(VARIANCE_RATE, 1 / state.n) * (spread - state.logVariance);
  // Seasonality is used once a day of history exists; the fast level then sheds what the profile explains.
  if (!state.seasonActive && timeMs - state.firstMs >= DAY_MS) {
    state.seasonActive = true;
    state.local -= seasonAt(state.season, timeMs);
  }
  if (!state.weekActive && timeMs - state.firstMs >= WEEK_MS) {
    state.weekActive = true;
    state.local -= profileAt(state.week, weekSlot(timeMs));
  }
  const season = seasonalAt(state, timeMs);
  let predicted = state.base + season + state.local;
  const sampling = spec.sampling(obs, state.logVariance);
  const scale = Math.sqrt(Math.max(state.between, spec.scaleFloor(predicted) ** 2) + sampling);
  const warm = state.n > options.warmupBuckets;
  if (spec.dailySteps === true) {
    visitSteps(state.steps, timeMs);
    if (warm && takeStep(state.steps, timeMs, y - predicted, scale)) {
      // The step that comes at this time every day: the level moves with it, and the bucket is judged after it.
      state.base += y - predicted;
      predicted = y;
    }
  }
  const residual = y - predicted;
  let z = residual / scale;
  if (spec.exactUpperZ !== undefined && residual > 0 && state.logVariance > 0) {
    z = (spec.exactUpperZ(obs, y, predicted, state.logVariance) * Math.sqrt(sampling)) / scale;
  }
  if (spec.exactCountUpperZ !== undefined && residual > 0) z = (spec.exactCountUpperZ(obs, predicted) * Math.sqrt(sampling)) / scale;
  if (spec.learnTails === true && warm) {
    const tails = (state.tails ??= newTails());
    const raw = z;
    z = calibrated(tails, z);
    // Not from a run's buckets: a level that moved is not the noise's tail.
    if (state.run === null) learnTails(tails, raw);
  }

  let verdict: Omit<Verdict, 'metric'> | null = null;
  let relevel = 0;
  let slow = 1;
  if (warm) {
    let logP = logNormalUpper(spec.twoSided ? Math.abs(z) : z) + (spec.twoSided ? Math.LN2 : 0);
    const sign = Math.sign(z);
    if (Math.abs(z) >= RUN_Z && (spec.twoSided || sign > 0)) {
      const run: Run = state.run !== null && state.run.sign === sign
        ? state.run
        : { sign, length: 0, sumZ: 0, startMs: timeMs, residuals: [] };
      run.length += 1;
      run.sumZ += Math.abs(z);
      run.residuals.push(residual);
      if (run.residuals.length > RELEVEL_RUN) run.residuals.shift();
      state.run = run;
      if (run.length >= 2) {
        const combined = logNormalUpper(run.sumZ / Math.sqrt(run.length)) + (spec.twoSided ? Math.LN2 : 0);
        logP = Math.min(logP, combined);
      }
      if (run.length >= RELEVEL_RUN) {
        relevel = median(run.residuals);
        if (spec.dailySteps === true) rememberStep(state, run.startMs, relevel, scale);
      }
    } else {
      state.run = null;
    }
    let runStartMs = state.run?.startMs ?? timeMs;
    // Only once the day profile is used: before that a day's ramps are sustained residuals.
    if (spec.accumulate === true && state.seasonActive) {
      const window = judgeWindows(state, z, spec.twoSided);
      const windowLogP = window.logP + (spec.twoSided ? Math.LN2 : 0);
      if (windowLogP < logP) {
        logP = windowLogP;
        runStartMs = Math.min(runStartMs, timeMs - (window.length - 1) * bucketMs);
      }
      slow = suspicion(state, window.z, logP);
      // A suspicion that came back in this day slot on earlier days is the profile being wrong there.
      if (recurring(state, timeMs, window.z >= SUSPECT_Z, bucketMs)) slow = 1;
    }
    verdict = {
      logP: Math.min(0, logP),
      typical: spec.natural(predicted, bucketMs),
      actual: spec.natural(y, bucketMs),
      direction: z >= 0 ? 'up' : 'down',
      runStartMs,
    };
  }

  // Learn, winsorised; in warm-up the scale is not known yet, so nothing is clipped.
  const early = state.n <= 5;
  const clipped = early ? residual : clamp(residual, CLIP * scale);
  const yc = predicted + clipped;
  const baseRate = slow * Math.max(1 / state.n, bucketMs / DAY_MS);
  state.base += baseRate * (yc - season - state.base);
  // Both profiles learn from what base and both together miss (the week's part from the start,
  // so it is ready when used); the week learns fast, as each slot comes round once a week.
  const day = daySlot(timeMs);
  const week = weekSlot(timeMs);
  const seasonError = yc - state.base - profileAt(state.season, day) - profileAt(state.week, week);
  learnProfile(state.season, day, slow * Math.min(0.05, (0.6 * bucketMs) / SLOT_MS), seasonError);
  learnProfile(state.week, week, slow * Math.min(0.1, (1.5 * bucketMs) / WEEK_SLOT_MS), seasonError);
  state.local += slow * Math.max(LOCAL_RATE, 1 / state.n) * (yc - state.base - season - state.local);
  // Variance between buckets: what the residual has beyond the bucket's own sampling noise.
  const limited = early ? residual : clamp(residual, 4 * scale);
  state.between += Math.max(SCALE_RATE, 1 / state.n) * (limited * limited - sampling - state.between);
  if (relevel !== 0) {
    // A sustained shift is the new normal: move the base (not the fast level) so it stays learnt.
    const now = state.base + seasonalAt(state, timeMs) + state.local;
    state.base += predicted + relevel - now;
    state.run = null;
    state.recent = [];
  }
  return verdict;
}

/**
 * The learning rates' factor for this bucket: SUSPECT_SLOW while the best window is
 * suspicious and not yet confirmed by an alarm, for at most SUSPECT_MAX buckets in a row.
 */
function suspicion(state: GaussianState, windowZ: number, logP: number): number {
  const suspect = state.suspect ?? 0;
  if (windowZ < SUSPECT_Z) {
    state.suspect = 0;
    return 1;
  }
  if (logP > CONFIRM_LOG_P && suspect >= 0 && suspect < SUSPECT_MAX) {
    state.suspect = suspect + 1;
    return SUSPECT_SLOW;
  }
  state.suspect = -1;
  return 1;
}

/**
 * Whether this bucket's day slot was suspicious on earlier days, or its 2-hour slot of the
 * week a week earlier (a residual that comes back every day at the same time, or every
 * Saturday morning while the week profile is still learning, is the profile being wrong
 * there, not a shift): learning then does not pause. Records this bucket's suspicion in the
 * current visit of both slots.
 */
function recurring(state: GaussianState, timeMs: number, suspicious: boolean, bucketMs: number): boolean {
  const dayIndex = slotIndex(timeMs, DAY_MS, SLOTS);
  const dayPast = (state.slotSuspect ??= new Array<number>(SLOTS).fill(0));
  const dayNow = (state.slotToday ??= new Array<number>(SLOTS).fill(0));
  const day = visit(dayPast, dayNow, dayIndex, state.slotLast, suspicious, bucketMs / SLOT_MS);
  state.slotLast = dayIndex;
  const weekIndex = slotIndex(timeMs, WEEK_MS, WEEK_SLOTS, MONDAY_OFFSET_MS);
  const weekPast = (state.weekSuspect ??= new Array<number>(WEEK_SLOTS).fill(0));
  const weekNow = (state.weekToday ??= new Array<number>(WEEK_SLOTS).fill(0));
  const week = visit(weekPast, weekNow, weekIndex, state.weekSlotLast, suspicious, bucketMs / WEEK_SLOT_MS);
  state.weekSlotLast = weekIndex;
  return day || week;
}

/**
 * One bucket in a slot of a cyclic memory: on arriving in a slot, its last visit's share is
 * folded into what it remembers (decayed); the bucket's suspicion counts towards this visit.
 */
function visit(past: number[], current: number[], slot: number, last: number | undefined, suspicious: boolean, share: number): boolean {
  if (slot !== last) {
    past[slot] = past[slot]! * SLOT_MEMORY_DECAY + current[slot]!;
    current[slot] = 0;
  }
  if (suspicious) current[slot]! += Math.min(1, share);
  return past[slot]! >= SLOT_RECUR;
}

/**
 * Adds this bucket's z to the window of recent ones and judges the sums of the last 4, 8,
 * 16 and 30 (as ln of a one-sided tail probability, with the multiple-window correction),
 * each against its own learnt variance, which then learns from this bucket.
 */
function judgeWindows(state: GaussianState, z: number, twoSided: boolean): { logP: number; length: number; z: number } {
  const recent = (state.recent ??= []);
  const windowVar = (state.windowVar ??= WINDOWS.map(() => 1));
  recent.push(clamp(z, WINDOW_Z_CAP));
  if (recent.length > WINDOW_MAX) recent.shift();
  let best = 0;
  let bestLength = 1;
  for (let w = 0; w < WINDOWS.length; w++) {
    const length = WINDOWS[w]!;
    if (length > recent.length) break;
    let sum = 0;
    for (let i = recent.length - length; i < recent.length; i++) sum += recent[i]!;
    const raw = sum / Math.sqrt(length);
    const zw = (twoSided ? Math.abs(raw) : raw) / Math.sqrt(Math.max(1, windowVar[w]!));
    if (zw > best) {
      best = zw;
      bestLength = length;
    }
    windowVar[w]! += WINDOW_VAR_RATE * (Math.min(raw * raw, WINDOW_VAR_CAP) - windowVar[w]!);
  }
  return { logP: Math.min(0, logNormalUpper(best) + WINDOW_PENALTY), length: bestLength, z: best };
}

/**
 * How far a bucket's p95 is above the predicted one, as the z of its exact tail probability
 * given only the bucket's own sampling: durations lognormal (σ² = logVariance) with their
 * 95th percentile at the prediction; the p95 of n of them is at least y when at least
 * n − ⌈0.95n⌉ + 1 of them are, a binomial tail.
 */
function p95SamplingZ(n: number, y: number, predicted: number, logVariance: number): number {
  const sigma = Math.sqrt(logVariance);
  const mu = predicted - 1.6449 * sigma;
  const q = Math.exp(logNormalUpper((y - mu) / sigma));
  const atLeast = n - Math.ceil(0.95 * n) + 1;
  return zOfLogUpper(logBinomialUpper(atLeast, n, q));
}

/**
 * How far a count is above the one predicted in Anscombe space, as the z of its exact Poisson
 * tail (the mean is (ŷ/2)² − 1/8: E[2√(X + 3/8)] ≈ 2√(λ + 1/8) for λ ≳ 2). Falls are left to
 * the transformed Gaussian, whose lower tail is heavier than the exact one at a few a bucket
 * (the exact test both ways: clean false alarms 0.339 → 0.240 per series-week, but throughput
 * spikes 0.78 → 0.72 and shifts 0.69 → 0.66 in bench/anomaly/run.mjs).
 */
function poissonUpperZ(count: number, predicted: number): number {
  const mean = Math.max((predicted / 2) ** 2 - 0.125, 0.01);
  return zOfLogUpper(logPoissonUpper(count, mean));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The baseline error rate's decay per bucket (it remembers a few hundred buckets). */
const ERROR_RATE = 0.005;
/** Error bursts are judged over the last 1..ERROR_WINDOW buckets together (few failures a bucket add up). */
const ERROR_WINDOW = 10;
/** A bucket whose window is this surprising (score 30) teaches the baseline nothing beyond the expected failures. */
const ERROR_QUIET_LOG_P = -3 * Math.LN10;

function observeBinomial(state: BinomialState, timeMs: number, obs: BucketObservation, options: ModelOptions): Verdict | null {
  const { count, failures } = obs;
  if (count <= 0) return null;
  state.n += 1;
  const rate = (state.failures + 0.5) / (state.total + 1);
  const d = state.dispersion;
  state.recent.push([failures, count, timeMs]);
  if (state.recent.length > ERROR_WINDOW) state.recent.shift();
  let logP = 0;
  let runStartMs = timeMs;
  // Only while this bucket itself is above the baseline, so an alarm ends with its burst.
  if (state.n > 5 && failures > count * rate) {
    let f = 0;
    let n = 0;
    const penalty = Math.log(ERROR_WINDOW);
    const last = state.recent.length - 1;
    let alone = 0;
    for (let i = last; i >= 0; i--) {
      const [bucketFailures, bucketCount, startMs] = state.recent[i]!;
      f += bucketFailures;
      n += bucketCount;
      const windowP = logBinomialUpper(f / d, n / d, rate) + (i === last ? 0 : penalty);
      if (i === last) alone = windowP;
      // A longer window counts only if this bucket is itself unusual (a burst's tail does not linger).
      if ((i === last || alone < ERROR_ALONE_LOG_P) && windowP < logP) {
        logP = windowP;
        runStartMs = startMs;
      }
    }
  }
  let verdict: Verdict | null = null;
  if (state.n > options.warmupBuckets && state.total >= 20) {
    verdict = {
      metric: 'error_rate', logP: Math.min(0, logP), typical: rate, actual: failures / count,
      direction: failures / count >= rate ? 'up' : 'down', runStartMs,
    };
  }
  // Learn: a burst is clipped to three standard deviations above the expected failures, and
  // to the expected failures while the recent buckets together are surprising.
  const expected = count * rate;
  const sd = Math.sqrt(Math.max(expected * (1 - rate) * d, 0.25));
  const quiet = state.n > 5 && logP < ERROR_QUIET_LOG_P;
  const surprising = quiet || (state.n > 5 && failures > expected + 3 * sd + 1);
  state.streak = surprising ? state.streak + 1 : 0;
  const clippedFailures = quiet ? Math.min(failures, expected) : surprising ? expected + 3 * sd + 1 : failures;
  if (expected >= 1 && !quiet) {
    const z = (failures - expected) / Math.sqrt(expected * (1 - rate));
    state.dispersion = Math.max(1, Math.min(20, state.dispersion + 0.01 * (Math.min(z * z, 16) - state.dispersion)));
  }
  const decay = 1 - Math.max(ERROR_RATE, 1 / state.n);
  state.failures = state.failures * decay + clippedFailures;
  state.total = state.total * decay + count;
  if (state.streak >= ERROR_RELEVEL_RUN) {
    // A lasting rise is the new normal: the baseline restarts from the recent buckets.
    state.failures = state.recent.reduce((sum, r) => sum + r[0], 0);
    state.total = state.recent.reduce((sum, r) => sum + r[1], 0);
    state.streak = 0;
  }
  return verdict;
}

/** How unusual (p 0.05) a bucket must be alone to extend a window of earlier ones. */
const ERROR_ALONE_LOG_P = Math.log(0.05);
/** Surprising buckets in a row after which a higher error rate is the new normal. */
const ERROR_RELEVEL_RUN = 30;

/** Feeds one bucket to one metric's model, updating `state` in place. */
export function observe(state: SeriesState, metric: AnomalyMetric, timeMs: number, obs: BucketObservation, options: ModelOptions): Verdict | null {
  if (state.kind === 'binomial') return observeBinomial(state, timeMs, obs, options);
  if (metric === 'error_rate') throw new TypeError('error_rate needs a binomial state');
  const verdict = observeGaussian(state, SPECS[metric], timeMs, obs, options);
  return verdict === null ? null : { metric, ...verdict };
}

/** Every metric's model of one transaction group; what `anomaly_models.state` holds. */
export interface GroupModel {
  version: 2;
  bucketMs: number;
  /** The last bucket fed in (its start); a bucket at or before it is never fed again. */
  lastBucketMs: number;
  /** The last bucket with any transactions, to forget groups that went away. */
  lastSeenMs: number;
  series: Record<AnomalyMetric, SeriesState>;
}

export function newGroupModel(bucketMs: number): GroupModel {
  return {
    version: 2, bucketMs, lastBucketMs: -Infinity, lastSeenMs: 0,
    series: {
      latency_mean: newState('latency_mean'), latency_p95: newState('latency_p95'),
      throughput: newState('throughput'), error_rate: newState('error_rate'),
    },
  };
}

/** Feeds one bucket to every metric of the group; returns the verdicts of the warm ones. */
export function observeGroup(model: GroupModel, timeMs: number, obs: BucketObservation, options: ModelOptions): Verdict[] {
  if (timeMs <= model.lastBucketMs) return [];
  model.lastBucketMs = timeMs;
  if (obs.count > 0) model.lastSeenMs = timeMs;
  const verdicts: Verdict[] = [];
  for (const metric of ANOMALY_METRICS) {
    const verdict = observe(model.series[metric], metric, timeMs, obs, options);
    if (verdict !== null) verdicts.push(verdict);
  }
  return verdicts;
}

export function encodeModel(model: GroupModel): string {
  return JSON.stringify(model, (_key, value) => (value === -Infinity ? null : value));
}

/** Null when the text is not a model this version understands (it is then started afresh). */
export function decodeModel(text: string, bucketMs: number): GroupModel | null {
  try {
    const model = JSON.parse(text) as GroupModel;
    if (model?.version !== 2 || model.bucketMs !== bucketMs || typeof model.series !== 'object') return null;
    if (model.lastBucketMs === null) model.lastBucketMs = -Infinity;
    for (const metric of ANOMALY_METRICS) if (model.series[metric] === undefined) return null;
    return model;
  } catch {
    return null;
  }
}
