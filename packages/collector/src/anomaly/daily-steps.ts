/**
 * Steps that come back at the same time every day: a queue that jumps when an office opens at
 * 8:00 and falls when it closes, a batch job's load at 2:00. The day profile (half-hour slots,
 * interpolated) draws such a step as a ramp and is wrong by most of the step for several
 * buckets on both sides of it; the run rule then takes the step as a new level after
 * RELEVEL_RUN buckets, and raises an alarm every day at the same time.
 *
 * So each re-level (the run rule's, or one taken here) is remembered in the half-hour slot of
 * the day it started in: its size, and on how many days it came (decayed a day at a time).
 * A step that came on an earlier day is expected: a bucket in that slot or a neighbouring one
 * whose residual is 0.5–1.5 times the step is taken as (part of) it at once, moving the level,
 * and is judged against the level after it. A step that does not come (a Saturday) changes
 * nothing; a step of another size, or at another time, is judged as before.
 *
 * bench/anomaly/metric-series.mjs (seed 1000): a queue with sharp office-hours steps 42 → 5
 * clean false alarms in 4 weeks, most of those left on its first day; spikes and shifts caught
 * as before. Taking residuals from 0.3 of the step hid 2 of 12 level shifts (a third of the
 * step) that began near 8:00; needing two earlier days kept the second day's and the first
 * Monday's alarms too (9 against 6 with one). Not for transaction groups: their throughput
 * shifts gave more false episodes with it (47 → 53 in bench/anomaly/run.mjs --seed 101).
 */
import { DAY_MS, DAY_SLOTS, slotIndex } from './day-slots.js';

/** A slot's memory keeps this share of it a day: a weekday step is still expected on Monday. */
const DECAY = 0.7;
/** How much memory makes a step expected: yesterday's step (1); a weekday step is at 1.44 on the Monday after a weekend. */
const RECUR = 1;
/** A step's size learns this share of each new day's. */
const AMOUNT_RATE = 0.4;
/** The share of the remembered step a residual must be to be taken as the step. */
const LOW = 0.5;
const HIGH = 1.5;
/** A step must be this many scales to be remembered: smaller ones are the day profile's to learn. */
const MIN_SCALES = 4;

/** What a series remembers of its daily steps (`GaussianState.steps`); arrays per day slot. */
export interface DailySteps {
  /** The step's size, in the model's units (log ms, Anscombe counts, a metric's own). */
  amount: number[];
  /** Days it came on, decayed by DECAY a day. */
  past: number[];
  /** What was taken in the slot's current visit (summed), folded into `amount` and `past` when it comes round again. */
  today: number[];
  /** The slot of the last bucket. */
  last: number;
}

const slotOf = (timeMs: number): number => slotIndex(timeMs, DAY_MS, DAY_SLOTS);

/** A memory begun by a step that started in `slot` (so that slot's visit is not folded away before it ends). */
function newSteps(slot: number): DailySteps {
  const zeros = () => new Array<number>(DAY_SLOTS).fill(0);
  return { amount: zeros(), past: zeros(), today: zeros(), last: slot };
}

/** Moves the memory to this bucket's slot: the slot's last visit is folded into what it remembers. */
export function visitSteps(steps: DailySteps | undefined, timeMs: number): void {
  if (steps === undefined) return;
  const slot = slotOf(timeMs);
  if (slot === steps.last) return;
  const taken = steps.today[slot]!;
  if (taken !== 0) steps.amount[slot] = steps.past[slot]! > 0 ? steps.amount[slot]! + AMOUNT_RATE * (taken - steps.amount[slot]!) : taken;
  steps.past[slot] = steps.past[slot]! * DECAY + (taken !== 0 ? 1 : 0);
  steps.today[slot] = 0;
  steps.last = slot;
}

/** Remembers a re-level of `amount` that started at `startMs` (large enough against `scale`). */
export function rememberStep(holder: { steps?: DailySteps }, startMs: number, amount: number, scale: number): void {
  if (Math.abs(amount) < MIN_SCALES * scale) return;
  const slot = slotOf(startMs);
  const steps = (holder.steps ??= newSteps(slot));
  steps.today[slot]! += amount;
}

/**
 * Whether this bucket's residual is taken as a remembered step (in this slot or a neighbouring
 * one) that it is 0.5–1.5 times of, and that has not been taken whole in this visit yet; if it
 * is, the bucket is all step, and counts towards the step's visit.
 */
export function takeStep(steps: DailySteps | undefined, timeMs: number, residual: number, scale: number): boolean {
  if (steps === undefined) return false;
  const slot = slotOf(timeMs);
  for (const s of [slot, (slot + DAY_SLOTS - 1) % DAY_SLOTS, (slot + 1) % DAY_SLOTS]) {
    const amount = steps.amount[s]!;
    if (steps.past[s]! < RECUR || Math.abs(amount) < MIN_SCALES * scale) continue;
    const share = residual / amount;
    if (share >= LOW && share <= HIGH && steps.today[s]! / amount + share <= HIGH) {
      steps.today[s]! += residual;
      return true;
    }
  }
  return false;
}
