/**
 * Prometheus naming rules, checked when a metric is defined (start-up time: a bad name
 * throws a coded error that says what to do), or repaired when the definer asks for it.
 */
import { SightlineError } from '../error-codes.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NOT_METRIC_CHAR = /[^a-zA-Z0-9_:]/g;
const NOT_LABEL_CHAR = /[^a-zA-Z0-9_]/g;

/** Labels the exposition format writes itself: a metric may not define them. */
const RESERVED_LABELS = new Set(['le', 'quantile']);

function invalid(message: string): SightlineError {
  return new SightlineError('SIGHTLINE_ERR_INVALID_ARGUMENT', message);
}

export function isMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

/** `api.requests-total` -> `api_requests_total`; a leading digit gets a `_` before it. */
export function sanitizeMetricName(name: string): string {
  const s = name.replace(NOT_METRIC_CHAR, '_');
  return s === '' || /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Like sanitizeMetricName, without `:`, and never the reserved `__` prefix. */
export function sanitizeLabelName(name: string): string {
  let s = name.replace(NOT_LABEL_CHAR, '_');
  if (s === '' || /^[0-9]/.test(s)) s = `_${s}`;
  while (s.startsWith('__')) s = s.slice(1);
  return s;
}

/** The metric name to use: `name` when valid, repaired when `sanitize`, else a coded error. */
export function checkMetricName(name: unknown, sanitize: boolean): string {
  if (typeof name !== 'string' || name === '') throw invalid('a metric needs a non-empty string `name`');
  if (isMetricName(name)) return name;
  if (sanitize) return sanitizeMetricName(name);
  throw invalid(
    `metric name ${JSON.stringify(name)} is not a valid Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*). ` +
      `Rename it (e.g. ${JSON.stringify(sanitizeMetricName(name))}) or pass \`sanitize: true\`.`,
  );
}

/** The label names to use, checked (or repaired) and free of duplicates and reserved names. */
export function checkLabelNames(metric: string, labelNames: unknown, sanitize: boolean): string[] {
  if (labelNames === undefined || labelNames === null) return [];
  if (!Array.isArray(labelNames)) throw invalid(`metric ${metric}: \`labelNames\` must be an array of strings`);
  const out: string[] = [];
  for (const raw of labelNames) {
    if (typeof raw !== 'string' || raw === '') throw invalid(`metric ${metric}: label names must be non-empty strings`);
    let name = raw;
    if (!isLabelName(name)) {
      if (!sanitize) {
        throw invalid(
          `metric ${metric}: label name ${JSON.stringify(raw)} is not valid ([a-zA-Z_][a-zA-Z0-9_]*, no "__" prefix). ` +
            `Rename it (e.g. ${JSON.stringify(sanitizeLabelName(raw))}) or pass \`sanitize: true\`.`,
        );
      }
      name = sanitizeLabelName(raw);
    }
    if (RESERVED_LABELS.has(name)) throw invalid(`metric ${metric}: label name "${name}" is reserved by the exposition format`);
    if (out.includes(name)) throw invalid(`metric ${metric}: label name "${name}" is given twice`);
    out.push(name);
  }
  return out;
}
