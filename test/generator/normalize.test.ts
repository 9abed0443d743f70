import { describe, expect, it } from 'vitest';
import { proceduralDataset } from '../../src/core/procedural.js';
import { EDGES } from '../../src/core/skeleton.js';
import { canonicalizeAll, destandardize, fitNormalization, standardize } from '../../src/generator/normalize.js';

const set = proceduralDataset({ identities: 2, perEmotion: 2, frames: 20, seed: 4 });
const { T, V } = set;
const per = set.stride;

describe('generator view normalisation', () => {
  const canon = canonicalizeAll(set.positions, T, V);
  it('puts the first root above the origin, walking towards +Z, and keeps the body rigid', () => {
    for (let n = 0; n < set.N; n++) {
      const g = canon.subarray(n * per, (n + 1) * per);
      const w = set.gait(n);
      expect(g[0]).toBeCloseTo(0, 5);
      expect(g[2]).toBeCloseTo(0, 5);
      expect(g[1]).toBeCloseTo(w[1]!, 5); // heights kept
      const last = (T - 1) * V * 3;
      expect(Math.abs(g[last]!)).toBeLessThan(1e-4); // no sideways root displacement
      expect(g[last + 2]).toBeGreaterThan(0.5); // walked forward
      for (const [a, b] of EDGES) {
        const d = (x: Float32Array, t: number) => Math.hypot(...[0, 1, 2].map((k) => x[(t * V + a) * 3 + k]! - x[(t * V + b) * 3 + k]!));
        expect(d(g, 7)).toBeCloseTo(d(w, 7), 4);
      }
    }
  });
  it('standardises to zero mean and unit RMS, and maps back to metres', () => {
    const s = fitNormalization(canon, per);
    expect(s.mean).toHaveLength(per);
    const x = standardize(Float32Array.from(canon), s);
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const rms = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect(rms).toBeCloseTo(1, 3);
    const back = destandardize(x, s);
    for (let i = 0; i < back.length; i += 97) expect(back[i]).toBeCloseTo(canon[i]!, 4);
  });
  it('refuses data with nothing to learn', () => {
    const one = canon.slice(0, per);
    const same = new Float32Array(3 * per);
    for (let k = 0; k < 3; k++) same.set(one, k * per);
    expect(() => fitNormalization(same, per)).toThrow(/nothing to learn/);
  });
});
