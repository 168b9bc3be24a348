/**
 * Parsers for config values. Each takes the raw value (from code or from an environment
 * string) and returns the parsed value, or a string saying what is allowed.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; allowed: string };

export type Parser<T> = (raw: unknown) => ParseResult<T>;

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const no = (allowed: string): ParseResult<never> => ({ ok: false, allowed });

export function stringParser(opts: { pattern?: RegExp; allowed?: string; maxLength?: number } = {}): Parser<string> {
  const allowed = opts.allowed ?? 'a string';
  return (raw) => {
    if (typeof raw !== 'string') return no(allowed);
    const value = raw.trim();
    if (opts.pattern && !opts.pattern.test(value)) return no(allowed);
    if (opts.maxLength !== undefined && value.length > opts.maxLength) return no(`${allowed} of at most ${opts.maxLength} characters`);
    return ok(value);
  };
}

export const optionalString: Parser<string | null> = (raw) => {
  if (raw === null || raw === undefined) return ok(null);
  if (typeof raw !== 'string') return no('a string');
  return ok(raw);
};

export const urlParser: Parser<string> = (raw) => {
  if (typeof raw !== 'string' && !(raw instanceof URL)) return no('an http:// or https:// URL');
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    return no('an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return no('an http:// or https:// URL');
  return ok(url.href.replace(/\/+$/, ''));
};

export const booleanParser: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return ok(raw);
  if (typeof raw === 'string') {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return ok(true);
    if (v === 'false' || v === '0' || v === 'no' || v === 'off') return ok(false);
  }
  return no('true or false');
};

export function numberParser(min: number, max: number, integer = false): Parser<number> {
  const allowed = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
  return (raw) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(n) || n < min || n > max) return no(allowed);
    if (integer && !Number.isInteger(n)) return no(allowed);
    return ok(n);
  };
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, from a number or a string such as `250ms`, `10s`, `1m`. */
export function durationParser(minMs: number, maxMs: number): Parser<number> {
  const allowed = `a duration from ${minMs}ms to ${maxMs}ms (a number of milliseconds, or e.g. "500ms", "10s", "1m")`;
  return (raw) => {
    let ms: number;
    if (typeof raw === 'number') ms = raw;
    else if (typeof raw === 'string') {
      const m = DURATION.exec(raw.trim());
      if (m === null) return no(allowed);
      ms = Number(m[1]) * DURATION_UNIT_MS[m[2] ?? 'ms']!;
    } else return no(allowed);
    if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) return no(allowed);
    return ok(ms);
  };
}

export function enumParser<T extends string>(values: readonly T[]): Parser<T> {
  const allowed = `one of ${values.map((v) => `"${v}"`).join(', ')}`;
  return (raw) => {
    if (typeof raw !== 'string') return no(allowed);
    const v = raw.trim().toLowerCase() as T;
    return values.includes(v) ? ok(v) : no(allowed);
  };
}

/** A list from an array of strings or a comma-separated string. */
export const listParser: Parser<readonly string[]> = (raw) => {
  if (Array.isArray(raw)) {
    if (!raw.every((v) => typeof v === 'string')) return no('a list of strings');
    return ok(Object.freeze(raw.map((v: string) => v.trim()).filter((v) => v !== '')));
  }
  if (typeof raw === 'string') return ok(Object.freeze(raw.split(',').map((v) => v.trim()).filter((v) => v !== '')));
  return no('a list of strings (an array, or comma-separated)');
};

export type Labels = Readonly<Record<string, string | number | boolean>>;

/** Labels from an object or from `k=v,k2=v2`. */
export const labelsParser: Parser<Labels> = (raw) => {
  const allowed = 'labels as an object of string/number/boolean values, or "key=value,key2=value2"';
  const out: Record<string, string | number | boolean> = {};
  if (typeof raw === 'string') {
    for (const pair of raw.split(',')) {
      if (pair.trim() === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) return no(allowed);
      out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
    return ok(Object.freeze(out));
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return no(allowed);
      out[k] = v;
    }
    return ok(Object.freeze(out));
  }
  return no(allowed);
};
