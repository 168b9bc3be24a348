import { LEVELS, type RollupLevel } from './rollups.js';

/** Half-open [fromMs, toMs). */
export type Span = readonly [fromMs: number, toMs: number];

/**
 * Where each part of a time range is read from: whole hours from the hourly rollups,
 * whole minutes around them from the minute rollups, and the seconds at either end (at
 * most a minute each) from the events themselves, so that every answer is exact for any
 * `from`/`to` while reading a few thousand rows at most.
 */
export interface RangePlan {
  raw: Span[];
  rollups: Array<{ level: RollupLevel; spans: Span[] }>;
}

/**
 * Splits [fromMs, toMs) over the rollup levels. With `slotMs` (a time series), only levels
 * whose rows each fall into one slot are used: those that divide the slot length.
 */
export function planRange(fromMs: number, toMs: number, slotMs: number | null = null): RangePlan {
  const levels = LEVELS.filter((level) => slotMs === null || slotMs % level.ms === 0);
  const plan: RangePlan = { raw: [], rollups: levels.map((level) => ({ level, spans: [] })) };
  cover(plan, fromMs, toMs, levels.length - 1);
  plan.rollups = plan.rollups.filter((r) => r.spans.length > 0);
  return plan;
}

function cover(plan: RangePlan, fromMs: number, toMs: number, index: number): void {
  if (fromMs >= toMs) return;
  if (index < 0) {
    plan.raw.push([fromMs, toMs]);
    return;
  }
  const { ms } = plan.rollups[index]!.level;
  const start = Math.ceil(fromMs / ms) * ms;
  const end = Math.floor(toMs / ms) * ms;
  if (start >= end) {
    cover(plan, fromMs, toMs, index - 1);
    return;
  }
  plan.rollups[index]!.spans.push([start, end]);
  cover(plan, fromMs, start, index - 1);
  cover(plan, end, toMs, index - 1);
}
