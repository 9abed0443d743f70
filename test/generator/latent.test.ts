import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { drawFitted, drawIdentity, drawMixture, fitLatentPrior, MIXTURE_MAX_COMPONENTS, MIXTURE_MIN_GAITS, priorMismatch } from '../../src/generator/latent.js';

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
    const p = fitLatentPrior(mu, logvar, labels, ['x', 'y', 'unused'], D, 1);
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

describe('mixture latent prior', () => {
  // label 0: 300 posterior means around three centres 10 apart (spread 0.5); label 1: 7 around the origin
  const D = 2;
  const centres = [[-10, 0], [10, 0], [0, 10]] as const;
  const r = new Rng(2, 'test/mixture');
  const n = 307;
  const mu = new Float32Array(n * D);
  const logvar = new Float32Array(n * D).fill(Math.log(0.04));
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i < 300 ? 0 : 1;
    const c = i < 300 ? centres[i % 3]! : [0, 0];
    for (let d = 0; d < D; d++) mu[i * D + d] = c[d]! + 0.5 * r.normal();
  }
  const p = fitLatentPrior(mu, logvar, labels, ['x', 'y'], D, 1);

  it('splits a label into components that each stay inside one group of posteriors', () => {
    const x = p.mixture!.x!;
    expect(x.length).toBeGreaterThanOrEqual(3);
    expect(x.length).toBeLessThanOrEqual(MIXTURE_MAX_COMPONENTS);
    expect(x.reduce((s, c) => s + c.gaits, 0)).toBe(300);
    expect(x.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 12);
    for (const c of x) {
      expect(c.gaits).toBeGreaterThanOrEqual(MIXTURE_MIN_GAITS);
      // no component mean between the groups (one Gaussian's mean would be (0, 3.3))
      expect(Math.min(...centres.map(([a, b]) => Math.hypot(c.mean[0]! - a, c.mean[1]! - b)))).toBeLessThan(1);
      // its spread is the group's (≤ 0.5 per axis) plus the posterior's (0.2): never the label's (≈ 8)
      for (const sd of c.sd!) {
        expect(sd).toBeGreaterThan(0.2);
        expect(sd).toBeLessThan(0.6);
      }
    }
    // the same seed fits the same mixture
    expect(fitLatentPrior(mu, logvar, labels, ['x', 'y'], D, 1).mixture).toEqual(p.mixture);
  });

  it('keeps the fitted Gaussian, full covariance and all, as the one component of a label too small to split', () => {
    const y = p.mixture!.y!;
    expect(y).toHaveLength(1); // 7 gaits < 2 · MIXTURE_MIN_GAITS
    const { gaits, mean, chol } = p.labels.y!;
    expect(y[0]).toEqual({ gaits, mean, chol, weight: 1 });
    // and draws from it are the fitted prior's
    const eps = Float64Array.from([0.3, -1.2]);
    const [a, b] = [new Float32Array(D), new Float32Array(D)];
    drawMixture(y, eps, 0.5, 0.8, a, 0);
    drawFitted(p.labels.y!, eps, 0.8, b, 0);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('draws pick components by weight and scale by the temperature', () => {
    const comps = [
      { gaits: 5, weight: 0.25, mean: [-5, 0], sd: [1, 1] },
      { gaits: 15, weight: 0.75, mean: [5, 1], sd: [2, 0.5] },
    ];
    const z = new Float32Array(D);
    const eps = new Float64Array(D);
    let first = 0;
    const m = 4000;
    for (let k = 0; k < m; k++) {
      eps[0] = r.normal();
      eps[1] = r.normal();
      drawMixture(comps, eps, r.next(), 1, z, 0);
      if (z[0]! < 0) first++;
    }
    expect(first / m).toBeGreaterThan(0.22);
    expect(first / m).toBeLessThan(0.28);
    eps[0] = 1;
    eps[1] = -2;
    drawMixture(comps, eps, 0.9, 0.5, z, 0);
    expect(Array.from(z)).toEqual([6, 0.5]);
    drawMixture(comps, eps, 0.1, 0, z, 0);
    expect(Array.from(z)).toEqual([-5, 0]);
  });
});

describe('identity latent prior', () => {
  // μ = a_label + b_identity + r: 3 labels, 6 identities; identities 4 and 5 recorded in label 0 only
  // (as the identity ablation's target walkers), identity 6 never; residual sd 0.3, posterior sd 0.2
  const D = 2;
  const a = [[0, 0], [3, -1], [-2, 4]];
  const b = [[5, 0], [-5, 0], [0, 5], [0, -5], [4, 4], [-4, -4], [0, 0]];
  const r = new Rng(3, 'test/identity-prior');
  const rows: [number, number][] = [];
  for (let id = 0; id < 4; id++) for (let l = 0; l < 3; l++) for (let k = 0; k < 40; k++) rows.push([l, id]);
  for (const id of [4, 5]) for (let k = 0; k < 40; k++) rows.push([0, id]);
  const n = rows.length;
  const mu = new Float32Array(n * D);
  const logvar = new Float32Array(n * D).fill(Math.log(0.04));
  rows.forEach(([l, id], i) => {
    for (let d = 0; d < D; d++) mu[i * D + d] = a[l]![d]! + b[id]![d]! + 0.3 * r.normal();
  });
  const names = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
  const who = { index: Int32Array.from(rows, ([, id]) => id), names };
  const p = fitLatentPrior(mu, logvar, Int32Array.from(rows, ([l]) => l), ['x', 'y', 'z'], D, 1, who).identity!;

  it('recovers the label and identity effects, also of identities recorded under one label', () => {
    // the effects are identified up to a shift: compare a_l + b_id, the means the prior draws around
    for (let l = 0; l < 3; l++)
      for (let id = 0; id < 6; id++)
        for (let d = 0; d < D; d++) expect(Math.abs(p.labels[['x', 'y', 'z'][l]!]![d]! + p.identities[names[id]!]!.effect[d]! - a[l]![d]! - b[id]![d]!)).toBeLessThan(0.15);
    expect(p.identities.w4!.gaits).toBe(40);
    // an identity without gaits is the average walker: no effect
    expect(p.identities.w6).toEqual({ gaits: 0, effect: [0, 0] });
  });

  it('has the residual covariance plus the posterior variance, not the spread between walkers', () => {
    // Σ = 0.09 I + 0.04 I; the label's fitted Gaussian holds the walkers' spread (b: ±5)
    const [l00, l01, l10, l11] = p.chol;
    expect(l01).toBe(0);
    expect(l00! * l00!).toBeCloseTo(0.13, 1);
    expect(Math.abs(l10! * l00!)).toBeLessThan(0.02);
    expect(l10! * l10! + l11! * l11!).toBeCloseTo(0.13, 1);
  });

  it('draws around the label plus identity effect, scaled by the temperature', () => {
    const z = new Float32Array(D);
    const eps = Float64Array.from([1, -0.5]);
    drawIdentity(p, 'y', 'w4', eps, 0, z, 0);
    expect(z[0]).toBeCloseTo(p.labels.y![0]! + p.identities.w4!.effect[0]!, 5);
    expect(z[1]).toBeCloseTo(p.labels.y![1]! + p.identities.w4!.effect[1]!, 5);
    const t = new Float32Array(D);
    drawIdentity(p, 'y', 'w4', eps, 2, t, 0);
    const want = new Float32Array(D);
    drawFitted({ mean: [z[0]!, z[1]!], chol: p.chol }, eps, 2, want, 0);
    expect(Array.from(t).map((v) => +v.toFixed(4))).toEqual(Array.from(want).map((v) => +v.toFixed(4)));
  });

  it('a stored prior that does not fit the generator is named by what differs', () => {
    const labels = Int32Array.from(rows, ([l]) => l);
    const full = fitLatentPrior(mu, logvar, labels, ['x', 'y', 'z'], D, 1, who);
    expect(priorMismatch(full, D, ['x', 'y', 'z'], 'identity')).toBeNull();
    expect(priorMismatch(full, 3, ['x', 'y', 'z'], 'identity')).toBe("its latent size is 2, the generator's 3");
    expect(priorMismatch(full, D, ['x', 'y', 'sad'], 'identity')).toBe('it has no Gaussian for label "sad"');
    const { mixture: _m, ...noMixture } = full;
    expect(priorMismatch(noMixture, D, ['x', 'y', 'z'], 'fitted')).toBeNull();
    expect(priorMismatch(noMixture, D, ['x', 'y', 'z'], 'mixture')).toBe("the config's prior is 'mixture' but it holds no mixture");
    expect(priorMismatch({ ...full, mixture: { ...full.mixture, y: [] } }, D, ['x', 'y', 'z'], 'fitted')).toBe('its mixture has no component for label "y"');
    const withoutIdentity = fitLatentPrior(mu, logvar, labels, ['x', 'y', 'z'], D, 1);
    expect(priorMismatch(withoutIdentity, D, ['x', 'y', 'z'], 'mixture')).toBeNull();
    expect(priorMismatch(withoutIdentity, D, ['x', 'y', 'z'], 'identity')).toBe("the config's prior is 'identity' but it holds no identity prior");
    expect(priorMismatch(null, D, ['x'], 'fitted')).toBe('it holds no label Gaussians');
  });

  it('is fitted only for identity-conditioned generators, and deterministically', () => {
    expect(fitLatentPrior(mu, logvar, Int32Array.from(rows, ([l]) => l), ['x', 'y', 'z'], D, 1).identity).toBeUndefined();
    expect(fitLatentPrior(mu, logvar, Int32Array.from(rows, ([l]) => l), ['x', 'y', 'z'], D, 1, who).identity).toEqual(p);
  });
});
