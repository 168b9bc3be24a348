/**
 * Tail probabilities in log space (so a 40-sigma bucket scores 100 instead of underflowing
 * to p = 0) and the 0–100 score mapped from them.
 */

const LN10 = Math.log(10);

/** ln P(Z > z) for a standard normal Z (Numerical Recipes' erfc, relative error < 1.2e-7). */
export function logNormalUpper(z: number): number {
  const x = z / Math.SQRT2;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.5 * a);
  const poly = -a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const logErfc = Math.log(t) + poly;
  if (x >= 0) return Math.log(0.5) + logErfc;
  return Math.log(1 - 0.5 * Math.exp(logErfc));
}

/** The z with ln P(Z > z) = logP, for logP ≤ ln 0.5 (bisection on logNormalUpper; 0 above that). */
export function zOfLogUpper(logP: number): number {
  if (logP >= Math.log(0.5)) return 0;
  let low = 0;
  let high = 40;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (logNormalUpper(mid) > logP) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * ln P(X >= k) for X ~ Binomial(n, p); k and n may be fractional (counts divided by an
 * overdispersion factor). Only the upper tail above the mean is ever asked for: at or
 * below the mean the answer is 0 (probability 1), which is all a detector needs to know.
 */
export function logBinomialUpper(k: number, n: number, p: number): number {
  if (k <= 0 || k <= n * p) return 0;
  if (k > n) return -Infinity;
  if (p <= 0) return -Infinity;
  if (p >= 1) return 0;
  const logPmf = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  // Terms fall off geometrically above the mean; sum them relative to the first.
  let term = 1;
  let sum = 1;
  const odds = p / (1 - p);
  for (let i = k; i < n && i < k + 100_000; i++) {
    term *= ((n - i) / (i + 1)) * odds;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return Math.min(0, logPmf + Math.log(sum));
}

/** ln of the Poisson(mean) probability of exactly k. */
function logPoissonPmf(k: number, mean: number): number {
  return k * Math.log(mean) - mean - logGamma(k + 1);
}

/**
 * ln P(X >= k) for X ~ Poisson(mean), k above the mean; 0 (probability 1) at or below it,
 * as for logBinomialUpper: only the tail away from the mean is asked for.
 */
export function logPoissonUpper(k: number, mean: number): number {
  if (k <= mean) return 0;
  if (mean <= 0) return -Infinity;
  let term = 1;
  let sum = 1;
  for (let i = k; i < k + 100_000; i++) {
    term *= mean / (i + 1);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return Math.min(0, logPoissonPmf(k, mean) + Math.log(sum));
}

/** Score 0–100 from ln p: -log10(p) × 10, so p = 1e-5 scores 50 and p ≤ 1e-10 scores 100. */
export function scoreOf(logP: number): number {
  const score = (-logP / LN10) * 10;
  return Math.max(0, Math.min(100, Math.round(score * 10) / 10));
}

/** p from ln p, kept readable in JSON (no denormals). */
export function probabilityOf(logP: number): number {
  const p = Math.exp(logP);
  return p < 1e-300 ? 0 : Number(p.toPrecision(3));
}
