import { describe, expect, it } from 'vitest';
import { proceduralDataset } from '../../src/core/procedural.js';
import { EDGES } from '../../src/core/skeleton.js';
import { motionStats } from '../../src/generator/quality.js';
import { frameBoneLengths, rigidifyGait, walkerBoneLengths } from '../../src/generator/rigid.js';

const noisy = proceduralDataset({ identities: 1, perEmotion: 2, frames: 24, seed: 3, noise: 0.02 });
const clean = proceduralDataset({ identities: 1, perEmotion: 2, frames: 24, seed: 3, noise: 0 });
const { T, V } = noisy;
const vec = (g: Float32Array, t: number, a: number, b: number) => [0, 1, 2].map((k) => g[(t * V + b) * 3 + k]! - g[(t * V + a) * 3 + k]!);
const norm = (v: number[]) => Math.hypot(...v);

describe('rigid skeleton fit', () => {
  it('gives every bone its median length, keeps bone directions and the root', () => {
    const g = noisy.gait(0);
    const r = rigidifyGait(g, T, V);
    for (const [p, c] of EDGES) {
      const lengths = Array.from({ length: T }, (_, t) => norm(vec(g, t, p, c))).sort((a, b) => a - b);
      for (let t = 0; t < T; t++) {
        const a = vec(r, t, p, c);
        const b = vec(g, t, p, c);
        expect(norm(a)).toBeCloseTo(lengths[Math.floor(T / 2)]!, 5);
        expect(a.reduce((s, x, k) => s + x * b[k]!, 0) / (norm(a) * norm(b))).toBeCloseTo(1, 5);
      }
    }
    for (let t = 0; t < T; t++) for (let k = 0; k < 3; k++) expect(r[t * V * 3 + k]).toBe(g[t * V * 3 + k]);
    const before = motionStats(noisy.slice(0, 1));
    expect(before.boneLengthCV).toBeGreaterThan(0.02);
  });

  it('leaves a rigid gait as it is and survives a collapsed bone', () => {
    const g = clean.gait(1);
    const r = rigidifyGait(g, T, V);
    for (let i = 0; i < g.length; i++) expect(r[i]).toBeCloseTo(g[i]!, 4);
    const broken = Float32Array.from(g);
    // knee onto foot in frame 3 (joints 11 and 12, as in STEP-Gen's released samples)
    for (let k = 0; k < 3; k++) broken[(3 * V + 12) * 3 + k] = broken[(3 * V + 11) * 3 + k]!;
    const f = rigidifyGait(broken, T, V);
    expect(f.every(Number.isFinite)).toBe(true);
    expect(norm(vec(f, 3, 11, 12))).toBeGreaterThan(0.3);
  });

  it("walkerBoneLengths: each walker's median over every frame of its gaits; rigidifyGait sets a gait's bones to given lengths", () => {
    const two = proceduralDataset({ identities: 2, perEmotion: 1, frames: 24, seed: 3, noise: 0.02 });
    const names = [...new Set(two.identity as string[])].sort();
    const bones = walkerBoneLengths(two.positions, two.T, V, two.identity, names);
    expect(bones).toHaveLength(2);
    for (const [w, who] of names.entries()) {
      const gaits = Array.from({ length: two.N }, (_, i) => i).filter((i) => two.identity[i] === who);
      expect(bones[w]![0]).toBe(0); // the root has no bone
      for (const [p, c] of EDGES) {
        const all = gaits.flatMap((i) => Array.from({ length: two.T }, (_, t) => norm(vec(two.gait(i), t, p, c)))).sort((a, b) => a - b);
        expect(bones[w]![c]).toBeCloseTo(all[Math.floor(all.length / 2)]!, 5);
      }
    }
    // the two walkers' bodies differ, and a gait of one fitted to the other's lengths takes them in every frame
    expect(Math.max(...bones[0]!.map((b, j) => Math.abs(b - bones[1]![j]!)))).toBeGreaterThan(1e-3);
    const g = two.gait(0);
    const r = rigidifyGait(g, T, V, undefined, undefined, bones[1]);
    for (const [p, c] of EDGES) for (let t = 0; t < T; t++) expect(norm(vec(r, t, p, c))).toBeCloseTo(bones[1]![c]!, 5);
    expect(() => walkerBoneLengths(two.positions, two.T, V, two.identity, ['nobody'])).toThrow(/identity "nobody" has no gait/);
  });

  it("per-frame lengths: a gait fitted to another gait's frameBoneLengths has that gait's bone lengths in every frame, its own directions", () => {
    const a = noisy.gait(0);
    const b = noisy.gait(1);
    const lengths = frameBoneLengths(b, T, V);
    for (const [p, c] of EDGES) for (const t of [0, T - 1]) expect(lengths[t * V + c]).toBeCloseTo(norm(vec(b, t, p, c)), 6);
    const r = rigidifyGait(a, T, V, undefined, undefined, lengths);
    for (const [p, c] of EDGES)
      for (let t = 0; t < T; t++) {
        const got = vec(r, t, p, c);
        expect(norm(got)).toBeCloseTo(lengths[t * V + c]!, 5);
        const own = vec(a, t, p, c);
        expect(got.reduce((d, x, k) => d + x * own[k]!, 0) / (norm(got) * norm(own))).toBeCloseTo(1, 5);
      }
    // a gait refitted to its own per-frame lengths is itself
    const same = rigidifyGait(a, T, V, undefined, undefined, frameBoneLengths(a, T, V));
    expect(Math.max(...Array.from(same, (x, i) => Math.abs(x - a[i]!)))).toBeLessThan(1e-5);
    expect(() => rigidifyGait(a, T, V, undefined, undefined, new Float64Array(V + 1))).toThrow(/bone lengths for V = /);
  });
});
