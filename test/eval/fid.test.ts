import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { fid, fidBesideFloor, frechetDistance, gaussianStats, projectedDim } from '../../src/eval/fid.js';

interface Case { name: string; a: number[][]; b: number[][]; fid: number }
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/fid_reference.json', import.meta.url)), 'utf8'),
) as { cases: Case[] };

/** n × d Gaussian features with a fixed random mixing (correlated columns). */
function gaussian(n: number, d: number, seed: number, shift = 0): number[][] {
  const rng = new Rng(seed, 'test/fid');
  const mix = Array.from({ length: d }, () => Array.from({ length: d }, () => rng.normal()));
  return Array.from({ length: n }, () => {
    const z = Array.from({ length: d }, () => rng.normal());
    return mix.map((row) => row.reduce((s, m, k) => s + m * z[k]!, 0) + shift);
  });
}

describe('FID against the independent SciPy reference', () => {
  it('has the five reference cases', () => {
    expect(fixture.cases.map((c) => c.name)).toEqual(['identical', 'shifted', 'correlated', 'penultimate64', 'affective29']);
  });
  for (const c of fixture.cases) {
    it(`matches case ${c.name} (${c.a.length}×${c.a[0]!.length} vs ${c.b.length}×${c.b[0]!.length})`, () => {
      const r = fid(c.a, c.b);
      expect(r.ridge).toBe(0);
      expect(r.warnings).toEqual([]);
      if (c.fid === 0) expect(Math.abs(r.fid)).toBeLessThan(1e-9);
      else expect(Math.abs(r.fid - c.fid) / c.fid).toBeLessThan(1e-6);
      expect(r.meanTerm + r.covTerm).toBeCloseTo(r.fid, 9);
    });
  }
});

describe('FID properties', () => {
  const a = gaussian(150, 10, 1);
  const b = gaussian(120, 10, 2, 0.3);

  it('FID(x, x) = 0', () => {
    expect(fid(a, a).fid).toBeLessThan(1e-9);
  });

  it('is symmetric', () => {
    const ab = fid(a, b).fid;
    expect(ab).toBeGreaterThan(1);
    expect(Math.abs(fid(b, a).fid - ab) / ab).toBeLessThan(1e-9);
  });

  it('is unchanged when both sets are translated by the same vector', () => {
    const c = Array.from({ length: 10 }, (_, k) => 5 * Math.sin(k + 1));
    const move = (x: number[][]) => x.map((r) => r.map((v, k) => v + c[k]!));
    const ab = fid(a, b).fid;
    expect(Math.abs(fid(move(a), move(b)).fid - ab) / ab).toBeLessThan(1e-9);
  });

  it('grows with a mean shift as ‖shift‖²', () => {
    const s = Array.from({ length: 10 }, (_, k) => 0.1 * (k - 4));
    const norm2 = s.reduce((t, v) => t + v * v, 0);
    for (const f of [1, 2, 5]) {
      const shifted = a.map((r) => r.map((v, k) => v + f * s[k]!));
      expect(Math.abs(fid(a, shifted).fid - f * f * norm2) / (f * f * norm2)).toBeLessThan(1e-9);
    }
  });

  it('accepts flat float arrays with dim and matches the nested result', () => {
    const flat = (x: number[][]) => Float64Array.from(x.flat());
    const r = fid(flat(a), Float32Array.from(b.flat()), { dim: 10 });
    expect(Math.abs(r.fid - fid(a, b.map((row) => Array.from(Float32Array.from(row)))).fid)).toBeLessThan(1e-9);
    expect(() => fid(flat(a), flat(b))).toThrow(/needs the feature dimension/);
  });

  it('names the row and column of a non-finite value', () => {
    const bad = a.map((r) => [...r]);
    bad[7]![3] = NaN;
    expect(() => fid(bad, b)).toThrow(/set a: row 7, column 3/);
  });

  it('reuses precomputed statistics', () => {
    const sa = gaussianStats(a);
    expect(frechetDistance(sa, gaussianStats(b)).fid).toBeCloseTo(fid(a, b).fid, 12);
  });
});

describe('singular covariances', () => {
  it('adds a reported ridge when a set has fewer samples than dimensions', () => {
    const small = gaussian(8, 20, 3);
    const big = gaussian(100, 20, 4);
    const r = fid(small, big);
    expect(r.ridge).toBeGreaterThan(0);
    expect(r.warnings.join(' ')).toMatch(/set a has 8 samples for 20 features/);
    expect(r.warnings.join(' ')).toMatch(/ridge/);
    expect(Number.isFinite(r.fid)).toBe(true);
    // a relative ridge of 1e-6 moves the distance by O(√1e-6) through the 12 zero eigenvalues:
    // small, but not nothing, which is why it is reported
    const none = fid(small, big, { ridge: 0 });
    expect(none.ridge).toBe(0);
    expect(none.warnings.join(' ')).toMatch(/singular/);
    expect(Math.abs(r.fid - none.fid) / none.fid).toBeLessThan(1e-2);
  });

  it('detects a constant (zero-variance) column', () => {
    const x = gaussian(60, 5, 5).map((r) => [...r, 1]);
    const r = fid(x, gaussian(60, 5, 6).map((row) => [...row, 1]));
    expect(r.warnings[0]).toMatch(/numerically singular/);
    expect(r.ridge).toBeGreaterThan(0);
  });
});

describe('FID beside the real-vs-real floor', () => {
  const real = gaussian(400, 6, 7);
  it('compares n generated and n real gaits with one reference of n real gaits, seeded', () => {
    const fake = gaussian(150, 6, 8, 1);
    const r = fidBesideFloor(real, fake, { seed: 1 });
    expect([r.n, r.floorN, r.referenceN]).toEqual([150, 150, 150]);
    expect(fidBesideFloor(real, fake, { seed: 1 })).toEqual(r);
    expect(fidBesideFloor(real, fake, { seed: 2 }).floor).not.toBe(r.floor);
    // sampling noise only: the floor is well below the FID of a shifted set
    expect(r.floor).toBeGreaterThan(0);
    expect(r.floor).toBeLessThan(r.fid / 5);
    expect(r.meanTerm + r.covTerm).toBeCloseTo(r.fid, 8);
  });

  it('puts a generator that draws from the real distribution on the floor, not below it', () => {
    // Equal sizes against one reference: the expected FID of a perfect generator equals the floor.
    let sumFid = 0;
    let sumFloor = 0;
    let allBelow = 0;
    const pool = gaussian(4000, 6, 7); // same mixing as `real`: rows 400+ are fresh draws of its distribution
    expect(pool.slice(0, 400)).toEqual(real);
    for (let s = 1; s <= 12; s++) {
      const fake = pool.slice(100 + 300 * s, 400 + 300 * s);
      const r = fidBesideFloor(real, fake, { seed: s });
      sumFid += r.fid;
      sumFloor += r.floor;
      // the old scheme: all 400 real against all 300 generated, beside a floor at other sizes
      if (fid(real, fake).fid < r.floor) allBelow++;
    }
    expect(sumFid / sumFloor).toBeGreaterThan(0.75);
    expect(sumFid / sumFloor).toBeLessThan(1.33);
    // the mismatched comparison sits below the floor most of the time (smaller bias from larger sets)
    expect(allBelow).toBeGreaterThan(6);
  });

  it('uses the given (grouped) halves and refuses overlapping ones or too few gaits', () => {
    const reference = Array.from({ length: 100 }, (_, k) => k);
    const floor = Array.from({ length: 60 }, (_, k) => 300 + k);
    const r = fidBesideFloor(real, gaussian(80, 6, 9), { seed: 3, halves: { reference, floor } });
    expect(r.n).toBe(60);
    expect(() => fidBesideFloor(real, gaussian(80, 6, 9), { seed: 3, halves: { reference: [1, 2, 3], floor: [3, 4, 5] } })).toThrow(/row 3 is in both halves/);
    expect(() => fidBesideFloor(real, gaussian(2, 6, 9), { seed: 3 })).toThrow(/at least 3 gaits in each set, got 2 \(real halves of 200 and 200, 2 generated\)/);
  });

  it('computes both FIDs in fewer than n/2 dimensions, on the reference half\'s principal components', () => {
    for (const [n, d] of [[3, 64], [30, 64], [128, 64], [129, 64], [200, 29], [58, 29], [59, 29]] as const) {
      const k = projectedDim(n, d);
      expect(2 * k).toBeLessThan(n);
      expect(k === d).toBe(n > 2 * d);
    }
    // 40 features whose variance lies in 6 of them (the rest 1e-3 noise): on 30 gaits per set the FID moves to
    // 14 principal components and must equal, up to the noise, the FID of the 6 informative columns on the same subsets
    const embed = (rows: number[][], seed: number) => {
      const rng = new Rng(seed, 'test/fid/embed');
      return rows.map((r) => [...r, ...Array.from({ length: 34 }, () => 1e-3 * rng.normal())]);
    };
    const real6 = gaussian(120, 6, 7);
    const fake6 = gaussian(60, 6, 7, 0.5);
    const halves = { reference: Array.from({ length: 30 }, (_, i) => i), floor: Array.from({ length: 30 }, (_, i) => 60 + i) };
    const small = fidBesideFloor(real6, fake6, { seed: 4, halves });
    const wide = fidBesideFloor(embed(real6, 1), embed(fake6, 2), { seed: 4, halves });
    expect([small.dim, small.featureDim, wide.dim, wide.featureDim]).toEqual([6, 6, 14, 40]);
    expect(wide.warnings[0]).toMatch(/top 14 principal components of the 30 reference-half gaits/);
    expect([small.ridge, wide.ridge]).toEqual([0, 0]);
    expect(Math.abs(wide.fid - small.fid) / small.fid).toBeLessThan(1e-3);
    expect(Math.abs(wide.floor - small.floor) / small.floor).toBeLessThan(1e-2);
    // without the projection the 40-d covariances of 30 gaits are singular
    expect(fid(embed(real6.slice(0, 30), 1), embed(fake6.slice(0, 30), 2)).warnings.join(' ')).toMatch(/30 samples for 40 features/);
  });

  it('with labels, draws every set in the reference half\'s label proportions', () => {
    // real: 3 gaits of label 0 for each of label 1, whose features are shifted; generated: as many of each label,
    // drawn from the same per-label distributions. The label mix alone separates them unless the sets are matched.
    const labelled = (n0: number, n1: number, seed: number) => {
      const x = [...gaussian(n0, 5, seed), ...gaussian(n1, 5, seed + 1000, 3)];
      return { x, labels: [...new Array(n0).fill(0), ...new Array(n1).fill(1)] };
    };
    let matched = 0;
    let unmatched = 0;
    let floors = 0;
    for (let s = 1; s <= 8; s++) {
      // same mixing seeds for real and generated rows, fresh draws: one distribution per label
      const r = labelled(300, 100, 11);
      const pool = labelled(1000, 1000, 11); // rows 0-299 and 1000-1099 are the real ones
      const fake = { x: [...pool.x.slice(300 + 40 * s, 450 + 40 * s), ...pool.x.slice(1100 + 40 * s, 1250 + 40 * s)], labels: [...new Array(150).fill(0), ...new Array(150).fill(1)] };
      const withLabels = fidBesideFloor(r.x, fake.x, { seed: s, labels: { real: r.labels, fake: fake.labels } });
      const counts = withLabels.counts!;
      expect(counts.generated).toEqual(counts.reference);
      expect(counts.floor).toEqual(counts.reference);
      expect(counts.reference[0]! / counts.reference[1]!).toBeGreaterThan(2.5);
      expect(counts.reference[0]! / counts.reference[1]!).toBeLessThan(3.5);
      matched += withLabels.fid;
      floors += withLabels.floor;
      unmatched += fidBesideFloor(r.x, fake.x, { seed: s }).fid;
    }
    expect(matched / floors).toBeGreaterThan(0.7);
    expect(matched / floors).toBeLessThan(1.4);
    expect(unmatched / floors).toBeGreaterThan(2);
  });
});
