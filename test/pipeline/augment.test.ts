import { describe, expect, it } from 'vitest';
import { proceduralDataset } from '../../src/core/procedural.js';
import { EDGES, MIRROR_PERMUTATION } from '../../src/core/skeleton.js';
import { classifierPreprocess, modelPositions } from '../../src/io/model-input.js';
import { GaitSet } from '../../src/core/gaitset.js';
import { labelMeanShift } from '../../src/generator/edit.js';
import { CLASSICAL_AUGMENTERS, classicalAugment, mirrorGait, resolveAugment, rotateGait, tiltGait, timeWarpGait } from '../../src/pipeline/augment.js';

const set = proceduralDataset({ identities: 2, perEmotion: 2, frames: 30, seed: 3 });
const { T, V } = set;
const g = set.gait(0);
const dist = (a: Float32Array, t: number, i: number, j: number) =>
  Math.hypot(...[0, 1, 2].map((k) => a[(t * V + i) * 3 + k]! - a[(t * V + j) * 3 + k]!));

describe('classical augmenters', () => {
  it('mirroring twice gives the gait back and keeps bone lengths and heights', () => {
    const m = new Float32Array(g.length);
    const mm = new Float32Array(g.length);
    mirrorGait(g, T, V, m);
    mirrorGait(m, T, V, mm);
    for (let i = 0; i < g.length; i++) expect(mm[i]).toBeCloseTo(g[i]!, 4);
    for (const [a, b] of EDGES) expect(dist(m, 5, a, b)).toBeCloseTo(dist(g, 5, MIRROR_PERMUTATION[a]!, MIRROR_PERMUTATION[b]!), 4);
    // left hand height becomes the right hand's
    expect(m[(5 * V + 6) * 3 + 1]).toBeCloseTo(g[(5 * V + 9) * 3 + 1]!, 5);
    expect(m[(5 * V + 6) * 3 + 1]).not.toBeCloseTo(g[(5 * V + 6) * 3 + 1]!, 3);
  });
  it('rotation keeps heights and distances, and turns the heading by the angle', () => {
    const r = new Float32Array(g.length);
    rotateGait(g, T, V, Math.PI / 2, r);
    for (const [a, b] of EDGES) expect(dist(r, 7, a, b)).toBeCloseTo(dist(g, 7, a, b), 4);
    for (let i = 1; i < g.length; i += 3) expect(r[i]).toBe(g[i]);
    const d0 = [g[(T - 1) * V * 3]! - g[0]!, g[(T - 1) * V * 3 + 2]! - g[2]!];
    const d1 = [r[(T - 1) * V * 3]! - r[0]!, r[(T - 1) * V * 3 + 2]! - r[2]!];
    expect(d0[0]! * d1[0]! + d0[1]! * d1[1]!).toBeCloseTo(0, 4); // perpendicular
  });
  it('time warping with strength 0 is the identity and always keeps the end frames', () => {
    const w = new Float32Array(g.length);
    timeWarpGait(g, T, V, 0, w);
    for (let i = 0; i < g.length; i++) expect(w[i]).toBeCloseTo(g[i]!, 5);
    timeWarpGait(g, T, V, 0.5, w);
    for (let i = 0; i < V * 3; i++) {
      expect(w[i]).toBeCloseTo(g[i]!, 5);
      expect(w[(T - 1) * V * 3 + i]).toBeCloseTo(g[(T - 1) * V * 3 + i]!, 5);
    }
    expect(w[(10 * V + 6) * 3]).not.toBeCloseTo(g[(10 * V + 6) * 3]!, 3);
  });
  it('makes the requested counts per label, deterministically, marked synthetic', () => {
    const a = classicalAugment(set, 'noise', { sad: 3, happy: 2 }, 9, { noiseStd: 0.02 });
    expect(a.countsByLabel()).toEqual({ angry: 0, neutral: 0, happy: 2, sad: 3 });
    expect(a.source.every((s) => s === 'synthetic')).toBe(true);
    expect(a.generator[0]).toBe('noise');
    const b = classicalAugment(set, 'noise', { sad: 3, happy: 2 }, 9, { noiseStd: 0.02 });
    expect(Buffer.from(a.positions.buffer).equals(Buffer.from(b.positions.buffer))).toBe(true);
    expect(() => classicalAugment(set, 'noise', { bored: 1 }, 1)).toThrow(/unknown label "bored"/);
    expect(() => classicalAugment(set, 'noise', { sad: 1.5 }, 1)).toThrow(/count for sad = 1.5/);
    expect(() => classicalAugment(set, 'blur' as never, { sad: 1 }, 1)).toThrow(/unknown augmenter "blur"/);
  });
});

describe('classical: the stack of mirror, tilt, time warp and scaling', () => {
  const sources = (out: GaitSet) => out.ids.map((_, n) => n);
  it('without tilt, warp and scaling, every gait is its source or the source mirrored, about half of them mirrored', () => {
    const out = classicalAugment(set, 'classical', { angry: 20, sad: 20 }, 5, { maxRotationDeg: 0, warpStrength: 0, maxScale: 0 });
    let mirrored = 0;
    for (const n of sources(out)) {
      const gen = out.gait(n);
      const label = out.labels[n]!;
      // its source is a gait of its label: found exactly among them, as it is or mirrored
      const match = set.indicesByLabel()[set.labelId(out.labelNames[label]!)]!.map((i) => {
        const m = new Float32Array(gen.length);
        mirrorGait(set.gait(i), T, V, m);
        const same = gen.every((x, k) => Math.abs(x - set.gait(i)[k]!) < 1e-6);
        const flipped = gen.every((x, k) => Math.abs(x - m[k]!) < 1e-6);
        return same ? 'same' : flipped ? 'mirrored' : null;
      }).find((x) => x !== null);
      expect(match).not.toBeUndefined();
      if (match === 'mirrored') mirrored++;
    }
    expect(mirrored).toBeGreaterThan(8);
    expect(mirrored).toBeLessThan(32);
  });
  it('scaling alone multiplies every distance from the first-frame root by one factor within 1 ± maxScale', () => {
    const out = classicalAugment(set, 'classical', { happy: 12 }, 6, { maxRotationDeg: 0, warpStrength: 0, maxScale: 0.1 });
    const factors: number[] = [];
    for (const n of sources(out)) {
      const gen = out.gait(n);
      // the source (or its mirror) whose joint-to-root distances are proportional to the generated gait's
      const cands = set.indicesByLabel()[set.labelId('happy')]!.flatMap((i) => {
        const m = new Float32Array(gen.length);
        mirrorGait(set.gait(i), T, V, m);
        return [set.gait(i), m];
      });
      const fit = cands.map((c) => {
        const f = dist(gen, 10, 0, 3) / dist(c, 10, 0, 3);
        const err = Math.max(...[5, 12, 15].map((j) => Math.abs(dist(gen, 20, 0, j) - f * dist(c, 20, 0, j))));
        return { f, err };
      }).sort((a, b) => a.err - b.err)[0]!;
      expect(fit.err).toBeLessThan(1e-4);
      factors.push(fit.f);
    }
    for (const f of factors) {
      expect(f).toBeGreaterThanOrEqual(0.9 - 1e-5);
      expect(f).toBeLessThanOrEqual(1.1 + 1e-5);
    }
    expect(Math.max(...factors) - Math.min(...factors)).toBeGreaterThan(0.02); // one factor per gait, not one for all
    expect(() => resolveAugment({ maxScale: 0.6 })).toThrow(/maxScale = 0.6 is out of range \[0, 0.5\]/);
  });
});

describe('mean-shift', () => {
  it("moves gaits of other labels into the label by the difference of the labels' mean gaits (labelMeanShift), at meanShiftStrength", () => {
    const a = classicalAugment(set, 'mean-shift', { sad: 4, angry: 1 }, 9, { meanShiftStrength: 0.5 });
    expect(a.countsByLabel()).toEqual({ angry: 1, neutral: 0, happy: 0, sad: 4 });
    expect(a.generator.every((x) => x === 'mean-shift')).toBe(true);
    // every row is the mean shift of one gait of another label: found among all of them, by hand
    const sources = (label: string) => set.select(Array.from({ length: set.N }, (_, i) => i).filter((i) => set.labelNames[set.labels[i]!] !== label));
    const candidates = { sad: labelMeanShift(set, sources('sad'), { to: ['sad'], strength: 0.5 }), angry: labelMeanShift(set, sources('angry'), { to: ['angry'], strength: 0.5 }) };
    for (let r = 0; r < a.N; r++) {
      const label = a.labelNames[a.labels[r]!] as 'sad' | 'angry';
      const c = candidates[label];
      const row = a.gait(r);
      const errs = Array.from({ length: c.N }, (_, i) => c.gait(i).reduce((m, x, j) => Math.max(m, Math.abs(x - row[j]!)), 0));
      expect(Math.min(...errs)).toBeLessThan(1e-6);
    }
    // the sources are a seeded draw: the same seed, the same gaits; another seed, others
    expect(classicalAugment(set, 'mean-shift', { sad: 4, angry: 1 }, 9, { meanShiftStrength: 0.5 }).positions).toEqual(a.positions);
    expect(classicalAugment(set, 'mean-shift', { sad: 4, angry: 1 }, 10, { meanShiftStrength: 0.5 }).positions).not.toEqual(a.positions);
    const onlySad = set.select(set.indicesByLabel()[set.labelId('sad')]!);
    expect(() => classicalAugment(onlySad, 'mean-shift', { sad: 1 }, 1)).toThrow(/label sad: mean-shift needs gaits of another label/);
    expect(() => resolveAugment({ meanShiftStrength: 11 })).toThrow(/meanShiftStrength = 11 is out of range/);
  });
});

describe('every augmenter changes what the classifier sees', () => {
  // One real gait per label, so each synthetic gait's source is known: the gait of its label.
  const one = set.select(set.indicesByLabel().map((idx) => idx[0]!));
  const counts = Object.fromEntries(one.labelNames.map((n) => [n, 1]));
  const input = (s: typeof set) => modelPositions(s, classifierPreprocess(s.V)).data;
  const before = input(one);
  /** Mean absolute change (m) of the classifier's preprocessed input per coordinate. */
  const change = (after: Float32Array) => after.reduce((a, x, i) => a + Math.abs(x - before[i]!), 0) / after.length;

  it.each(CLASSICAL_AUGMENTERS)('%s', (augmenter) => {
    const aug = classicalAugment(one, augmenter, counts, 4);
    expect(aug.labels).toEqual(one.labels);
    // well above float round-off (1e-6 m): each moves joints by millimetres to centimetres on average
    expect(change(input(aug))).toBeGreaterThan(2e-3);
  });

  it('a rotation about the vertical would not: the canonical view undoes it (why rotate tilts instead)', () => {
    const yawed = new Float32Array(one.positions.length);
    for (let i = 0; i < one.N; i++) rotateGait(one.gait(i), T, V, 0.4, yawed.subarray(i * one.stride, (i + 1) * one.stride));
    const turned = new GaitSet({ ...one, positions: yawed }, { validateValues: false });
    expect(change(input(turned))).toBeLessThan(1e-4);
  });

  it('tilting keeps bone lengths and leans the walker by the angle', () => {
    const t = new Float32Array(g.length);
    tiltGait(g, T, V, 0.2, 0, t);
    for (const [a, b] of EDGES) expect(dist(t, 7, a, b)).toBeCloseTo(dist(g, 7, a, b), 4);
    // the first-frame root is the pivot; the head leans forward, so its height drops by ≈ (1 − cos 0.2)·h
    for (let k = 0; k < 3; k++) expect(t[k]).toBeCloseTo(g[k]!, 5);
    const h = g[3 * 3 + 1]! - g[1]!;
    expect(t[3 * 3 + 1]! - t[1]!).toBeLessThan(h);
    expect(() => resolveAugment({ maxRotationDeg: 90 })).toThrow(/maxRotationDeg = 90 is out of range \[0, 45\]/);
  });
});
