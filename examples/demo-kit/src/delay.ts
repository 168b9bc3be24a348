/**
 * Latency as real services have it: most requests quick, a long tail, and now and then a
 * very slow one. A log-normal body (median ~40 ms) plus a rare slow path, capped.
 */
const MEDIAN_MS = 40;
const SIGMA = 0.8;
const SLOW_SHARE = 0.02;
const MAX_MS = 4_000;

function standardNormal(): number {
  // Box–Muller; 1 - random() keeps the logarithm away from 0.
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

/** A random latency in milliseconds from the skewed distribution. */
export function skewedDelayMs(): number {
  const body = MEDIAN_MS * Math.exp(SIGMA * standardNormal());
  const ms = Math.random() < SLOW_SHARE ? body + 1_000 + Math.random() * 2_000 : body;
  return Math.min(MAX_MS, Math.round(ms));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
