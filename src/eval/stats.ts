/**
 * Statistics helpers for generator evaluation and ablation reports: Student's
 * t distribution, mean ± confidence interval over repeats, paired and
 * corrected resampled t-tests, quantiles and summaries. Pure TypeScript,
 * float64. The t distribution is written here because the npm packages that
 * have it pull in hundreds of transitive packages for two functions: the CDF
 * is the regularized incomplete beta function by its continued fraction
 * (modified Lentz), the quantile bisection on the CDF.
 */
import { GaitforgeError } from '../core/errors.js';
import { deriveSeed } from '../core/rng.js';

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~15 significant digits). */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma: x = ${x} must be positive`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a+1)/(a+b+2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    // even step: d_{2m} = m (b − m) x / ((a + 2m − 1)(a + 2m))
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // odd step: d_{2m+1} = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + num / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta function I_x(a, b), a, b > 0, x ∈ [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`incomplete beta: a = ${a}, b = ${b} must be positive`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta: x = ${x} must be in [0, 1]`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** CDF of Student's t distribution with ν > 0 degrees of freedom. */
export function studentTCdf(t: number, nu: number): number {
  if (!(nu > 0) || !Number.isFinite(nu)) throw new RangeError(`degrees of freedom ν = ${nu} must be a positive finite number`);
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedIncompleteBeta(nu / (nu + t * t), nu / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile (inverse CDF) of Student's t distribution: the t with P(T ≤ t) = p, p ∈ (0, 1). */
export function studentTQuantile(p: number, nu: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability p = ${p} must be in (0, 1)`);
  if (p === 0.5) return 0;
  // the distribution is symmetric: solve in the upper tail for accuracy
  const q = p > 0.5 ? p : 1 - p;
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, nu) < q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (studentTCdf(mid, nu) < q) lo = mid;
    else hi = mid;
  }
  const t = 0.5 * (lo + hi);
  return p > 0.5 ? t : -t;
}

/** Arithmetic mean (NaN for an empty array). */
export function sampleMean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** Sample standard deviation (divides by n − 1; 0 for n < 2). */
export function sampleStd(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return 0;
  const m = sampleMean(x);
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i]! - m) ** 2;
  return Math.sqrt(s / (n - 1));
}

/** Quantile q ∈ [0, 1] with linear interpolation between order statistics (R's type 7, NumPy's default). */
export function sampleQuantile(x: ArrayLike<number>, q: number): number {
  if (x.length === 0) throw new GaitforgeError('E_SHAPE', 'quantile of an empty array');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q = ${q} must be in [0, 1]`);
  const s = Float64Array.from(x).sort();
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** Summary of a sample of values. */
export interface SampleSummary {
  n: number;
  mean: number;
  std: number;
  min: number;
  median: number;
  p05: number;
  p95: number;
  max: number;
}

/** Summary statistics of a non-empty sample. */
export function describeSample(x: ArrayLike<number>): SampleSummary {
  if (x.length === 0) throw new GaitforgeError('E_SHAPE', 'summary of an empty sample');
  const s = Float64Array.from(x).sort();
  const at = (q: number) => sampleQuantile(s, q);
  return { n: s.length, mean: sampleMean(s), std: sampleStd(s), min: s[0]!, median: at(0.5), p05: at(0.05), p95: at(0.95), max: s[s.length - 1]! };
}

/** Mean with a two-sided t-distribution confidence interval. */
export interface MeanCI {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  std: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  /** Half-width t_{(1+level)/2, n−1} · std/√n; null when n < 2 (no interval can be given). */
  halfWidth: number | null;
  lo: number | null;
  hi: number | null;
}

/**
 * Mean ± confidence interval of independent repeats (e.g. a metric over R
 * draws or seeds), using Student's t with n − 1 degrees of freedom.
 */
export function meanCI(values: ArrayLike<number>, level = 0.95): MeanCI {
  const n = values.length;
  if (n === 0) throw new GaitforgeError('E_SHAPE', 'mean and CI of an empty sample');
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level = ${level} must be in (0, 1)`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i]!)) throw new GaitforgeError('E_VALUE', `repeat ${i}: value ${values[i]} is not finite`);
  const m = sampleMean(values);
  const std = sampleStd(values);
  if (n < 2) return { n, mean: m, std, level, halfWidth: null, lo: null, hi: null };
  const halfWidth = (studentTQuantile((1 + level) / 2, n - 1) * std) / Math.sqrt(n);
  return { n, mean: m, std, level, halfWidth, lo: m - halfWidth, hi: m + halfWidth };
}

/** "12.34 ± 0.56" (or "12.34 (n = 1)" when no interval exists). */
export function formatCI(ci: MeanCI, digits = 2): string {
  return ci.halfWidth === null ? `${ci.mean.toFixed(digits)} (n = ${ci.n})` : `${ci.mean.toFixed(digits)} ± ${ci.halfWidth.toFixed(digits)}`;
}

/** A difference of fractions in percentage points with its sign ("+1.94", "-0.70"); one that rounds to zero prints as +0.00, not -0.00. */
export function signedPercent(x: number, digits = 2): string {
  const t = (100 * x).toFixed(digits);
  return Number(t) === 0 ? `+${(0).toFixed(digits)}` : `${x > 0 ? '+' : ''}${t}`;
}

/** Result of a paired t-test of a against b (differences a − b). */
export interface PairedTTest {
  n: number;
  /** Mean of a − b. */
  meanDiff: number;
  /** Sample standard deviation of a − b. */
  stdDiff: number;
  /** t statistic (±Infinity when every difference is the same non-zero value, 0 when all are 0). */
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** Confidence interval of the mean difference at `level`. */
  lo: number;
  hi: number;
  level: number;
}

/**
 * Paired t-test across seeds: a[i] and b[i] are the same seed's results of
 * two conditions (e.g. accuracy with and without synthetic gaits). Tests
 * H0: mean(a − b) = 0, two-sided. Needs n ≥ 2 pairs.
 */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>, level = 0.95): PairedTTest {
  if (a.length !== b.length) throw new GaitforgeError('E_SHAPE', `paired t-test: ${a.length} values against ${b.length}`);
  const n = a.length;
  if (n < 2) throw new GaitforgeError('E_SHAPE', `paired t-test needs at least 2 pairs, got ${n}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level = ${level} must be in (0, 1)`);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = a[i]! - b[i]!;
    if (!Number.isFinite(d[i]!)) throw new GaitforgeError('E_VALUE', `pair ${i}: ${a[i]} − ${b[i]} is not finite`);
  }
  const m = sampleMean(d);
  const s = sampleStd(d);
  const df = n - 1;
  const se = s / Math.sqrt(n);
  const q = studentTQuantile((1 + level) / 2, df);
  let t: number;
  let p: number;
  if (se > 0) {
    t = m / se;
    p = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  } else {
    t = m === 0 ? 0 : m > 0 ? Infinity : -Infinity;
    p = m === 0 ? 1 : 0;
  }
  return { n, meanDiff: m, stdDiff: s, t, df, p, lo: m - q * se, hi: m + q * se, level };
}

/**
 * Runs `fn` R times with independent seeds derived from `seed` (repeat r
 * gets deriveSeed(seed, `repeat/r`)) and returns the values with their mean ± CI.
 */
export function repeated(R: number, seed: number, fn: (seed: number, r: number) => number, level = 0.95): { values: number[]; ci: MeanCI } {
  if (!Number.isInteger(R) || R < 1) throw new RangeError(`repeats = ${R} must be a positive integer`);
  const values: number[] = [];
  for (let r = 0; r < R; r++) values.push(fn(deriveSeed(seed, `repeat/${r}`), r));
  return { values, ci: meanCI(values, level) };
}

/** Result of the corrected resampled t-test (Nadeau & Bengio 2003). */
export interface CorrectedTTest extends PairedTTest {
  /** n_test / n_train of the re-splits. */
  testTrainRatio: number;
  /** The variance factor (1/J + n_test/n_train) that replaces the naive 1/J. */
  varianceFactor: number;
}

/**
 * Corrected resampled t-test (Nadeau & Bengio 2003): a[j] and b[j] are two
 * conditions' results on the j-th of J random train/test re-splits of one
 * dataset. Overlapping training sets correlate the differences, so the paired
 * test's variance s²/J is too small; with s² the variance of d_j = a_j − b_j,
 *   t = d̄ / √((1/J + n_test/n_train) · s²),   df = J − 1,
 * interval d̄ ± t_{(1+level)/2, J−1} · √((1/J + n_test/n_train) · s²). Needs J ≥ 2.
 */
export function correctedResampledTTest(
  a: ArrayLike<number>, b: ArrayLike<number>, sizes: { nTrain: number; nTest: number }, level = 0.95,
): CorrectedTTest {
  const { nTrain, nTest } = sizes;
  if (!(nTrain > 0) || !(nTest > 0) || !Number.isFinite(nTrain) || !Number.isFinite(nTest))
    throw new RangeError(`corrected resampled t-test: nTrain = ${nTrain} and nTest = ${nTest} must be positive numbers`);
  const naive = pairedTTest(a, b, level);
  const J = naive.n;
  const ratio = nTest / nTrain;
  const factor = 1 / J + ratio;
  const se = Math.sqrt(factor * naive.stdDiff ** 2);
  const m = naive.meanDiff;
  const q = studentTQuantile((1 + level) / 2, naive.df);
  let t: number;
  let p: number;
  if (se > 0) {
    t = m / se;
    p = Math.min(1, 2 * studentTCdf(-Math.abs(t), naive.df));
  } else {
    t = m === 0 ? 0 : m > 0 ? Infinity : -Infinity;
    p = m === 0 ? 1 : 0;
  }
  return { ...naive, t, p, lo: m - q * se, hi: m + q * se, testTrainRatio: ratio, varianceFactor: factor };
}

/**
 * Holm's step-down adjustment (Holm 1979) of m p-values for the family-wise
 * error rate: with p sorted ascending, p̃_(i) = max_{k ≤ i} min(1, (m − k + 1) p_(k)).
 * Returns the adjusted values in the input order. NaN inputs stay NaN and
 * do not count towards m.
 */
export function holmAdjust(p: ArrayLike<number>): number[] {
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (Number.isNaN(v)) continue;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`p-value ${v} (index ${i}) is not in [0, 1]`);
    idx.push(i);
  }
  idx.sort((x, y) => p[x]! - p[y]! || x - y);
  const m = idx.length;
  const out = Array.from({ length: p.length }, () => NaN);
  let running = 0;
  idx.forEach((i, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p[i]!));
    out[i] = running;
  });
  return out;
}

/**
 * The mean of a metric over J random train/test re-splits of one dataset
 * with the corrected resampled interval (Nadeau & Bengio 2003, as
 * `correctedResampledTTest` for a difference): mean ± t_{(1+level)/2, J−1} ·
 * √((1/J + n_test/n_train) · s²), clipped to [lo, hi] (`clipped` says when).
 * The re-splits share training gaits, so the naive s/√J understates the
 * spread of the mean. `std` stays the sample standard deviation; `halfWidth`
 * is the corrected one (null below 2 re-splits).
 */
export function correctedMeanCI(values: ArrayLike<number>, sizes: { nTrain: number; nTest: number }, lo = 0, hi = 1, level = 0.95): MeanCI & { clipped: boolean; varianceFactor: number } {
  const { nTrain, nTest } = sizes;
  if (!(nTrain > 0) || !(nTest > 0) || !Number.isFinite(nTrain) || !Number.isFinite(nTest))
    throw new RangeError(`corrected interval: nTrain = ${nTrain} and nTest = ${nTest} must be positive numbers`);
  const c = meanCI(values, level);
  const factor = 1 / c.n + nTest / nTrain;
  if (c.n < 2) return { ...c, clipped: false, varianceFactor: factor };
  const halfWidth = studentTQuantile((1 + level) / 2, c.n - 1) * Math.sqrt(factor) * c.std;
  const l = c.mean - halfWidth;
  const h = c.mean + halfWidth;
  return { ...c, halfWidth, lo: Math.max(lo, l), hi: Math.min(hi, h), clipped: l < lo || h > hi, varianceFactor: factor };
}

/** Fewer seeds than this give intervals only: no p-values, and a warning in every report. */
export const MIN_SEEDS_FOR_TESTS = 5;
