import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { drawFitted, fitLatentPrior } from '../../src/generator/latent.js';

describe('fitted latent prior', () => {
  it('has the moments of the posterior mixture, and draws reproduce them', () => {
    const D = 2;
    const n = 4000;
    const r = new Rng(1, 'test/latent');
    const mu = new Float32Array(n * D);
    const logvar = new Float32Array(n * D).fill(Math.log(0.25));
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      const a = r.normal();
      const b = r.normal();
      // label 0: mean (1, -2), μ covariance [[1, 0.8], [0.8, 1]]; label 1: mean (0, 0), identity
      if (labels[i] === 0) {
        mu[i * D] = 1 + a;
        mu[i * D + 1] = -2 + 0.8 * a + 0.6 * b;
      } else {
        mu[i * D] = a;
        mu[i * D + 1] = b;
      }
    }
    const p = fitLatentPrior(mu, logvar, labels, ['x', 'y', 'unused'], D);
    expect(Object.keys(p.labels)).toEqual(['x', 'y']);
    const x = p.labels.x!;
    expect(x.gaits).toBe(n / 2);
    expect(x.mean[0]).toBeCloseTo(1, 1);
    expect(x.mean[1]).toBeCloseTo(-2, 1);
    // Σ = Cov(μ) + avg σ² = [[1.25, 0.8], [0.8, 1.25]]; L Lᵀ = Σ
    const [l00, l01, l10, l11] = x.chol;
    expect(l01).toBe(0);
    expect(l00! * l00!).toBeCloseTo(1.25, 1);
    expect(l10! * l00!).toBeCloseTo(0.8, 1);
    expect(l10! * l10! + l11! * l11!).toBeCloseTo(1.25, 1);
    // draws: mean and covariance of z = mean + L ε
    const z = new Float32Array(D);
    let s0 = 0, s1 = 0, c01 = 0;
    const m = 20000;
    const eps = new Float64Array(D);
    for (let k = 0; k < m; k++) {
      eps[0] = r.normal();
      eps[1] = r.normal();
      drawFitted(x, eps, 1, z, 0);
      s0 += z[0]! / m;
      s1 += z[1]! / m;
      c01 += ((z[0]! - x.mean[0]!) * (z[1]! - x.mean[1]!)) / m;
    }
    expect(s0).toBeCloseTo(x.mean[0]!, 1);
    expect(s1).toBeCloseTo(x.mean[1]!, 1);
    expect(c01).toBeCloseTo(0.8, 1);
    // temperature 0 gives the mean
    drawFitted(x, eps, 0, z, 0);
    expect(z[0]).toBeCloseTo(x.mean[0]!, 6);
  });
});
