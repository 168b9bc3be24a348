/**
 * The pieces of JSON the event encoders write by hand, each exactly as JSON.stringify
 * writes it: a string is escaped only when it holds a character that needs it.
 */

/** A quote, a backslash, a control character or a surrogate (JSON.stringify escapes lone ones). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/**
 * `s` made flat: a string built with `+` is a rope of its pieces until something reads its
 * characters, and then V8 copies them into one string, in place, so it stays flat (and this
 * costs a few instructions from then on). A piece reused in many lines is flattened when it
 * is first reused, instead of its rope being walked again by every line's write into the
 * batch buffer; a piece used once is not, its line's write copies it anyway.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** The inside of quote(s), for strings written in pieces. */
export function escapeJson(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

/**
 * `<key>value` for any value (`key` already written as `,"name":`), or '' when
 * JSON.stringify would leave the member out (undefined, a function, a toJSON returning nothing).
 */
export function member(key: string, value: unknown): string {
  if (typeof value === 'string') return key + quote(value);
  if (value === undefined) return '';
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? '' : key + json;
}

/** A number as JSON.stringify writes it (non-finite numbers become null). */
export function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** The zeros that pad a part of n digits to 9, at index n. */
const ZEROS = ['000000000', '00000000', '0000000', '000000', '00000', '0000', '000', '00', '0', ''];
const SPLIT = 1e9;

/**
 * An epoch-microsecond timestamp as jsonNumber writes it. Such a number (~1.8e15) is past the
 * small-integer range, and String() turns it into text by the shortest-double algorithm; its
 * two halves below 1e9 are written as integers instead, the same digits for a fraction of the
 * cost. Anything but a non-negative safe integer goes through jsonNumber.
 */
export function jsonTimestamp(n: number): string {
  if (n >= 0 && n < 0x40000000) return String(n);
  if (!Number.isSafeInteger(n) || n < 0) return jsonNumber(n);
  const high = Math.floor(n / SPLIT);
  const low = n - high * SPLIT;
  if (low < 0 || low >= SPLIT) return String(n);
  const lowText = String(low);
  return String(high) + ZEROS[lowText.length] + lowText;
}

/**
 * A duration in ms rounded to the microsecond (round3) as jsonNumber writes it: the integer
 * count of µs with the decimal point put in, trailing zeros dropped. The same text, since a
 * decimal of at most 15 significant digits is the shortest that reads back as its double.
 * Out of range (or not a number) it goes through round3 and jsonNumber.
 */
export function jsonMillis3(ms: number): string {
  if (!(ms >= 0 && ms < 1e9)) return jsonNumber(Math.round(ms * 1000) / 1000);
  const micros = Math.round(ms * 1000);
  const whole = Math.floor(micros / 1000);
  const frac = micros - whole * 1000;
  if (frac === 0) return String(whole);
  if (frac % 100 === 0) return String(whole) + '.' + String(frac / 100);
  if (frac % 10 === 0) return String(whole) + (frac < 100 ? '.0' : '.') + String(frac / 10);
  return String(whole) + (frac < 10 ? '.00' : frac < 100 ? '.0' : '.') + String(frac);
}

/** A string or a number or a boolean or null, as JSON.stringify writes it. */
export function jsonScalar(v: string | number | boolean | null): string {
  return typeof v === 'string' ? quote(v) : typeof v === 'number' ? jsonNumber(v) : v === null ? 'null' : v ? 'true' : 'false';
}
