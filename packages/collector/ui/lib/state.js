// The URL hash holds everything a page is: the route, the time range and auto-refresh,
// so a link or a reload shows the same thing. #/services/checkout?range=1h&refresh=30

export const RANGES = /** @type {const} */ ([
  ['15m', 15 * 60_000, 'Last 15 minutes'],
  ['1h', 3_600_000, 'Last hour'],
  ['6h', 6 * 3_600_000, 'Last 6 hours'],
  ['24h', 24 * 3_600_000, 'Last 24 hours'],
  ['7d', 7 * 86_400_000, 'Last 7 days'],
]);
export const DEFAULT_RANGE = '1h';
export const REFRESH_SECONDS = [10, 30, 60];
export const DEFAULT_REFRESH_SECONDS = 30;

/**
 * @typedef {{ path: string[], query: URLSearchParams }} Location
 */

/** Splits '#/a/b%2Fc?x=1' into ['a', 'b/c'] and its query; each segment decoded on its own. */
export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const pathPart = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const path = pathPart.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { path, query };
}

/** Builds '#/services/GET%20%2Fcart?range=1h', carrying the range and refresh over. */
export function link(segments, extra = {}, query = parseHash().query) {
  const keep = new URLSearchParams();
  for (const key of ['range', 'refresh']) {
    const v = query.get(key);
    if (v !== null) keep.set(key, v);
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === null || v === undefined) keep.delete(k);
    else keep.set(k, String(v));
  }
  const path = segments.map((p) => encodeURIComponent(p)).join('/');
  const qs = keep.toString();
  return `#/${path}${qs === '' ? '' : `?${qs}`}`;
}

/** The same route with one query value changed. */
export function withQuery(changes, hash = location.hash) {
  const { path, query } = parseHash(hash);
  return link(path, changes, query);
}

export function rangeKey(query) {
  const key = query.get('range');
  return RANGES.some(([k]) => k === key) ? key : DEFAULT_RANGE;
}

/** The range ending now: { key, fromMs, toMs, spanMs, params: 'from=…&to=…' } */
export function currentRange(query, nowMs = Date.now()) {
  const key = rangeKey(query);
  const spanMs = RANGES.find(([k]) => k === key)[1];
  const fromMs = nowMs - spanMs;
  return { key, fromMs, toMs: nowMs, spanMs, params: `from=${fromMs}&to=${nowMs}` };
}

/** Seconds between refreshes, or 0 when auto-refresh is off. */
export function refreshSeconds(query) {
  const n = Number(query.get('refresh'));
  return REFRESH_SECONDS.includes(n) ? n : 0;
}
