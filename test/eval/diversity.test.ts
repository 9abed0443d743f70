import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { diversity, multimodality } from '../../src/eval/diversity.js';

function points(n: number, d: number, spread: number, seed: number): number[][] {
  const rng = new Rng(seed, 'test/diversity');
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal(0, spread)));
}

describe('Diversity', () => {
  const x = points(300, 8, 1, 1);
  it('is deterministic for a seed and scales with the features', () => {
    const a = diversity(x, { seed: 3 });
    expect(diversity(x, { seed: 3 })).toBe(a);
    expect(diversity(x, { seed: 4 })).not.toBe(a);
    // the same pairs on doubled features: exactly twice the distance
    expect(diversity(x.map((r) => r.map((v) => 2 * v)), { seed: 3 })).toBeCloseTo(2 * a, 10);
  });
  it('approaches the expected pair distance of a Gaussian (≈ √(2d) for unit variance)', () => {
    expect(diversity(x, { seed: 3, pairs: 5000 })).toBeGreaterThan(0.9 * Math.sqrt(16));
    expect(diversity(x, { seed: 3, pairs: 5000 })).toBeLessThan(1.05 * Math.sqrt(16));
  });
  it('is 0 for a collapsed set and needs two samples', () => {
    expect(diversity(Array.from({ length: 10 }, () => [1, 2, 3]), { seed: 1 })).toBe(0);
    expect(() => diversity([[1, 2]], { seed: 1 })).toThrow(/at least 2/);
  });
});

describe('MultiModality', () => {
  it('is per label: a tight label scores lower than a spread one', () => {
    const x = [...points(40, 4, 0.1, 2), ...points(40, 4, 2, 3)];
    const labels = [...Array(40).fill(0), ...Array(40).fill(1)];
    const r = multimodality(x, labels, { seed: 5 });
    expect(r.perLabel[0]!).toBeLessThan(r.perLabel[1]! / 5);
    expect(r.mean).toBeCloseTo((r.perLabel[0]! + r.perLabel[1]!) / 2, 12);
    expect(r.warnings).toEqual([]);
  });
  it('leaves out labels with fewer than two samples, with a warning', () => {
    const x = points(5, 3, 1, 4);
    const r = multimodality(Float64Array.from(x.flat()), [0, 0, 0, 0, 2], { seed: 1, dim: 3, labelNames: ['a', 'b', 'c'] });
    expect(r.perLabel).toHaveLength(3);
    expect(r.perLabel[1]).toBeNull();
    expect(r.perLabel[2]).toBeNull();
    expect(r.warnings.join('; ')).toMatch(/label b has 0 sample/);
    expect(r.mean).toBe(r.perLabel[0]);
  });
  it('rejects label arrays of the wrong length', () => {
    expect(() => multimodality(points(4, 2, 1, 1), [0, 1], { seed: 1 })).toThrow(/2 labels for 4/);
  });
});
