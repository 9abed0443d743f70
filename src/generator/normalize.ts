/**
 * How the generator sees gaits. A generator that had to learn heading and
 * start position would spend its capacity on them, so each gait is
 *  1. turned to its canonical frame (io/preprocess.ts): walking (or facing)
 *     along +Z, the frame-0 root at x = z = 0, heights kept;
 *  2. standardised: minus the dataset's mean canonical gait, divided by one
 *     isotropic scale (the RMS deviation), so velocities keep their direction
 *     and the loss weighs the axes alike; an all-zero output is the mean walk.
 * The statistics are stored with the checkpoint; samples are mapped back
 * through step 2, in metres in the canonical frame.
 */
import { GaitforgeError } from '../core/errors.js';
import { canonicalViewGait, centreGait } from '../io/preprocess.js';

/** Dataset statistics of step 2. */
export interface GaitNormalization {
  /** The mean canonical gait, [T, V, 3] flat (metres). */
  mean: number[];
  /** RMS deviation from `mean` over all coordinates (metres). */
  scale: number;
}

/**
 * Writes gait `g` ([T, V, 3], world metres) into `out` in the canonical frame
 * (frame-0 root above the origin, walking towards +Z). `out` may be `g`.
 */
export function canonicalizeGait(g: Float32Array, T: number, V: number, out: Float32Array): void {
  out.set(centreGait(canonicalViewGait(g, T, V), T, V, 'first-frame-xz'));
}

/** Canonical copies of every gait in `positions` ([N, T, V, 3]). */
export function canonicalizeAll(positions: Float32Array, T: number, V: number): Float32Array {
  const per = T * V * 3;
  const out = new Float32Array(positions.length);
  for (let n = 0; n < positions.length / per; n++)
    canonicalizeGait(positions.subarray(n * per, (n + 1) * per), T, V, out.subarray(n * per, (n + 1) * per));
  return out;
}

/** Fits step 2's statistics on canonical positions ([N, T, V, 3], `per` = T·V·3 values a gait) in float64. */
export function fitNormalization(canonical: Float32Array, per: number): GaitNormalization {
  const n = canonical.length / per;
  if (!(n >= 1) || !Number.isInteger(n)) throw new GaitforgeError('E_SHAPE', `cannot fit a normalisation on ${canonical.length} values in gaits of ${per}`);
  const mean = new Float64Array(per);
  for (let i = 0; i < canonical.length; i++) mean[i % per]! += canonical[i]!;
  for (let i = 0; i < per; i++) mean[i]! /= n;
  let ss = 0;
  for (let i = 0; i < canonical.length; i++) ss += (canonical[i]! - mean[i % per]!) ** 2;
  const scale = Math.sqrt(ss / canonical.length);
  if (!(scale > 1e-9)) throw new GaitforgeError('E_VALUE', 'all gaits are the same after view normalisation: nothing to learn (scale is 0)');
  return { mean: Array.from(mean, (m) => Math.fround(m)), scale };
}

/** In place: metres → model units, x: [N, T, V, 3] flat with the statistics' T, V. */
export function standardize(x: Float32Array, s: GaitNormalization): Float32Array {
  const inv = 1 / s.scale;
  const per = s.mean.length;
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - s.mean[i % per]!) * inv;
  return x;
}

/** In place: model units → metres (canonical frame). */
export function destandardize(x: Float32Array, s: GaitNormalization): Float32Array {
  const per = s.mean.length;
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * s.scale + s.mean[i % per]!;
  return x;
}
