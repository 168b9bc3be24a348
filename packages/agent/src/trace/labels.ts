/** Labels as the intake accepts them: keys without `.`, `*` or `"`, scalar values, strings capped. */
export type LabelValue = string | number | boolean | null;
export type LabelMap = Record<string, LabelValue>;

const HAS_BAD_KEY_CHAR = /[.*"]/;
const BAD_KEY_CHARS = /[.*"]/g;
const MAX_VALUE = 1024;
export const MAX_LABELS = 128;

export function labelKey(key: string): string {
  return HAS_BAD_KEY_CHAR.test(key) ? key.replace(BAD_KEY_CHARS, '_') : key;
}

/** Coerces anything a user passes into a label value; never throws. */
export function labelValue(value: unknown): LabelValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  let s: string;
  try {
    s = typeof value === 'string' ? value : String(value);
  } catch {
    s = '[unprintable]';
  }
  return s.length > MAX_VALUE ? s.slice(0, MAX_VALUE) : s;
}

/** Sets one label on `target` (created on first use); returns the map, or null if it was full. */
export function setLabel(target: LabelMap | null, key: unknown, value: unknown): LabelMap | null {
  if (typeof key !== 'string' || key === '') return target;
  const map = target ?? {};
  const k = labelKey(key);
  if (!(k in map) && Object.keys(map).length >= MAX_LABELS) return map;
  map[k] = labelValue(value);
  return map;
}
