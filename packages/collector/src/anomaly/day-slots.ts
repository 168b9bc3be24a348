/** The half-hour slots of the day that the anomaly models' day profile and day memories are kept in. */
export const DAY_MS = 86_400_000;
export const DAY_SLOTS = 48;
export const DAY_SLOT_MS = DAY_MS / DAY_SLOTS;

/** The slot of a cyclic period a time falls in (`offsetMs` moves the period's start). */
export function slotIndex(timeMs: number, periodMs: number, slots: number, offsetMs = 0): number {
  return Math.floor(((((timeMs + offsetMs) % periodMs) + periodMs) % periodMs) / (periodMs / slots));
}
