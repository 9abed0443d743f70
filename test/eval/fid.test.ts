import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { fid, fidFloor, frechetDistance, gaussianStats } from '../../src/eval/fid.js';

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

describe('real-vs-real floor', () => {
  const real = gaussian(400, 6, 7);
  it('splits into disjoint seeded halves', () => {
    const f1 = fidFloor(real, { seed: 1 });
    expect(f1.halfSize).toBe(200);
    expect(f1.na + f1.nb).toBe(400);
    expect(fidFloor(real, { seed: 1 }).fid).toBe(f1.fid);
    expect(fidFloor(real, { seed: 2 }).fid).not.toBe(f1.fid);
    // sampling noise only: well below the FID against a shifted set of the same size
    expect(f1.fid).toBeGreaterThan(0);
    expect(f1.fid).toBeLessThan(fid(real.slice(0, 200), gaussian(200, 6, 7, 1)).fid / 5);
  });

  it('takes smaller halves on request and refuses impossible ones', () => {
    expect(fidFloor(real, { seed: 1, halfSize: 50 }).nb).toBe(50);
    expect(() => fidFloor(real, { seed: 1, halfSize: 201 })).toThrow(/2·201/);
  });
});
