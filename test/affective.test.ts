import { describe, expect, it } from 'vitest';
import {
  AFFECTIVE_FEATURE_NAMES, NUM_AFFECTIVE_FEATURES, affectiveFeatures, affectiveFeaturesOf, angleAt, applyMinMax, fitMinMax,
  minMaxFromJSON, scaledAffectiveFeatures, triangleArea, AFFECTIVE_FID_SMOOTHING_SECONDS,
} from '../src/core/affective.js';
import { GaitSet } from '../src/core/gaitset.js';
import { derivativeMagnitude, gaussianSmoothTrajectories } from '../src/core/kinematics.js';
import { fid } from '../src/eval/fid.js';
import { proceduralDataset } from '../src/core/procedural.js';

const col = (name: string) => {
  const i = AFFECTIVE_FEATURE_NAMES.indexOf(name);
  if (i < 0) throw new Error(`no feature ${name}`);
  return i;
};

/**
 * A rigid hand-built pose (dyadic coordinates, exact in float32), translated
 * along +z by 1/32 m per frame: constant velocity 30/32 m/s at 30 fps.
 *   root (0,1,0), spine (0,1.25,0), neck (0,1.5,0), head (0.25,1.25,0)
 *   arm A: shoulder (−0.25,1.375,0), elbow (−0.25,1.125,0), hand (−0.5,1.125,0)   — a right angle at the elbow
 *   arm B: shoulder (0.25,1.375,0),  elbow (0.25,1.125,0),  hand (0.5,1.125,0)
 *   leg A: hip (−0.125,1,0), knee (−0.125,0.5,0.25),    foot (−0.125,0,0)
 *   leg B: hip (0.125,1,0),  knee (0.125,0.5,−0.0625),  foot (0.125,0,0)
 */
const POSE: [number, number, number][] = [
  [0, 1, 0], [0, 1.25, 0], [0, 1.5, 0], [0.25, 1.25, 0],
  [-0.25, 1.375, 0], [-0.25, 1.125, 0], [-0.5, 1.125, 0],
  [0.25, 1.375, 0], [0.25, 1.125, 0], [0.5, 1.125, 0],
  [-0.125, 1, 0], [-0.125, 0.5, 0.25], [-0.125, 0, 0],
  [0.125, 1, 0], [0.125, 0.5, -0.0625], [0.125, 0, 0],
];
function walkingPose(T: number, stepPerFrame = 1 / 32): Float32Array {
  const g = new Float32Array(T * 16 * 3);
  for (let t = 0; t < T; t++)
    POSE.forEach(([x, y, z], j) => g.set([x, y, z + t * stepPerFrame], (t * 16 + j) * 3));
  return g;
}

describe('AFFECTIVE_FEATURE_NAMES', () => {
  it('lists 29 distinct features: 12 posture + 15 movement + 2 gait-cycle', () => {
    expect(NUM_AFFECTIVE_FEATURES).toBe(29);
    expect(new Set(AFFECTIVE_FEATURE_NAMES).size).toBe(29);
    expect(AFFECTIVE_FEATURE_NAMES.filter((n) => /_(speed|acceleration|jerk)$/.test(n))).toHaveLength(15);
    expect(AFFECTIVE_FEATURE_NAMES.slice(27)).toEqual(['stride_length', 'gait_cycle_time']);
  });
});

describe('geometry helpers', () => {
  it('a right-angle arm gives 90°', () => {
    expect(angleAt(POSE[4]!, POSE[5]!, POSE[6]!)).toBeCloseTo(90, 12);
    expect(angleAt([0, 0, 0], [1, 0, 0], [2, 0, 0])).toBeCloseTo(180, 12);
  });
  it('a known triangle area and an undefined angle for coincident joints', () => {
    expect(triangleArea([0, 0, 0], [3, 0, 0], [0, 4, 0])).toBeCloseTo(6, 12);
    expect(triangleArea([1, 1, 1], [1, 1, 1], [2, 2, 2])).toBe(0);
    expect(angleAt([1, 1, 1], [1, 1, 1], [0, 0, 0])).toBeNaN();
  });
});

describe('affective features of a hand-built skeleton', () => {
  const T = 40;
  const f = affectiveFeaturesOf(walkingPose(T), T, 16, 30);

  it('posture features match hand-computed values', () => {
    const neck = (2 * Math.atan2(0.25, 0.125) * 180) / Math.PI; // 126.87°
    expect(f[col('bbox_volume')]).toBeCloseTo(1 * 1.5 * 0.3125, 6);
    expect(f[col('neck_angle')]).toBeCloseTo(neck, 5);
    expect(f[col('shoulder_a_angle')]).toBeCloseTo((180 - neck) / 2, 5);
    expect(f[col('shoulder_b_angle')]).toBeCloseTo((180 - neck) / 2, 5);
    expect(f[col('head_root_vertical_angle')]).toBeCloseTo(45, 5);
    expect(f[col('neck_head_spine_angle')]).toBeCloseTo(45, 5);
    expect(f[col('hand_a_root_distance')]).toBeCloseTo(Math.hypot(0.5, 0.125), 6);
    expect(f[col('foot_b_root_distance')]).toBeCloseTo(Math.hypot(0.125, 1), 6);
    expect(f[col('hands_neck_area')]).toBeCloseTo(0.5 * 1 * 0.375, 6);
    expect(f[col('feet_root_area')]).toBeCloseTo(0.5 * 0.25 * 1, 6);
  });

  it('a constant-velocity hand has its speed and zero acceleration and jerk', () => {
    for (const j of ['hand_a', 'hand_b', 'head', 'foot_a', 'foot_b']) {
      expect(f[col(`${j}_speed`)]).toBeCloseTo(30 / 32, 10);
      expect(f[col(`${j}_acceleration`)]).toBe(0);
      expect(f[col(`${j}_jerk`)]).toBe(0);
    }
  });

  it('a constant acceleration gives that acceleration and zero jerk', () => {
    const g = walkingPose(T, 0);
    for (let t = 0; t < T; t++) g[(t * 16 + 6) * 3 + 2] = (t * t) / 512; // hand A: Δ²z = 1/256 per frame²
    expect(derivativeMagnitude(g, T, 16, 30, 6, 2)).toBeCloseTo(900 / 256, 10);
    expect(derivativeMagnitude(g, T, 16, 30, 6, 3)).toBe(0);
  });

  it('falls back to the clip duration and root speed × cycle time without a gait cycle', () => {
    expect(f[col('gait_cycle_time')]).toBeCloseTo((T - 1) / 30, 12);
    expect(f[col('stride_length')]).toBeCloseTo((30 / 32) * ((T - 1) / 30), 6);
  });

  it('does not depend on the walking direction (rotation about the up axis)', () => {
    const set = proceduralDataset({ identities: 1, perEmotion: 1, seed: 5 });
    const g = set.gait(2);
    const r = new Float32Array(g.length);
    const [c, s] = [Math.cos(1.1), Math.sin(1.1)];
    for (let i = 0; i < g.length; i += 3) {
      r[i] = c * g[i]! + s * g[i + 2]!;
      r[i + 1] = g[i + 1]!;
      r[i + 2] = -s * g[i]! + c * g[i + 2]!;
    }
    const f0 = affectiveFeaturesOf(g, set.T, 16, 30);
    const fr = affectiveFeaturesOf(r, set.T, 16, 30);
    // only float32 rounding of the rotated positions separates the two
    f0.forEach((v, k) => expect(Math.abs(fr[k]! - v) / Math.abs(v), AFFECTIVE_FEATURE_NAMES[k]).toBeLessThan(1e-5));
  });
});

describe('degenerate and real-like input', () => {
  it('a gait whose joints all coincide gives finite features (no NaN)', () => {
    const T = 20;
    const g = new Float32Array(T * 48).fill(0.5);
    const f = affectiveFeaturesOf(g, T, 16, 30);
    expect(Array.from(f).every(Number.isFinite)).toBe(true);
    expect(f[col('neck_angle')]).toBe(0);
    expect(f[col('hand_a_speed')]).toBe(0);
  });

  it('gaits of 1-3 frames give finite features', () => {
    for (const T of [1, 2, 3]) expect(Array.from(affectiveFeaturesOf(walkingPose(T), T, 16, 30)).every(Number.isFinite)).toBe(true);
  });

  it('on the procedural walker: plausible values, and sad gaits move their hands slower than happy ones', () => {
    const set = proceduralDataset({ identities: 4, perEmotion: 2, seed: 3 });
    const F = affectiveFeatures(set);
    expect(F.length).toBe(set.N * 29);
    expect(Array.from(F).every(Number.isFinite)).toBe(true);
    const byLabel = (name: string, label: string) => {
      const idx = set.indicesByLabel()[set.labelId(label)]!;
      return idx.reduce((s, i) => s + F[i * 29 + col(name)]!, 0) / idx.length;
    };
    const cycle = byLabel('gait_cycle_time', 'neutral');
    expect(cycle).toBeGreaterThan(0.8);
    expect(cycle).toBeLessThan(1.4);
    const stride = byLabel('stride_length', 'neutral');
    expect(stride).toBeGreaterThan(0.9);
    expect(stride).toBeLessThan(2);
    expect(byLabel('hand_a_speed', 'sad')).toBeLessThan(byLabel('hand_a_speed', 'happy'));
    // the same rows as the per-gait function
    expect(Array.from(F.subarray(29, 58))).toEqual(Array.from(affectiveFeaturesOf(set.gait(1), set.T, set.V, set.fps)));
  });

  it('uses the fps of the set: twice the frame rate, twice the speed', () => {
    const pos = walkingPose(30);
    const at = (fps: number) => affectiveFeatures(new GaitSet({ positions: pos, labels: [0], labelNames: ['x'], T: 30, fps }));
    expect(at(60)[col('head_speed')]).toBeCloseTo(2 * at(30)[col('head_speed')]!, 10);
  });

  it('refuses skeletons other than the 16-joint one', () => {
    expect(() => affectiveFeaturesOf(new Float32Array(10 * 3 * 4), 10, 4, 30)).toThrow(/16-joint/);
  });
});

describe('min–max scaler', () => {
  const rows = Float64Array.from([1, 10, 5, 3, 20, 5, 2, 30, 5]); // 3 rows × 3 columns, last column constant
  it('maps the training rows into [0, 1], constant columns to 0, and does not clip new rows', () => {
    const s = fitMinMax(rows, 3, 3, ['a', 'b', 'c']);
    expect(Array.from(applyMinMax(s, rows))).toEqual([0, 0, 0, 1, 0.5, 0, 0.5, 1, 0]);
    expect(Array.from(applyMinMax(s, [5, 0, 7]))).toEqual([2, -0.5, 0]);
  });
  it('round-trips through JSON and rejects malformed JSON', () => {
    const s = fitMinMax(rows, 3, 3);
    const back = minMaxFromJSON(JSON.parse(JSON.stringify(s)));
    expect(back).toEqual(s);
    expect(Array.from(applyMinMax(back, rows))).toEqual(Array.from(applyMinMax(s, rows)));
    expect(() => minMaxFromJSON({ ...s, max: [1, 2] })).toThrow(/max must be 3 finite numbers/);
    expect(() => minMaxFromJSON({ kind: 'zscore' })).toThrow(/minmax/);
  });
  it('rejects non-finite values and mis-sized input', () => {
    expect(() => fitMinMax([1, NaN], 1, 2)).toThrow(/row 0, column 1/);
    expect(() => fitMinMax([1, 2, 3], 2, 2)).toThrow(/N·D/);
  });
});

describe('scaledAffectiveFeatures', () => {
  it('scales every set with the scaler fitted on the reference set only', () => {
    const real = proceduralDataset({ identities: 2, perEmotion: 2, seed: 8 });
    const other = proceduralDataset({ identities: 2, perEmotion: 2, seed: 9, noise: 0.02 });
    const r = scaledAffectiveFeatures(real, [other]);
    expect(Math.min(...r.reference)).toBe(0);
    expect(Math.max(...r.reference)).toBe(1);
    expect(r.scaler.names).toEqual([...AFFECTIVE_FEATURE_NAMES]);
    expect(Array.from(r.others[0]!)).toEqual(Array.from(applyMinMax(r.scaler, affectiveFeatures(other))));
    // noisier gaits jerk more than any real one: beyond the fitted range
    expect(Math.max(...r.others[0]!.filter((_, i) => AFFECTIVE_FEATURE_NAMES[i % 29]!.endsWith('_jerk')))).toBeGreaterThan(1);
  });
});

describe('smoothed derivative features (the affective-space FID)', () => {
  it('the Gaussian smoother keeps constants and lines, and σ = 0 changes nothing', () => {
    const T = 20;
    const g = new Float32Array(T * 16 * 3).map((_, i) => 0.01 * Math.floor(i / 48) + (i % 3)); // x, y, z = t/100 + 0, 1, 2
    const s = gaussianSmoothTrajectories(g, T, 16, 1.5);
    // interior frames (5 ≤ t < T − 5: the kernel reaches ±5 frames) keep a linear trajectory exactly
    for (let t = 5; t < T - 5; t++) expect(s[(t * 16 + 3) * 3]).toBeCloseTo(0.01 * t, 6);
    expect(Array.from(gaussianSmoothTrajectories(g, T, 16, 0))).toEqual(Array.from(g));
    expect(() => gaussianSmoothTrajectories(g, T, 16, -1)).toThrow(/sigmaFrames = -1/);
  });

  it('makes the FID of 2 cm of sensor noise small instead of dominant', () => {
    const clean = proceduralDataset({ identities: 6, perEmotion: 4, frames: 75, noise: 0, seed: 3 });
    const noisy = proceduralDataset({ identities: 6, perEmotion: 4, frames: 75, noise: 0.02, seed: 3 });
    const fidOf = (smoothSeconds: number) => {
      const f = scaledAffectiveFeatures(clean, [noisy], { smoothSeconds });
      return fid(f.reference, f.others[0]!, { dim: NUM_AFFECTIVE_FEATURES }).fid;
    };
    const raw = fidOf(0);
    const smoothed = fidOf(AFFECTIVE_FID_SMOOTHING_SECONDS);
    expect(smoothed).toBeLessThan(raw / 5);
    // the same walks with different noise draws: the jerk of a hand moves far less once smoothed
    const j = col('hand_a_jerk');
    const rawF = affectiveFeatures(noisy);
    const smF = affectiveFeatures(noisy, { smoothSeconds: AFFECTIVE_FID_SMOOTHING_SECONDS });
    const cleanSm = affectiveFeatures(clean, { smoothSeconds: AFFECTIVE_FID_SMOOTHING_SECONDS });
    expect(Math.abs(smF[j]! - cleanSm[j]!)).toBeLessThan(Math.abs(rawF[j]! - cleanSm[j]!) / 5);
  });
});
