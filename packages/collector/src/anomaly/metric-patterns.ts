import { CollectorError } from '../errors.js';

/** Most patterns `anomalyMetrics` may name. */
const MAX_PATTERNS = 100;
const MAX_PATTERN_LENGTH = 256;

/**
 * The metric series to watch (`anomalyMetrics`): exact metric names, or a prefix ending in
 * `*` (`custom.*`; `*` alone watches every metric), as a list or one comma-separated string.
 * Throws SIGHTLINE_ERR_COLLECTOR_OPTION for anything else: an empty entry, whitespace or a
 * `*` not at the end, too many or too long.
 */
export function parseMetricPatterns(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return Object.freeze([]);
  const list = typeof value === 'string' ? (value.trim() === '' ? [] : value.split(',').map((p) => p.trim())) : [...value];
  const bad = (message: string) => new CollectorError('SIGHTLINE_ERR_COLLECTOR_OPTION', `anomalyMetrics: ${message}`);
  if (list.length > MAX_PATTERNS) throw bad(`at most ${MAX_PATTERNS} metric names or prefixes, got ${list.length}`);
  for (const pattern of list) {
    if (typeof pattern !== 'string' || pattern === '') throw bad(`an entry is empty (${JSON.stringify(value)})`);
    if (pattern.length > MAX_PATTERN_LENGTH) throw bad(`${JSON.stringify(pattern.slice(0, 40))}… is longer than ${MAX_PATTERN_LENGTH} characters`);
    // eslint-disable-next-line no-control-regex
    if (/[\s\u0000-\u001f]/.test(pattern)) throw bad(`${JSON.stringify(pattern)} contains whitespace`);
    if (pattern.indexOf('*') !== -1 && pattern.indexOf('*') !== pattern.length - 1) {
      throw bad(`${JSON.stringify(pattern)}: '*' may only end a name (a prefix such as 'custom.*')`);
    }
  }
  return Object.freeze([...new Set(list)]);
}

/** Whether a metric name is watched. */
export function metricMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

const likeEscaped = (text: string): string => text.replace(/[!%_]/g, (c) => `!${c}`);

/**
 * A SQL condition on `name` selecting at least the watched metrics (SQLite's LIKE ignores
 * ASCII case, so callers match again with metricMatcher), with its parameters; null when
 * every metric is watched.
 */
export function metricNameCondition(patterns: readonly string[]): { sql: string; params: string[] } | null {
  if (patterns.includes('*')) return null;
  const parts: string[] = [];
  const params: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('*')) {
      parts.push("name LIKE ? ESCAPE '!'");
      params.push(`${likeEscaped(pattern.slice(0, -1))}%`);
    } else {
      parts.push('name = ?');
      params.push(pattern);
    }
  }
  return { sql: `(${parts.join(' OR ')})`, params };
}
