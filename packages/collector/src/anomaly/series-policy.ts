/** What transaction groups and metric series share in the detectors' handling of them. */

/** A group or series not seen for this long is forgotten (and learnt afresh if it comes back). */
export const FORGET_AFTER_MS = 7 * 86_400_000;
/** How far back a group or series without a model is fitted from what is stored, by default. */
export const HISTORY_MS = 7 * 86_400_000;
/** A record's typical and actual values, to 4 significant digits. */
export const significant = (value: number): number => Number(value.toPrecision(4));
