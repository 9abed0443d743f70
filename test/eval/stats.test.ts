import { describe, expect, it } from 'vitest';
import {
  correctedMeanCI, correctedResampledTTest, formatCI, signedPercent, holmAdjust, meanCI, pairedTTest, sampleQuantile, regularizedIncompleteBeta, repeated, studentTCdf, studentTQuantile, describeSample,
} from '../../src/eval/stats.js';

// Reference values below were computed with SciPy 1.17 (scipy.stats.t, ttest_rel) and NumPy (quantile).
describe('Student t distribution', () => {
  it('matches the closed forms for ν = 1 (Cauchy) and ν = 2', () => {
    for (const t of [-7, -1.3, -0.2, 0, 0.5, 1, 3.7, 40]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it('matches tabulated CDF values and quantiles', () => {
    const table: [number, number, number, number][] = [
      // ν, t_0.975, t_0.995, cdf(−2.5)
      [1, 12.706204736174694, 63.656741162871526, 0.12111894159084341],
      [2, 4.302652729749462, 9.924843200918287, 0.06480586011075541],
      [5, 2.5705818356363146, 4.032142983555228, 0.02724504967118813],
      [9, 2.262157162798205, 3.249835541592126, 0.016930913841492867],
      [29, 2.045229642132703, 2.756385903670605, 0.009162672169213043],
      [1000, 1.9623390808264083, 2.580754698065951, 0.0062892839005454036],
    ];
    for (const [nu, q975, q995, c] of table) {
      expect(Math.abs(studentTQuantile(0.975, nu) - q975) / q975).toBeLessThan(1e-9);
      expect(Math.abs(studentTQuantile(0.995, nu) - q995) / q995).toBeLessThan(1e-9);
      expect(studentTQuantile(0.025, nu)).toBeCloseTo(-q975, 9);
      expect(Math.abs(studentTCdf(-2.5, nu) - c) / c).toBeLessThan(1e-9);
    }
  });

  it('incomplete beta: I_x(1, 1) = x and I_x(a, b) = 1 − I_{1−x}(b, a)', () => {
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.2, 2.5, 4) + regularizedIncompleteBeta(0.8, 4, 2.5)).toBeCloseTo(1, 13);
  });
});

describe('mean ± CI and the paired t-test', () => {
  it('meanCI uses the t quantile with n − 1 degrees of freedom', () => {
    const ci = meanCI([1, 2, 3, 4, 5]);
    expect(ci.mean).toBe(3);
    expect(ci.halfWidth!).toBeCloseTo(1.9632431614775572, 10);
    expect(ci.lo!).toBeCloseTo(3 - 1.9632431614775572, 10);
    expect(formatCI(ci)).toBe('3.00 ± 1.96');
  });

  it('gives no interval for a single repeat and rejects non-finite values', () => {
    const ci = meanCI([4.2]);
    expect(ci.halfWidth).toBeNull();
    expect(formatCI(ci, 1)).toBe('4.2 (n = 1)');
    expect(() => meanCI([1, NaN])).toThrow(/repeat 1/);
  });

  it('signedPercent prints a difference with its sign, and one that rounds to zero as +0', () => {
    expect(signedPercent(0.019444)).toBe('+1.94');
    expect(signedPercent(-0.0070)).toBe('-0.70');
    expect(signedPercent(-2.2e-17)).toBe('+0.00');
    expect(signedPercent(-0.0004, 1)).toBe('+0.0');
    expect(signedPercent(0.0632, 1)).toBe('+6.3');
  });

  it('pairedTTest matches scipy.stats.ttest_rel', () => {
    const a = [0.81, 0.79, 0.84, 0.8, 0.83, 0.82];
    const b = [0.78, 0.78, 0.8, 0.79, 0.8, 0.81];
    const r = pairedTTest(a, b);
    expect(r.t).toBeCloseTo(3.9929182594206796, 9);
    expect(r.p).toBeCloseTo(0.010396279846501613, 10);
    expect(r.df).toBe(5);
    expect(r.lo).toBeGreaterThan(0);
    // swapping the conditions flips the sign, not the p-value
    const s = pairedTTest(b, a);
    expect(s.t).toBeCloseTo(-r.t, 12);
    expect(s.p).toBeCloseTo(r.p, 12);
  });

  it('pairedTTest handles identical differences without NaN', () => {
    expect(pairedTTest([1, 2, 3], [1, 2, 3])).toMatchObject({ t: 0, p: 1 });
    expect(pairedTTest([2, 3, 4], [1, 2, 3])).toMatchObject({ t: Infinity, p: 0 });
    expect(() => pairedTTest([1], [2])).toThrow(/at least 2 pairs/);
  });

  it('quantile matches NumPy (linear interpolation) and describeSample orders values', () => {
    expect(sampleQuantile([3, 1, 4, 1, 5, 9, 2, 6], 0.3)).toBeCloseTo(2.1, 12);
    const s = describeSample([5, 1, 3]);
    expect([s.min, s.median, s.max, s.n]).toEqual([1, 3, 5, 3]);
  });

  it('repeated derives one seed per repeat, deterministically', () => {
    const seen: number[] = [];
    const r1 = repeated(4, 7, (seed) => (seen.push(seed), seed % 10));
    const r2 = repeated(4, 7, (seed) => seed % 10);
    expect(new Set(seen).size).toBe(4);
    expect(r1.values).toEqual(r2.values);
    expect(r1.ci.n).toBe(4);
  });
});

describe('corrected resampled t-test (Nadeau & Bengio 2003)', () => {
  // Reference values from SciPy 1.17 (scipy.stats.t), computed independently of this code:
  //   d = [0.04, 0.07, 0.01, 0.05, 0.03], J = 5, n_train = 84, n_test = 24
  //   d̄ = 0.04, s² = 0.0005, se = √((1/5 + 24/84)·s²) = 0.015583874449479593
  //   t = d̄/se = 2.5667557916789914, p = 2·t.sf(|t|, 4) = 0.062191797345690525
  //   95% CI = d̄ ∓ t.ppf(0.975, 4)·se = [-0.0032677719352745757, 0.08326777193527457]
  // The naive paired t-test of the same differences gives t = 4.0, p = 0.016130089900092546
  // (scipy.stats.ttest_rel): the correction matters.
  it('matches SciPy on five re-splits', () => {
    const base = [0.5, 0.6, 0.55, 0.62, 0.58];
    const d = [0.04, 0.07, 0.01, 0.05, 0.03];
    const aug = base.map((b, i) => b + d[i]!);
    const r = correctedResampledTTest(aug, base, { nTrain: 84, nTest: 24 });
    expect(r.meanDiff).toBeCloseTo(0.04, 12);
    expect(r.df).toBe(4);
    expect(r.t).toBeCloseTo(2.5667557916789914, 9);
    expect(r.p).toBeCloseTo(0.062191797345690525, 9);
    expect(r.lo).toBeCloseTo(-0.0032677719352745757, 9);
    expect(r.hi).toBeCloseTo(0.08326777193527457, 9);
    expect(r.varianceFactor).toBeCloseTo(1 / 5 + 24 / 84, 14);
    const naive = pairedTTest(aug, base);
    expect(naive.t).toBeCloseTo(4, 9);
    expect(naive.p).toBeCloseTo(0.016130089900092546, 9);
  });
  it('matches SciPy on ten re-splits with negative differences', () => {
    // d as below, J = 10, n_train = 70, n_test = 15; SciPy: d̄ = 0.0145, t = 1.926347279042207,
    // p = 0.08617560104691678, 95% CI [-0.0025277079410535933, 0.03152770794105359]
    const d = [0.021, -0.004, 0.033, 0.012, 0.018, 0.027, -0.01, 0.015, 0.009, 0.024];
    const r = correctedResampledTTest(d, d.map(() => 0), { nTrain: 70, nTest: 15 });
    expect(r.t).toBeCloseTo(1.926347279042207, 9);
    expect(r.p).toBeCloseTo(0.08617560104691678, 9);
    expect(r.lo).toBeCloseTo(-0.0025277079410535933, 9);
    expect(r.hi).toBeCloseTo(0.03152770794105359, 9);
  });
  it('rejects sizes that are not positive', () => {
    expect(() => correctedResampledTTest([1, 2], [0, 0], { nTrain: 0, nTest: 3 })).toThrow(/nTrain = 0/);
  });
});

describe('Holm adjustment', () => {
  it('matches the step-down values worked out by hand, in input order', () => {
    // sorted: 0.005·5 = 0.025; 0.01·4 = 0.04; 0.03·3 = 0.09; 0.04·2 = 0.08 → max(0.09, 0.08) = 0.09; 0.2·1 = 0.2
    const adj = holmAdjust([0.01, 0.04, 0.03, 0.005, 0.2]);
    const want = [0.04, 0.09, 0.09, 0.025, 0.2];
    adj.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 14));
    // capped at 1; NaN entries are skipped and do not count towards m (m = 2 here)
    const b = holmAdjust([0.6, NaN, 0.7]);
    expect(b[0]).toBeCloseTo(1, 14);
    expect(b[1]).toBeNaN();
    expect(b[2]).toBeCloseTo(1, 14);
    expect(holmAdjust([0.02, 0.03])).toEqual([0.04, 0.04]);
  });
});

describe('corrected intervals of a mean over re-splits', () => {
  it('match the corrected resampled t-test of SciPy, and clip to the given range saying so', () => {
    // the five differences of the SciPy case above, as a metric of their own: d̄ ∓ t.ppf(0.975, 4)·√((1/5 + 24/84)·s²)
    const c = correctedMeanCI([0.04, 0.07, 0.01, 0.05, 0.03], { nTrain: 84, nTest: 24 }, -1, 1);
    expect(c.mean).toBeCloseTo(0.04, 12);
    expect(c.lo!).toBeCloseTo(-0.0032677719352745757, 9);
    expect(c.hi!).toBeCloseTo(0.08326777193527457, 9);
    expect(c.varianceFactor).toBeCloseTo(1 / 5 + 24 / 84, 14);
    expect(c.clipped).toBe(false);
    // accuracies near 1: mean 0.9667, s = 0.0577, √(1/3 + 1/2) · 4.3027 · s = 0.2268 → the upper end clipped at 1
    const d = correctedMeanCI([1, 1, 0.9], { nTrain: 10, nTest: 5 });
    expect(d.hi).toBe(1);
    expect(d.clipped).toBe(true);
    expect(d.lo!).toBeCloseTo(0.9666666666666667 - 4.302652729911275 * Math.sqrt(1 / 3 + 1 / 2) * 0.05773502691896258, 8);
    expect(() => correctedMeanCI([0.5, 0.6], { nTrain: 10, nTest: 0 })).toThrow(/nTest = 0/);
  });
});
