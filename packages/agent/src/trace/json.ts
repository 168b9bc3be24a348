/**
 * The pieces of JSON the event encoders write by hand, each exactly as JSON.stringify
 * writes it: a string is escaped only when it holds a character that needs it.
 */

/** A quote, a backslash, a control character or a surrogate (JSON.stringify escapes lone ones). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
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
  const json = JSON.stringify(value) as string | undefined;
  return json === undefined ? '' : key + json;
}

/** A number as JSON.stringify writes it (non-finite numbers become null). */
export function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** A string or a number or a boolean or null, as JSON.stringify writes it. */
export function jsonScalar(v: string | number | boolean | null): string {
  return typeof v === 'string' ? quote(v) : typeof v === 'number' ? jsonNumber(v) : v === null ? 'null' : v ? 'true' : 'false';
}
