/**
 * Classical augmentation baselines (what STEP never compared against):
 * left/right mirroring, small rotations about the horizontal axes (camera
 * elevation and lateral tilt), smooth time warping, Gaussian joint noise,
 * `classical`, the four as users stack them (a mirror with probability ½, a
 * tilt, a time warp and a body-size scaling on every gait), and the mean
 * shift: a gait of another label moved by the difference between the two
 * labels' mean gaits, the one baseline that makes a gait of a label from a
 * gait of another, as a generator does.
 * Every one changes what a classifier sees: its input is re-canonicalised
 * to walk along +Z, which undoes any rotation about the vertical, so
 * `rotate` tilts about the two horizontal axes instead. Each draws source gaits from a real set,
 * label by label, and returns synthetic gaits of the requested labels. Pure
 * TypeScript (no tfjs), deterministic from the seed.
 */
import { GaitSet } from '../core/gaitset.js';
import { ConfigRangeError, GaitforgeError } from '../core/errors.js';
import { heading, joint } from '../core/kinematics.js';
import { Rng } from '../core/rng.js';
import { JOINTS, MIRROR_PERMUTATION } from '../core/skeleton.js';
import { labelMeanShift } from '../generator/edit.js';

export type ClassicalAugmenter = 'mirror' | 'rotate' | 'timewarp' | 'noise' | 'classical' | 'mean-shift';
export const CLASSICAL_AUGMENTERS: readonly ClassicalAugmenter[] = ['mirror', 'rotate', 'timewarp', 'noise', 'classical', 'mean-shift'];

export interface AugmentConfig {
  /**
   * Largest tilt, degrees (rotate): the gait is rotated about the lateral
   * axis (camera elevation: pitch) and about its walking direction (lateral
   * tilt: roll), each by an angle uniform in ±maxRotationDeg. Default 10.
   */
  maxRotationDeg?: number;
  /** Time-warp strength in [0, 1): 0 = none; the warp u + a·sin(2πu)/2π stays monotone for a < 1. Default 0.3. */
  warpStrength?: number;
  /** Standard deviation of joint noise, metres (noise). Default 0.01. */
  noiseStd?: number;
  /** Multiple of the difference between the two labels' mean gaits (mean-shift), in [0, 10]. Default 1. */
  meanShiftStrength?: number;
  /** Largest change of body size (classical): every gait scaled about its first-frame root by a factor uniform in 1 ± maxScale, in [0, 0.5]. Default 0.1. */
  maxScale?: number;
}
export const DEFAULT_AUGMENT: Required<AugmentConfig> = { maxRotationDeg: 10, warpStrength: 0.3, noiseStd: 0.01, meanShiftStrength: 1, maxScale: 0.1 };

export function resolveAugment(c: AugmentConfig = {}): Required<AugmentConfig> {
  const r = { ...DEFAULT_AUGMENT, ...c };
  if (!(r.maxRotationDeg >= 0 && r.maxRotationDeg <= 45)) throw new ConfigRangeError(`maxRotationDeg = ${r.maxRotationDeg} is out of range [0, 45]`);
  if (!(r.warpStrength >= 0 && r.warpStrength < 1)) throw new ConfigRangeError(`warpStrength = ${r.warpStrength} is out of range [0, 1)`);
  if (!(r.noiseStd >= 0 && r.noiseStd <= 1)) throw new ConfigRangeError(`noiseStd = ${r.noiseStd} is out of range [0, 1]`);
  if (!(r.meanShiftStrength >= 0 && r.meanShiftStrength <= 10)) throw new ConfigRangeError(`meanShiftStrength = ${r.meanShiftStrength} is out of range [0, 10]`);
  if (!(r.maxScale >= 0 && r.maxScale <= 0.5)) throw new ConfigRangeError(`maxScale = ${r.maxScale} is out of range [0, 0.5]`);
  return r;
}

/** Mirrors a gait ([T, V, 3]) about the vertical plane through its start along its walking direction, swapping left and right joints. */
export function mirrorGait(g: Float32Array, T: number, V: number, out: Float32Array): void {
  if (V !== MIRROR_PERMUTATION.length) throw new GaitforgeError('E_SHAPE', `mirroring needs the ${MIRROR_PERMUTATION.length}-joint skeleton, got V = ${V}`);
  const [hx, hz] = heading(g, T, V);
  const nx = hz;
  const nz = -hx; // horizontal normal to the walking direction
  const o = joint(g, V, 0, JOINTS.root);
  for (let t = 0; t < T; t++)
    for (let j = 0; j < V; j++) {
      const src = (t * V + MIRROR_PERMUTATION[j]!) * 3;
      const d = (g[src]! - o[0]) * nx + (g[src + 2]! - o[2]) * nz;
      const dst = (t * V + j) * 3;
      out[dst] = g[src]! - 2 * d * nx;
      out[dst + 1] = g[src + 1]!;
      out[dst + 2] = g[src + 2]! - 2 * d * nz;
    }
}

/**
 * Tilts a gait about the horizontal axes through its first-frame root:
 * `pitch` radians about the lateral axis (positive leans the walker
 * forward, as a camera looking down more steeply sees it) and then `roll`
 * radians about the walking direction (positive leans the top towards the
 * +lateral side: the walker's right, with Y up). Both survive the classifier's
 * canonical view, which only turns about the vertical.
 */
export function tiltGait(g: Float32Array, T: number, V: number, pitch: number, roll: number, out: Float32Array): void {
  const [fx, fz] = heading(g, T, V); // forward (horizontal unit vector)
  const lx = -fz;
  const lz = fx; // lateral (horizontal, perpendicular to forward)
  const o = joint(g, V, 0, JOINTS.root);
  const cp = Math.cos(pitch), sp = Math.sin(pitch), cr = Math.cos(roll), sr = Math.sin(roll);
  for (let i = 0; i < T * V; i++) {
    const x = g[3 * i]! - o[0];
    const y = g[3 * i + 1]! - o[1];
    const z = g[3 * i + 2]! - o[2];
    // walker frame: forward f, up u, lateral l
    let f = x * fx + z * fz;
    let u = y;
    const l = x * lx + z * lz;
    // pitch about the lateral axis: the top leans forward
    [f, u] = [cp * f + sp * u, -sp * f + cp * u];
    // roll about the forward axis: the top leans towards +lateral
    const u2 = cr * u - sr * l;
    const l2 = sr * u + cr * l;
    out[3 * i] = o[0] + f * fx + l2 * lx;
    out[3 * i + 1] = o[1] + u2;
    out[3 * i + 2] = o[2] + f * fz + l2 * lz;
  }
}

/**
 * Rotates a gait about the vertical axis through its first-frame root by
 * `angle` radians. Not an augmenter: a classifier's canonical view undoes it.
 */
export function rotateGait(g: Float32Array, T: number, V: number, angle: number, out: Float32Array): void {
  const o = joint(g, V, 0, JOINTS.root);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let i = 0; i < T * V; i++) {
    const x = g[3 * i]! - o[0];
    const z = g[3 * i + 2]! - o[2];
    out[3 * i] = o[0] + c * x + s * z;
    out[3 * i + 1] = g[3 * i + 1]!;
    out[3 * i + 2] = o[2] - s * x + c * z;
  }
}

/**
 * Resamples a gait along the monotone warp φ(u) = u + a·sin(2πu)/(2π) of
 * normalised time (endpoints fixed; |a| < 1 keeps it monotone), with linear
 * interpolation between frames.
 */
export function timeWarpGait(g: Float32Array, T: number, V: number, a: number, out: Float32Array): void {
  const per = V * 3;
  for (let k = 0; k < T; k++) {
    const u = T > 1 ? k / (T - 1) : 0;
    const f = (u + (a * Math.sin(2 * Math.PI * u)) / (2 * Math.PI)) * (T - 1);
    const t0 = Math.max(0, Math.min(T - 1, Math.floor(f)));
    const t1 = Math.min(T - 1, t0 + 1);
    const w = f - t0;
    for (let i = 0; i < per; i++) out[k * per + i] = (1 - w) * g[t0 * per + i]! + w * g[t1 * per + i]!;
  }
}

/** Scales a gait about its first-frame root by `factor` (a taller or shorter walker with the same motion). */
export function resizeGait(g: Float32Array, T: number, V: number, factor: number, out: Float32Array): void {
  const o = joint(g, V, 0, JOINTS.root);
  for (let i = 0; i < T * V; i++) for (let k = 0; k < 3; k++) out[3 * i + k] = o[k]! + factor * (g[3 * i + k]! - o[k]!);
}

/**
 * Makes `counts[label]` synthetic gaits per label with a classical augmenter,
 * each from a source gait of that label drawn uniformly from `real`; for
 * mean-shift, from a source gait of any other label, moved into the label by
 * `meanShiftStrength` × the difference between the two labels' mean gaits
 * over `real` (generator/edit.ts, labelMeanShift: the control of restyling,
 * a label change that learns nothing of the walk; rows in the canonical frame).
 * Throws E_LABEL when a requested label has no source gaits (for mean-shift:
 * no gait of its own, whose mean it needs, or none of another label).
 */
export function classicalAugment(real: GaitSet, augmenter: ClassicalAugmenter, counts: Record<string, number>, seed: number, config: AugmentConfig = {}): GaitSet {
  if (!CLASSICAL_AUGMENTERS.includes(augmenter))
    throw new GaitforgeError('E_OPTION', `unknown augmenter ${JSON.stringify(augmenter)} (classical: ${CLASSICAL_AUGMENTERS.join(', ')})`);
  const c = resolveAugment(config);
  const byLabel = real.indicesByLabel();
  const plan: [number, number][] = []; // [label, k]
  for (const [name, n] of Object.entries(counts)) {
    if (!Number.isInteger(n) || n < 0) throw new GaitforgeError('E_OPTION', `count for ${name} = ${n}: must be a non-negative integer`);
    const l = real.labelId(name);
    if (n > 0 && byLabel[l]!.length === 0) throw new GaitforgeError('E_LABEL', `label ${name} has no gaits to augment from`);
    if (n > 0 && augmenter === 'mean-shift' && byLabel[l]!.length === real.N) throw new GaitforgeError('E_LABEL', `label ${name}: mean-shift needs gaits of another label to move into it, and every gait is ${name}`);
    for (let k = 0; k < n; k++) plan.push([l, k]);
  }
  const { T, V } = real;
  const per = real.stride;
  const positions = new Float32Array(plan.length * per);
  const labels = new Int32Array(plan.length);
  const ids: string[] = [];
  const identity: (string | null)[] = [];
  const seeds: number[] = [];
  const others = augmenter === 'mean-shift' ? real.labelNames.map((_, l) => Array.from({ length: real.N }, (_, i) => i).filter((i) => real.labels[i] !== l)) : [];
  // mean-shift: the sources (of other labels) of each target label, and where their rows go
  const shifted = new Map<number, { sources: number[]; rows: number[] }>();
  plan.forEach(([l, k], n) => {
    const gaitSeed = new Rng(seed, `augment/${augmenter}/${real.labelNames[l]}/${k}`).tfSeed();
    const r = new Rng(gaitSeed, 'gait');
    const pool = augmenter === 'mean-shift' ? others[l]! : byLabel[l]!;
    const src = pool[r.int(pool.length)]!;
    const g = real.gait(src);
    const out = positions.subarray(n * per, (n + 1) * per);
    if (augmenter === 'mean-shift') {
      const e = shifted.get(l) ?? shifted.set(l, { sources: [], rows: [] }).get(l)!;
      e.sources.push(src);
      e.rows.push(n);
    } else if (augmenter === 'mirror') mirrorGait(g, T, V, out);
    else if (augmenter === 'rotate') {
      const max = (c.maxRotationDeg * Math.PI) / 180;
      tiltGait(g, T, V, r.uniform(-1, 1) * max, r.uniform(-1, 1) * max, out);
    }
    else if (augmenter === 'timewarp') timeWarpGait(g, T, V, r.uniform(-1, 1) * c.warpStrength, out);
    else if (augmenter === 'classical') {
      // the stack, each step on the previous one's result: mirror (half the gaits), tilt, time warp, scale
      const a = new Float32Array(per);
      const b = new Float32Array(per);
      if (r.next() < 0.5) mirrorGait(g, T, V, a);
      else a.set(g);
      const max = (c.maxRotationDeg * Math.PI) / 180;
      tiltGait(a, T, V, r.uniform(-1, 1) * max, r.uniform(-1, 1) * max, b);
      timeWarpGait(b, T, V, r.uniform(-1, 1) * c.warpStrength, a);
      resizeGait(a, T, V, 1 + r.uniform(-1, 1) * c.maxScale, out);
    } else for (let i = 0; i < per; i++) out[i] = g[i]! + r.normal(0, c.noiseStd);
    labels[n] = l;
    ids.push(`${augmenter}-${real.labelNames[l]}-${k}`);
    identity.push(real.identity[src] ?? null);
    seeds.push(gaitSeed);
  });
  for (const [l, { sources, rows }] of shifted) {
    // one row per source: each source's label differs from l
    const moved = labelMeanShift(real, real.select(sources), { to: [real.labelNames[l]!], strength: c.meanShiftStrength });
    rows.forEach((n, i) => positions.set(moved.gait(i), n * per));
  }
  return new GaitSet({
    positions, labels, labelNames: real.labelNames, T, V, fps: real.fps, skeleton: real.skeleton, ids, identity,
    source: new Array(plan.length).fill('synthetic'), generator: new Array(plan.length).fill(augmenter), seed: seeds,
    frames: new Int32Array(plan.length).fill(T),
  });
}
