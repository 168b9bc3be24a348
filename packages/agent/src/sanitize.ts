/**
 * Redaction of secrets by field name: headers, cookies, query parameters and form fields
 * whose names match the `sanitizeFieldNames` patterns have their values replaced.
 */
export const REDACTED = '[REDACTED]';

export type NameMatcher = (name: string) => boolean;

/** Names whose verdict a matcher remembers; names past this are tested every time. */
const MAX_TESTED_NAMES = 512;

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles wildcard patterns (`*token*`) into one case-insensitive test, built once at start. */
export function compileNameMatcher(patterns: readonly string[]): NameMatcher {
  if (patterns.length === 0) return () => false;
  const source = patterns.map((p) => `^${escapeRegExp(p).replace(/\*/g, '.*')}$`).join('|');
  const re = new RegExp(source, 'i');
  // Header and field names repeat from request to request: each is tested once.
  const tested = new Map<string, boolean>();
  return (name) => {
    let secret = tested.get(name);
    if (secret === undefined) {
      secret = re.test(name);
      if (tested.size < MAX_TESTED_NAMES) tested.set(name, secret);
    }
    return secret;
  };
}

/** A copy of `headers` with secret values redacted and multi-valued headers joined. */
export function sanitizeHeaders(
  headers: Record<string, string | string[] | number | undefined>,
  isSecret: NameMatcher,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    out[name] = isSecret(name) ? REDACTED : Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/** `a=1&token=x` becomes `a=1&token=[REDACTED]`; the order and the other values are kept. */
export function sanitizeQuery(search: string, isSecret: NameMatcher): string {
  if (search === '' || search === '?') return search;
  // Most queries hold no secret: look through it in place, rebuild it only when one is found.
  const length = search.length;
  let start = search.charCodeAt(0) === 63 /* ? */ ? 1 : 0;
  while (start <= length) {
    let end = search.indexOf('&', start);
    if (end === -1) end = length;
    const eq = search.indexOf('=', start);
    if (eq !== -1 && eq < end && isSecret(queryName(search.slice(start, eq)))) return redactQuery(search, isSecret);
    start = end + 1;
  }
  return search;
}

/** A query parameter's name, decoded (`+` is a space); as it stands when malformed. */
function queryName(rawName: string): string {
  if (!rawName.includes('%') && !rawName.includes('+')) return rawName;
  try {
    return decodeURIComponent(rawName.replace(/\+/g, ' '));
  } catch {
    return rawName;
  }
}

function redactQuery(search: string, isSecret: NameMatcher): string {
  const leading = search.startsWith('?') ? '?' : '';
  const body = leading ? search.slice(1) : search;
  return (
    leading +
    body
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq === -1) return pair;
        const rawName = pair.slice(0, eq);
        return isSecret(queryName(rawName)) ? `${rawName}=${encodeURIComponent(REDACTED)}` : pair;
      })
      .join('&')
  );
}

/**
 * Parses a Cookie header into name/value pairs. Cookie values are nearly always session
 * credentials, so every value is redacted; the names still say which cookies were sent.
 */
export function sanitizeCookies(cookieHeader: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name === '') continue;
    out[name] = REDACTED;
  }
  return out;
}

/** Removes `user:password@` from a URL string. */
export function stripUrlCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1');
}
