import { describe, expect, it } from 'vitest';
import { proceduralDataset, summarizeDataset } from '../src/index.js';
import { statsBaselineAccuracy, EDGES } from '../src/core/index.js';

describe('procedural walker', () => {
  const set = proceduralDataset({ identities: 8, perEmotion: 3, seed: 11 });

  it('is bit-identical for the same seed and differs for another', () => {
    const again = proceduralDataset({ identities: 8, perEmotion: 3, seed: 11 });
    expect(Buffer.from(again.positions.buffer).equals(Buffer.from(set.positions.buffer))).toBe(true);
    const other = proceduralDataset({ identities: 8, perEmotion: 3, seed: 12 });
    expect(Buffer.from(other.positions.buffer).equals(Buffer.from(set.positions.buffer))).toBe(false);
  });

  it('has the requested shape, labels in STEP order and identities', () => {
    expect(set.N).toBe(8 * 4 * 3);
    expect(set.T).toBe(75);
    expect(set.labelNames).toEqual(['angry', 'neutral', 'happy', 'sad']);
    expect(new Set(set.identity).size).toBe(8);
  });

  it('moves emotions in the documented directions: sad < neutral < angry in speed, sad has the shortest stride and least arm swing', () => {
    const m = summarizeDataset(set).meanByLabel;
    expect(m.sad!.speed).toBeLessThan(m.neutral!.speed);
    expect(m.neutral!.speed).toBeLessThan(m.angry!.speed);
    expect(m.neutral!.speed).toBeLessThan(m.happy!.speed);
    expect(m.sad!.stride).toBeLessThan(m.neutral!.stride);
    expect(m.sad!.armSwing).toBeLessThan(m.neutral!.armSwing);
    expect(m.happy!.armSwing).toBeGreaterThan(m.neutral!.armSwing);
    expect(m.sad!.headIncline).toBeGreaterThan(m.neutral!.headIncline);
  });

  it('produces plausible human walking: stable bones, feet on the ground, speed near 1.3 m/s', () => {
    const g = set.gait(0);
    const V = 16;
    for (const [a, b] of EDGES) {
      const len = (t: number) => Math.hypot(...[0, 1, 2].map((k) => g[(t * V + a) * 3 + k]! - g[(t * V + b) * 3 + k]!));
      const l0 = len(0);
      for (let t = 1; t < set.T; t++) expect(Math.abs(len(t) - l0)).toBeLessThan(0.05);
    }
    let minY = Infinity;
    for (let t = 0; t < set.T; t++) for (const f of [12, 15]) minY = Math.min(minY, g[(t * V + f) * 3 + 1]!);
    expect(minY).toBeGreaterThan(0.02);
    expect(minY).toBeLessThan(0.1);
    const s = summarizeDataset(set);
    expect(s.meanByLabel.neutral!.speed).toBeGreaterThan(1.0);
    expect(s.meanByLabel.neutral!.speed).toBeLessThan(1.6);
  });

  it('is not trivially separable', () => {
    const acc = statsBaselineAccuracy(set, 1);
    expect(acc).toBeGreaterThan(0.35);
    expect(acc).toBeLessThan(0.95);
  });

  it('rejects impossible options', () => {
    expect(() => proceduralDataset({ identities: 0 })).toThrow(/identities = 0/);
    expect(() => proceduralDataset({ emotions: ['bored' as never] })).toThrow(/unknown emotion "bored"/);
  });
});
