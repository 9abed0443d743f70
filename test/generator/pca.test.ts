import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/core/backend.js';
import { Rng } from '../../src/core/rng.js';
import { componentsFor, fitPca, pcaProject, pcaReconstruct, readPca, writePca, PCA_BIN } from '../../src/generator/pca.js';

let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'gaitforge-pca-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** N rows of D values: mean + Σ_i a_i·s_i·d_i over orthonormal directions d_i, a_i ~ N(0, 1). */
function lowRank(N: number, D: number, sds: number[], seed: number): { x: Float32Array; directions: Float64Array[] } {
  const rng = new Rng(seed, 'test/pca');
  const directions: Float64Array[] = [];
  for (let i = 0; i < sds.length; i++) {
    const d = Float64Array.from({ length: D }, () => rng.normal());
    for (const e of directions) {
      const dot = d.reduce((a, v, j) => a + v * e[j]!, 0);
      for (let j = 0; j < D; j++) d[j]! -= dot * e[j]!;
    }
    const n = Math.hypot(...d);
    directions.push(d.map((v) => v / n));
  }
  const mean = Float64Array.from({ length: D }, () => rng.normal());
  const x = new Float32Array(N * D);
  for (let r = 0; r < N; r++) {
    const a = sds.map((s) => s * rng.normal());
    for (let j = 0; j < D; j++) x[r * D + j] = mean[j]! + a.reduce((acc, v, i) => acc + v * directions[i]![j]!, 0);
  }
  return { x, directions };
}

describe('PCA', () => {
  it('reconstructs rank-k data to float precision, with k components that are orthonormal and span the data', () => {
    const D = 30;
    const { x, directions } = lowRank(40, D, [3, 2, 1.5, 1, 0.5], 1);
    const before = tf.memory().numTensors;
    const b = fitPca(x, D, { explainedVariance: 1, maxComponents: 20, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(b.k).toBe(5);
    expect(b.explained).toBeCloseTo(1, 6);
    const r = pcaReconstruct(b, pcaProject(b, x));
    const maxErr = Math.max(...Array.from(r, (v, i) => Math.abs(v - x[i]!)));
    expect(maxErr).toBeLessThan(1e-4);
    for (let i = 0; i < b.k; i++)
      for (let j = 0; j < b.k; j++) {
        let dot = 0;
        for (let c = 0; c < D; c++) dot += b.components[i * D + c]! * b.components[j * D + c]!;
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-5);
      }
    // every true direction lies in the span of the components
    for (const d of directions) {
      let norm2 = 0;
      for (let i = 0; i < b.k; i++) norm2 += d.reduce((a, v, c) => a + v * b.components[i * D + c]!, 0) ** 2;
      expect(norm2).toBeGreaterThan(1 - 1e-5);
    }
    // variances are per row, decreasing, and sum to the total
    expect(b.variances).toEqual([...b.variances].sort((p, q) => q - p));
    expect(b.variances.reduce((p, q) => p + q, 0)).toBeCloseTo(b.totalVariance, 4);
  });

  it('keeps the fewest components that explain the asked fraction, capped', () => {
    // variances 5, 3, 1, 0.5, 0.5 of a total 10
    const v = [5, 3, 1, 0.5, 0.5];
    expect(componentsFor(v, 10, 0.8, 10)).toBe(2);
    expect(componentsFor(v, 10, 0.81, 10)).toBe(3);
    expect(componentsFor(v, 10, 0.9, 10)).toBe(3);
    expect(componentsFor(v, 10, 0.95, 10)).toBe(4);
    expect(componentsFor(v, 10, 1, 10)).toBe(5);
    expect(componentsFor(v, 10, 1, 2)).toBe(2);
    // on data: standard deviations 4, 2, 1, 0.5 → variances about 16, 4, 1, 0.25 (of 21.25)
    const D = 12;
    const { x } = lowRank(400, D, [4, 2, 1, 0.5], 2);
    const at = (f: number) => fitPca(x, D, { explainedVariance: f, maxComponents: 10, seed: 1 });
    const two = at(0.9);
    expect(two.k).toBe(2);
    expect(two.explained).toBeGreaterThan(0.9);
    expect(two.explained).toBeLessThan(0.98);
    expect(at(0.99).k).toBe(4);
    expect(fitPca(x, D, { explainedVariance: 0.99, maxComponents: 3, seed: 1 }).k).toBe(3);
  });

  it('subspace iteration (large n) finds the eigenpairs the full decomposition does', () => {
    const D = 160;
    const sds = Array.from({ length: 40 }, (_, i) => 10 * 0.85 ** i);
    const { x } = lowRank(200, D, sds, 3);
    // maxComponents 8: K = 24, 2K < n = 160 → subspace iteration; maxComponents 200 → the full decomposition
    const sub = fitPca(x, D, { explainedVariance: 1, maxComponents: 8, seed: 4 });
    const full = fitPca(x, D, { explainedVariance: 1, maxComponents: 200, seed: 4 });
    expect(sub.k).toBe(8);
    for (let i = 0; i < 8; i++) {
      expect(Math.abs(sub.variances[i]! - full.variances[i]!) / full.variances[i]!).toBeLessThan(1e-4);
      let dot = 0;
      for (let c = 0; c < D; c++) dot += sub.components[i * D + c]! * full.components[i * D + c]!;
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-3);
    }
    expect(sub.totalVariance).toBeCloseTo(full.totalVariance, 2);
  });

  it('round-trips through its files and names a file that does not match', () => {
    const { x } = lowRank(20, 10, [2, 1], 5);
    const b = fitPca(x, 10, { explainedVariance: 1, maxComponents: 5, seed: 1 });
    writePca(tmp, b);
    const r = readPca(tmp);
    expect(r.k).toBe(b.k);
    expect(Array.from(r.components)).toEqual(Array.from(b.components));
    expect(Array.from(r.mean)).toEqual(Array.from(b.mean));
    writeFileSync(path.join(tmp, PCA_BIN), new Uint8Array(12));
    expect(() => readPca(tmp)).toThrow(/pca.bin \(12 bytes\) does not match/);
  });
});
