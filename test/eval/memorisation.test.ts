import { describe, expect, it } from 'vitest';
import { GaitSet } from '../../src/core/gaitset.js';
import { proceduralDataset } from '../../src/core/procedural.js';
import { Rng } from '../../src/core/rng.js';
import { flattenGaits, memorisation } from '../../src/eval/memorisation.js';
import { nearestNeighbours } from '../../src/eval/nearest.js';

describe('nearestNeighbours', () => {
  it('agrees with brute force, including block edges (odd sizes)', () => {
    const rng = new Rng(1, 'test/nn');
    for (const [nq, nr, D] of [[13, 9, 7], [4, 2, 3], [1, 1, 5], [6, 5, 300]] as const) {
      const q = Float64Array.from({ length: nq * D }, () => rng.normal());
      const r = Float64Array.from({ length: nr * D }, () => rng.normal());
      const res = nearestNeighbours(q, r, D);
      for (let i = 0; i < nq; i++) {
        const d = Array.from({ length: nr }, (_, j) => Math.hypot(...Array.from({ length: D }, (_, k) => q[i * D + k]! - r[j * D + k]!)));
        const order = d.map((v, j) => [v, j] as const).sort((a, b) => a[0] - b[0]);
        expect(res.index[i]).toBe(order[0]![1]);
        expect(res.distance[i]).toBeCloseTo(order[0]![0], 10);
        if (nr > 1) {
          expect(res.index2[i]).toBe(order[1]![1]);
          expect(res.distance2[i]).toBeCloseTo(order[1]![0], 10);
        } else {
          expect(res.index2[i]).toBe(-1);
        }
      }
    }
  });
  it('gives an exact 0 for a copy, not round-off of ‖q‖² + ‖r‖² − 2q·r', () => {
    const r = Float64Array.from({ length: 3 * 50 }, (_, i) => 100 + Math.sin(i));
    const res = nearestNeighbours(r.slice(50, 100), r, 50);
    expect(res.index[0]).toBe(1);
    expect(res.distance[0]).toBe(0);
  });
});

describe('memorisation', () => {
  const all = proceduralDataset({ identities: 8, perEmotion: 3, seed: 11 });
  const [train, held, fresh] = all.stratifiedSplit([0.6, 0.2, 0.2], 4);

  function perturbed(set: GaitSet, std: number, seed: number): GaitSet {
    const rng = new Rng(seed, 'test/memorisation');
    const pos = set.positions.map((v) => v + rng.normal(0, std));
    return new GaitSet({ ...set, positions: pos, labelNames: set.labelNames, T: set.T, V: set.V });
  }

  it('does not flag new gaits from the same distribution', () => {
    const r = memorisation(train!, fresh!, held!);
    expect(r.flagged).toBe(false);
    expect(r.medianRatio).toBeGreaterThan(0.6);
    expect(r.exactCopies).toBe(0);
    expect(r.reason).toMatch(/no sign of copying/);
  });

  it('flags noisy copies of training gaits', () => {
    const copies = perturbed(train!.slice(0, 20), 0.005, 1);
    const r = memorisation(train!, copies, held!);
    expect(r.flagged).toBe(true);
    expect(r.closeFraction).toBe(1);
    expect(r.exactCopies).toBe(0);
    expect(r.medianRatio).toBeLessThan(0.2);
    expect(Array.from(r.nearestTrain.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('counts exact copies, also when they are moved on the floor', () => {
    const moved = train!.slice(3, 8).positions.map((v, i) => (i % 3 === 1 ? v : v + 2.5));
    const set = new GaitSet({ positions: moved, labels: train!.labels.slice(3, 8), labelNames: train!.labelNames, T: train!.T });
    const r = memorisation(train!, set, held!);
    expect(r.exactCopies).toBe(5);
    expect(r.flagged).toBe(true);
    // without centring a moved copy is far away
    expect(memorisation(train!, set, held!, { centre: false }).exactCopies).toBe(0);
  });

  it('validates shapes and the config', () => {
    const short = new GaitSet({ positions: new Float32Array(10 * 48), labels: [0], labelNames: ['x'], T: 10 });
    expect(() => memorisation(train!, short, held!)).toThrow(/T=10/);
    expect(() => memorisation(train!, fresh!, held!, { quantile: 0.9 })).toThrow(/quantile/);
  });

  it('flattenGaits moves the first root position to x = z = 0', () => {
    const f = flattenGaits(train!.slice(0, 1));
    expect([f[0], f[2]]).toEqual([0, 0]);
    expect(f[1]).toBe(train!.positions[1]);
  });
});
