// Number, duration and time formats shared by every page.

const dec = (value, digits) => Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** 0.42 ms, 12 ms, 1.2 s, 2.5 min */
export function ms(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (value < 1) return `${dec(value, 2)} ms`;
  if (value < 100) return `${dec(value, 1)} ms`;
  if (value < 1000) return `${dec(value, 0)} ms`;
  if (value < 60_000) return `${dec(value / 1000, 2)} s`;
  return `${dec(value / 60_000, 1)} min`;
}

/** 0.1 → 10 %, 0.0123 → 1.23 % */
export function pct(rate) {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '–';
  const p = rate * 100;
  return `${dec(p, p > 0 && p < 10 ? 2 : 1)} %`;
}

/** Transactions per minute. */
export function tpm(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${dec(value, value < 10 ? 2 : 1)} tpm`;
}

export function count(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
}

/** A generic number for chart axes and metric values. */
export function num(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${dec(value / 1e9, 1)}G`;
  if (abs >= 1e6) return `${dec(value / 1e6, 1)}M`;
  if (abs >= 1e4) return `${dec(value / 1e3, 1)}k`;
  if (abs >= 100) return dec(value, 0);
  if (abs >= 1) return dec(value, 2);
  return dec(value, 3);
}

const pad = (n) => String(n).padStart(2, '0');

/** Local time: 14:05:09, or 2025-01-31 14:05 when not today. */
export function time(epochMs) {
  if (!Number.isFinite(epochMs)) return '–';
  const d = new Date(epochMs);
  const today = new Date();
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === today.toDateString()) return clock;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
}

/** Full ISO time, for title attributes. */
export function isoTime(epochMs) {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString() : '';
}

/** "3 min ago" */
export function ago(epochMs, nowMs = Date.now()) {
  if (!Number.isFinite(epochMs)) return '–';
  const seconds = Math.max(0, Math.round((nowMs - epochMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

/** An axis label for a time, precise enough for the span shown. */
export function axisTime(epochMs, spanMs) {
  const d = new Date(epochMs);
  if (spanMs > 2 * 86_400_000) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:00`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
